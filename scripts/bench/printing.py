"""How long the printed PDF takes: the reference contribution certificate (12 months) with a
验证码, the first in a process (the font collection opened, the base glyphs converted) and the
following ones: ``certledger bench printing``.
"""

from __future__ import annotations

import statistics
import time

from issuer._derive import apply_derivations
from ledger import TypeCatalog, system_clock
from scripts.bench._report import Figures
from scripts.demo_data import generate
from wallet_api._print import PrintedCode, certificate_pdf
from wallet_api._render import document_view

RUNS = 30


def measure_printing(runs: int = RUNS) -> Figures:
    """The first PDF's time, then the median and slowest of `runs` more, and the size."""
    contribution = TypeCatalog.load().find("contribution-certificate")
    claims = next(iter(generate("contribution-certificate", 1, seed=5)))
    apply_derivations(claims, contribution.derive)
    view = document_view(claims, contribution)
    now = system_clock()
    code = PrintedCode("7KQ2-M9XD-4HTW-B3NP", now, "https://wallet.example/verify?code=7KQ2-M9XD-4HTW-B3NP")

    def one() -> tuple[float, int]:
        started = time.perf_counter()
        pdf = certificate_pdf(
            view,
            number="JF3710002025793483",
            office="威海市社会保险事业中心",
            verification=None,
            anchor=None,
            checked_at=now,
            code=code,
        )
        return time.perf_counter() - started, len(pdf)

    first, size = one()
    times = sorted(one()[0] for _ in range(runs))
    figures = Figures()
    figures.add("print_first_pdf_ms", round(first * 1000, 1), "ms")
    figures.add("print_pdf_median_ms", round(statistics.median(times) * 1000, 1), "ms")
    figures.add("print_pdf_slowest_ms", round(times[-1] * 1000, 1), "ms")
    figures.add("print_pdf_kib", round(size / 1024, 1), "KiB")
    return figures
