"""`certledger bench printing` prints the printed PDF's figures: the first one of the process, the
median and slowest of the rest, and the size."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from certledger import app


def test_a_short_run_prints_every_figure() -> None:
    result = CliRunner().invoke(app, ["bench", "printing", "--runs", "2", "--json"])

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {
        "print_first_pdf_ms",
        "print_pdf_median_ms",
        "print_pdf_slowest_ms",
        "print_pdf_kib",
    }
    for name, figure in figures.items():
        assert math.isfinite(figure["value"]) and figure["value"] > 0, name
    assert figures["print_pdf_median_ms"]["value"] <= figures["print_pdf_slowest_ms"]["value"]
    # A one-page certificate with an embedded font subset: tens of KiB, not the whole collection.
    assert figures["print_pdf_kib"]["value"] < 1024
