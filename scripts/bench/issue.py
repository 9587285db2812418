"""Issuance figures for the reference document of design.md §5.

The reference document is a contribution certificate of one person with one insurance
(pension) and 12 monthly records — month, employer, contribution base and amounts — plus the
holder's name and identity number and the certificate number; type and issue date are in its
header.

* build: salts, commitments, document roots, the batch tree and every proof, in memory, for
  batches of 10,000 and 100,000 (the inputs are generated first and not timed);
* end to end: read and validate a JSON Lines file, seal, encrypt, store with the outbox, anchor
  and store the proofs — into SQLite, and into PostgreSQL when a URL is given;
* memory: the peak resident size of a process issuing 100,000 certificates end to end;
* formats (``--format``): the same documents as a UTF-8 CSV, a GB18030 CSV or an XLSX workbook
  (numbers and months as Excel cells): read and validated per second in process, then issued end
  to end from that file.

Every end-to-end run anchors on a fresh deployment of its own, on a local chain of its own or on
the node ``CERTLEDGER_RPC_URL`` names (see `scripts.bench._node`).
"""

from __future__ import annotations

import csv
import datetime
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from scripts.bench._node import ANCHOR_GAS, DEPLOY_GAS, bench_node, bench_settings, ensure_funded
from scripts.bench._report import Figures, Node
from scripts.demo_data import generate, write_contribution_csv, write_jsonl

REFERENCE = "contribution-certificate"
FORMATS = ("csv", "csv-gb18030", "xlsx")
_NUMBERS = {"base", "personal", "employer"}


def reference_claims(count: int, *, seed: int = 2026) -> list[dict[str, object]]:
    """`count` reference documents with their derived claims, ready to seal."""
    from issuer._derive import apply_derivations  # noqa: PLC0415
    from ledger import TypeCatalog  # noqa: PLC0415

    certificate_type = TypeCatalog.load().find(REFERENCE)
    documents = []
    for document in generate(REFERENCE, count, seed=seed):
        apply_derivations(document, certificate_type.derive)
        documents.append(document)
    return documents


def measure_build(count: int) -> float:
    """Certificates built per second (seal every document, build the tree and all proofs)."""
    from ledger import BatchTree, Header, TypeCatalog, seal  # noqa: PLC0415

    field_count = len(TypeCatalog.load().find(REFERENCE).fields)
    documents = reference_claims(count)
    header = Header(1, 1, 1, "2026-11-29", "2027-02-27", None)
    gc.collect()
    gc.freeze()  # the generated inputs are not garbage the build should pay for
    try:
        start = time.perf_counter()
        certificates = [seal(header, claims, field_count=field_count) for claims in documents]
        tree = BatchTree.build([certificate.root for certificate in certificates])
        proofs = tree.proofs()
        elapsed = time.perf_counter() - start
    finally:
        gc.unfreeze()
    if len(proofs) != count:
        raise RuntimeError("the build lost certificates")
    return count / elapsed


def write_source(folder: Path, form: str, documents: list[dict[str, object]]) -> Path:
    """The documents as an export file of `form` (jsonl, or one of `FORMATS`)."""
    if form == "jsonl":
        path = folder / "reference.jsonl"
        write_jsonl(path, documents)
        return path
    text = folder / "reference.csv"
    write_contribution_csv(text, documents)
    if form == "csv":
        return text
    if form == "csv-gb18030":
        path = folder / "reference-gb18030.csv"
        with text.open(encoding="utf-8", newline="") as source, path.open("wb") as target:
            for line in source:
                target.write(line.encode("gb18030"))
        return path
    if form != "xlsx":
        raise ValueError(f"unknown format {form!r}; give one of {', '.join(FORMATS)}")
    from openpyxl import Workbook  # noqa: PLC0415

    path = folder / "reference.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("缴费明细")
    with text.open(encoding="utf-8", newline="") as source:
        rows = csv.reader(source)
        header = next(rows)
        sheet.append(header)
        for row in rows:
            sheet.append([_excel_cell(column, cell) for column, cell in zip(header, row, strict=True)])
    workbook.save(path)
    return path


def _excel_cell(column: str, cell: str) -> object:
    """A cell as an operator's Excel holds it: amounts as numbers, a month as its first day."""
    if column in _NUMBERS:
        return int(cell)
    if column == "month":
        return datetime.date.fromisoformat(f"{cell}-01")
    return cell


def measure_reading(path: Path) -> float:
    """Certificates read and validated per second from `path`, in process."""
    from issuer import InputRow, read_documents  # noqa: PLC0415
    from ledger import TypeCatalog  # noqa: PLC0415

    certificate_type = TypeCatalog.load().find(REFERENCE)
    gc.collect()
    start = time.perf_counter()
    valid = sum(isinstance(row, InputRow) for row in read_documents(path, certificate_type))
    return valid / (time.perf_counter() - start)


def measure_formats(forms: tuple[str, ...], count: int) -> Figures:
    """For each format: certificates read per second, and issued end to end per second."""
    figures = Figures()
    documents = list(generate(REFERENCE, count, seed=7))
    for form in forms:
        with tempfile.TemporaryDirectory(prefix="certledger-bench-") as folder:
            path = write_source(Path(folder), form, documents)
            figures.add(f"read_per_second_{form}_{count}", round(measure_reading(path)), "certificates/s")
        rates, figures.node = measure_end_to_end(count, database_url=None, form=form)
        figures.add(
            f"end_to_end_per_second_{form}_{count}",
            round(rates["per_second"]),
            "certificates/s",
            target=">= 3000",
        )
    return figures


def measure_end_to_end(
    count: int, *, database_url: str | None, form: str = "jsonl"
) -> tuple[dict[str, float], Node]:
    """Issues `count` reference certificates from a file (of `form`) on a fresh deployment and
    database; with the node it anchored on."""
    from issuer import IssuerContext, IssuerSettings, anchoring_alongside, documents_from_file  # noqa: PLC0415
    from ledger import bootstrap_devnet  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="certledger-bench-") as folder:
        data = Path(folder)
        source = write_source(data, form, list(generate(REFERENCE, count, seed=7)))
        settings = bench_settings(IssuerSettings, data, database_url=database_url, batch_size=10_000)
        context = IssuerContext(settings)
        # Batches of up to 10,000, closed early when the worker's wait runs out: one per thousand
        # certificates, and two more, is ample.
        anchors = count // 1000 + 2
        try:
            with bench_node(context.chain) as node:
                ensure_funded(context.chain, {"governor": DEPLOY_GAS, "issuer": anchors * ANCHOR_GAS})
                bootstrap_devnet(context.chain)
                certificate_type = context.catalog.find(REFERENCE)
                issuance, worker = context.issuance(), context.worker()
                gc.collect()
                start = time.perf_counter()
                with anchoring_alongside(worker):
                    report = issuance.issue(documents_from_file(source, certificate_type), certificate_type)
                stored = time.perf_counter()
                outcome = worker.drain(timeout=3600)
                elapsed = time.perf_counter() - start
        finally:
            context.engine.dispose()
        if report.issued != count or outcome.pending or outcome.sending:
            raise RuntimeError(f"benchmark run incomplete: {report}, {outcome}")
        return {"per_second": count / elapsed, "stored_per_second": count / (stored - start)}, node


def measure_memory(count: int) -> tuple[dict[str, float], str]:
    """Runs the end-to-end issuance of `count` certificates in a child and reads its rate and
    peak memory, with the URL of the node it anchored on."""
    completed = subprocess.run(
        [sys.executable, "-m", "scripts.bench.issue", "--child", str(count)],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"the memory run (exit code {completed.returncode}) failed:\n{tail}")
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    return {"per_second": measured["per_second"], "peak_mb": measured["peak_mb"]}, str(measured["node"])


def measure_issue(
    *,
    build_counts: tuple[int, ...] = (10_000, 100_000),
    end_to_end_count: int = 20_000,
    memory_count: int = 100_000,
    postgres_url: str | None = None,
) -> Figures:
    """All issuance figures."""
    figures = Figures()
    rates = {}
    for count in build_counts:
        rates[count] = measure_build(count)
        figures.add(f"build_per_second_{count}", round(rates[count]), "certificates/s", target=">= 10000")
    if len(build_counts) == 2:
        small, large = build_counts
        figures.add(
            f"build_rate_ratio_{large}_to_{small}",
            round(rates[large] / rates[small], 2),
            "x",
            target="~1 (linear)",
        )
    sqlite, figures.node = measure_end_to_end(end_to_end_count, database_url=None)
    figures.add(
        f"end_to_end_per_second_sqlite_{end_to_end_count}",
        round(sqlite["per_second"]),
        "certificates/s",
        target=">= 3000",
    )
    postgres_url = postgres_url or os.environ.get("CERTLEDGER_TEST_DATABASE_URL")
    if postgres_url:
        with _scratch_postgres(postgres_url) as url:
            postgres, _ = measure_end_to_end(end_to_end_count, database_url=url)
        figures.add(
            f"end_to_end_per_second_postgresql_{end_to_end_count}",
            round(postgres["per_second"]),
            "certificates/s",
            target=">= 3000",
        )
    else:
        print("no PostgreSQL URL (CERTLEDGER_TEST_DATABASE_URL or --postgres): skipping it", file=sys.stderr)
    memory, memory_node = measure_memory(memory_count)
    if figures.node.external and memory_node != figures.node.url:
        raise RuntimeError(f"the memory run anchored on {memory_node}, not on {figures.node.url}")
    figures.add(
        f"end_to_end_per_second_sqlite_{memory_count}",
        round(memory["per_second"]),
        "certificates/s",
        target=">= 3000",
    )
    figures.add(f"peak_memory_{memory_count}", round(memory["peak_mb"]), "MB", target="< 1024")
    return figures


class _scratch_postgres:  # noqa: N801 — used as a context manager, reads like one
    """A throw-away database on the PostgreSQL server of `url`."""

    def __init__(self, url: str) -> None:
        self.base = url.rsplit("/", 1)[0]
        self.name = f"certledger_bench_{uuid.uuid4().hex[:10]}"
        self.admin = sa.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        return f"{self.base}/{self.name}"

    def __exit__(self, *exc: object) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


def _peak_kilobytes() -> int:
    """This process's peak resident size. VmHWM belongs to the process image alone; ru_maxrss
    would also count the parent's size at the fork that started us."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _child(count: int) -> None:
    figures, node = measure_end_to_end(count, database_url=None)
    print(
        json.dumps(
            {"per_second": figures["per_second"], "peak_mb": _peak_kilobytes() / 1024, "node": node.url}
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m scripts.bench.issue --child COUNT")
