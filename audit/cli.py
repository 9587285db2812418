"""``certledger audit …``: the auditor's questions answered from the chain, and reconciliation.

Every command but ``reconcile`` (and the proofs of ``access``, which come from the operators' log)
needs only a JSON-RPC endpoint (``CERTLEDGER_RPC_URL``) and a deployment manifest (``--manifest``,
else the data folder's manifest for the node's chain). Each brings the chain index up to date
first, with a progress bar, then prints a table; ``--json`` prints JSON instead and ``--csv FILE``
also writes the rows to a file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from web3 import Web3

from audit._accesslog import entry_proof, sizes_proof
from audit._context import AuditContext
from audit._errors import AuditConfigError, AuditQueryError
from audit._indexer import DEFAULT_PAGE_SIZE, ChainIndex, SyncReport, default_index_url
from audit._logaudit import MAX_PROOF_FILE, InclusionProofIn, check_inclusion_offline, read_inclusion_proof
from audit._models import access_log
from audit._out import Out
from audit._reconcile import KINDS, REPAIRABLE, Reconciler
from audit._reports import GROUPINGS, ChainAudit
from audit._settings import AuditSettings
from ledger import (
    ACCESS_LOG_ID,
    Deployment,
    LedgerConfigError,
    LogTreeError,
    connect,
    create_database_engine,
    default_database_url,
    load_manifest,
    manifest_path,
)
from ledger.cli import table_time

if TYPE_CHECKING:
    from issuer import AnchoringWorker

console = Console()
errors = Console(stderr=True)
audit_app = typer.Typer(
    help="Audit from the chain alone: issuance, status, trust, access, and reconciliation.",
    no_args_is_help=True,
)

ManifestOption = Annotated[
    Path | None,
    typer.Option("--manifest", help="Deployment manifest (default: <data>/deployments/<chain id>.json)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Also write the rows to this CSV file.")]
SyncOption = Annotated[bool, typer.Option(help="Bring the index up to the chain's head first.")]
FromOption = Annotated[
    datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (China time).")
]
ToOption = Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included.")]


def open_index(manifest: Path | None, *, page_size: int = DEFAULT_PAGE_SIZE) -> ChainIndex:
    """The chain index of the manifest's deployment, on the configured node and index database."""
    settings = AuditSettings()
    w3 = connect(settings.endpoint, timeout=settings.rpc_timeout)
    deployment = _deployment(w3, settings, manifest)
    url = settings.index_database_url or default_index_url(settings.data_dir, deployment.chain_id)
    return ChainIndex(w3, deployment, url=url, page_size=page_size)


def _deployment(w3: Web3, settings: AuditSettings, manifest: Path | None) -> Deployment:
    if manifest is not None:
        return load_manifest(manifest)
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as error:
        raise AuditConfigError(
            f"cannot ask the node at {settings.endpoint} for its chain id: {error}"
        ) from error
    path = manifest_path(settings.data_dir, chain_id)
    if not path.is_file():
        raise LedgerConfigError(f"no deployment manifest at {path}: give one with --manifest FILE")
    return load_manifest(path)


def sync_with_progress(index: ChainIndex, *, to_block: int | None = None, quiet: bool = False) -> SyncReport:
    """Brings the index up to date, showing a progress bar on standard error."""
    start = index.next_block()
    with Progress(
        TextColumn("indexing blocks"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]} events"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("index", total=None, events=0)

        def on_page(indexed_to: int, target: int, events: int) -> None:
            progress.update(task, completed=indexed_to - start + 1, total=target - start + 1, events=events)

        return index.sync(to_block=to_block, on_page=on_page)


@contextmanager
def _index_for(manifest: Path | None, *, sync: bool, quiet: bool) -> Iterator[ChainIndex]:
    index = open_index(manifest)
    try:
        if sync:
            sync_with_progress(index, quiet=quiet)
        elif not index.built():
            # An empty index would answer "nothing issued, nothing revoked": a wrong answer.
            raise AuditQueryError(
                "the index has never been built: run `certledger audit index` first (or drop --no-sync)"
            )
        yield index
    finally:
        index.engine.dispose()


def _dumped(rows: Iterable[Out]) -> list[dict[str, Any]]:
    """The rows as their JSON objects."""
    return [row.model_dump(mode="json") for row in rows]


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def emit(
    title: str,
    rows: Sequence[dict[str, Any]],
    *,
    as_json: bool,
    csv_file: Path | None,
    document: Any = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Prints `rows` as a table (or `document`, else the rows, as JSON) and writes them as CSV."""
    if csv_file is not None:
        write_csv(csv_file, rows)
    if as_json:
        print(json.dumps(rows if document is None else document, ensure_ascii=False, indent=2))
        return
    console.print(table_of(title, rows, columns=columns))
    if csv_file is not None:
        console.print(f"wrote {len(rows)} rows to {csv_file}")


def table_of(title: str, rows: Sequence[dict[str, Any]], *, columns: Sequence[str] | None = None) -> Table:
    """A rich table of dictionaries."""
    names = list(columns or (rows[0].keys() if rows else []))
    # rich draws a table without columns as a bare newline, hiding the title and the caption
    table = Table(title=title, show_header=bool(names))
    for name in names or [""]:
        table.add_column(name, overflow="fold")
    timed = False
    for row in rows:
        table.add_row(*(_cell(row.get(name), end=name in _END_COLUMNS) for name in names))
        timed = timed or any(_is_moment(row.get(name)) for name in names)
    if not rows:
        table.caption = "nothing in this period"
    elif timed:
        table.caption = "times in Beijing time (UTC+8)"
    return table


def _is_moment(value: Any) -> bool:
    return isinstance(value, str) and table_time(value) != value


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Writes `rows` (dictionaries of plain values) as CSV with a header line."""
    names = list(rows[0].keys()) if rows else []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow({name: _csv_value(row.get(name)) for name in names})


# Columns that end a window or a validity: empty means it has no end (长期).
_END_COLUMNS = frozenset({"until", "validUntil", "expires", "expiresAt"})


def _cell(value: Any, *, end: bool = False) -> str:
    """A value as a table shows it: times in Beijing time, to the second."""
    if value is None or isinstance(value, str):
        return table_time(value, end=end)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


# ---------------------------------------------------------------- commands


@audit_app.command("index")
def index_command(
    *,
    manifest: ManifestOption = None,
    to_block: Annotated[int | None, typer.Option("--to-block", min=0, help="Stop at this block.")] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="Blocks read and committed at a time.")
    ] = DEFAULT_PAGE_SIZE,
    as_json: JsonOption = False,
) -> None:
    """Bring the chain index up to the chain's head (resumable; follows reorganizations)."""
    index = open_index(manifest, page_size=page_size)
    try:
        report = sync_with_progress(index, to_block=to_block, quiet=as_json)
        summary = {
            "startBlock": report.start_block,
            "indexedTo": report.indexed_to,
            "head": report.head,
            "pages": report.pages,
            "events": report.events,
            "reorganizations": [{"lastIndexed": last, "ancestor": anc} for last, anc in report.reorgs],
            "rebuilt": report.rebuilt,
        }
    finally:
        index.engine.dispose()
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    table = Table(title="chain index", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("read from block", str(report.start_block))
    table.add_row("indexed to block", str(report.indexed_to))
    table.add_row("chain head", str(report.head))
    table.add_row("events read now", str(report.events))
    table.add_row("pages committed", str(report.pages))
    for last, ancestor in report.reorgs:
        table.add_row("reorganized", f"blocks after {ancestor} (up to {last}) were read again")
    if report.rebuilt:
        table.add_row("rebuilt", report.rebuilt)
    console.print(table)


@audit_app.command("issuance")
def issuance_command(
    *,
    start: FromOption = None,
    end: ToOption = None,
    by: Annotated[str, typer.Option("--by", help=f"Group by {', '.join(GROUPINGS)}.")] = "office",
    manifest: ManifestOption = None,
    sync: SyncOption = True,
    as_json: JsonOption = False,
    csv_file: CsvOption = None,
) -> None:
    """Batches and certificates anchored over a period, per office, type, day or month."""
    if by not in GROUPINGS:
        raise typer.BadParameter(f"--by is one of {', '.join(GROUPINGS)}")
    with _index_for(manifest, sync=sync, quiet=as_json) as index:
        rows = ChainAudit(index).issuance(start=_day(start), end=_day(end), by=by)
    data = _dumped(rows)
    total = {"batches": sum(r.batches for r in rows), "certificates": sum(r.certificates for r in rows)}
    emit(
        f"issuance by {by}", data, as_json=as_json, csv_file=csv_file, document={"rows": data, "total": total}
    )
    if not as_json:
        console.print(f"total: {total['batches']} batches, {total['certificates']} certificates")


@audit_app.command("batches")
def batches_command(
    *,
    start: FromOption = None,
    end: ToOption = None,
    office: Annotated[int | None, typer.Option(help="Only this office's batches.")] = None,
    manifest: ManifestOption = None,
    sync: SyncOption = True,
    as_json: JsonOption = False,
    csv_file: CsvOption = None,
) -> None:
    """Every batch anchored over a period."""
    with _index_for(manifest, sync=sync, quiet=as_json) as index:
        rows = ChainAudit(index).batches(start=_day(start), end=_day(end), office_id=office)
    emit("anchored batches", _dumped(rows), as_json=as_json, csv_file=csv_file)


@audit_app.command("status")
def status_command(
    *,
    start: FromOption = None,
    end: ToOption = None,
    manifest: ManifestOption = None,
    sync: SyncOption = True,
    as_json: JsonOption = False,
    csv_file: CsvOption = None,
) -> None:
    """Revocations, suspensions and reinstatements over a period, with their reason codes."""
    with _index_for(manifest, sync=sync, quiet=as_json) as index:
        audit = ChainAudit(index)
        changes = _dumped(audit.status_changes(start=_day(start), end=_day(end)))
        summary = _dumped(audit.status_summary(start=_day(start), end=_day(end)))
    columns = [
        "time",
        "block",
        "action",
        "reason",
        "reasonLabel",
        "officeId",
        "batchId",
        "certificates",
        "by",
    ]
    emit(
        "status changes",
        changes,
        as_json=as_json,
        csv_file=csv_file,
        document={"changes": changes, "summary": summary},
        columns=columns,
    )
    if not as_json:
        console.print(table_of("per action and reason", summary))


@audit_app.command("trust")
def trust_command(
    *,
    block: Annotated[
        int | None, typer.Option("--block", min=0, help="As of this block (default: the head).")
    ] = None,
    manifest: ManifestOption = None,
    sync: SyncOption = True,
    as_json: JsonOption = False,
    csv_file: CsvOption = None,
) -> None:
    """The issuer registry's offices, keys, validity windows and suspensions as of a block, and its
    history up to it."""
    with _index_for(manifest, sync=sync, quiet=as_json) as index:
        state = ChainAudit(index).trust(block=block)
    document = state.model_dump(mode="json")
    history = document["history"]
    if csv_file is not None:
        write_csv(csv_file, history)
    if as_json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return
    console.print(
        f"issuer registry as of block {state.block} ({table_time(document['blockTime'])}, Beijing time);"
        f" governor {state.governor}"
    )
    offices = [{**office, "types": _windows(office["types"])} for office in document["offices"]]
    console.print(table_of("offices", offices))
    console.print(table_of("keys", document["keys"]))
    operators = [
        {"logId": entry["logId"], "operators": ", ".join(entry["operators"])}
        for entry in document["logOperators"]
    ]
    console.print(table_of("access log operators", operators))
    console.print(table_of("history", history))
    if csv_file is not None:
        console.print(f"wrote {len(history)} rows to {csv_file}")


def _windows(types: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"type {t['typeId']}: {table_time(t['from'])} → {table_time(t['until'], end=True)}" for t in types
    )


@audit_app.command("access")
def access_command(
    *,
    entry: Annotated[
        int | None, typer.Option("--entry", min=0, help="Prove this log entry (from the operators' log).")
    ] = None,
    size: Annotated[
        int | None, typer.Option("--size", min=1, help="Log size for --entry (default: the latest anchored).")
    ] = None,
    sizes: Annotated[
        tuple[int, int] | None,
        typer.Option("--sizes", help="Prove the log at B entries extends the log at A."),
    ] = None,
    proof_file: Annotated[
        Path | None,
        typer.Option(
            "--proof",
            help="Check this inclusion proof (the JSON of /v1/audit/log/entries/SEQ/proof) offline: "
            "with the chain alone, not the operators' database or API.",
        ),
    ] = None,
    log_id: Annotated[str | None, typer.Option("--log-id", help="The log's 32-byte id in hex.")] = None,
    manifest: ManifestOption = None,
    sync: SyncOption = True,
    as_json: JsonOption = False,
    csv_file: CsvOption = None,
) -> None:
    """The access log's anchors on chain; with --entry or --sizes, a proof from the operators' log
    checked against the roots anchored on chain; with --proof, a proof from a file checked offline."""
    if size is not None and entry is None:
        raise typer.BadParameter(
            "it is the log size for --entry, and no --entry is given", param_hint="--size"
        )
    identifier = _log_id(log_id)
    if proof_file is not None:
        if entry is not None or sizes is not None or csv_file is not None:
            raise typer.BadParameter(
                "--proof checks a proof from a file: give it without --entry, --sizes or --csv",
                param_hint="--proof",
            )
        _check_proof_file(_read_proof_file(proof_file), identifier, manifest, sync=sync, as_json=as_json)
        return
    with _index_for(manifest, sync=sync, quiet=as_json) as index:
        audit = ChainAudit(index)
        anchors = _dumped(audit.log_anchors(log_id=identifier))
        checks = []
        if entry is not None:
            at = size if size is not None else (max((a["size"] for a in anchors), default=0) or None)
            if at is None:
                raise AuditQueryError("the log has no anchor on chain: give --size")
            with _operators_log() as connection:
                row = connection.execute(
                    sa.select(access_log.c.entry).where(access_log.c.seq == entry)
                ).scalar_one_or_none()
                if row is None:
                    raise AuditQueryError(f"the operators' log has no entry {entry}")
                proof = _proof(lambda: entry_proof(connection, entry, at))
            checks.append(
                audit.check_inclusion(log_id=identifier, seq=entry, size=at, entry=bytes(row), proof=proof)
            )
        if sizes is not None:
            first, second = sizes
            if not 0 < first <= second:
                raise AuditQueryError("--sizes A B needs 0 < A <= B")
            with _operators_log() as connection:
                proof = _proof(lambda: sizes_proof(connection, first, second))
            checks.append(audit.check_consistency(log_id=identifier, first=first, second=second, proof=proof))
    results = _dumped(checks)
    emit(
        "access log anchors",
        anchors,
        as_json=as_json,
        csv_file=csv_file,
        document={"anchors": anchors, "checks": results},
    )
    if results and not as_json:
        console.print(table_of("proofs checked against the roots on chain", results))
    if any(not check.verified for check in checks):
        raise typer.Exit(1)


def _read_proof_file(path: Path) -> InclusionProofIn:
    """The inclusion proof in `path`, or one line on standard error and exit code 2."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PROOF_FILE + 1)  # no more than that is ever read
        return read_inclusion_proof(data)
    except (OSError, AuditQueryError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        errors.print(f"[red]error:[/] {escape(f'{path}: {reason}')}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _check_proof_file(
    proof: InclusionProofIn, log_id: bytes, manifest: Path | None, *, sync: bool, as_json: bool
) -> None:
    """Checks `proof` against the root the chain index holds for its size; exit code 1 unless
    every step holds."""
    with _index_for(manifest, sync=sync, quiet=as_json) as index:
        check = check_inclusion_offline(proof, ChainAudit(index).anchored_root(log_id, proof.size))
    if as_json:
        print(json.dumps(check.model_dump(mode="json"), ensure_ascii=False, indent=2))
    elif check.verified:
        console.print(f"[green]verified:[/] {check.reason}", highlight=False)
    else:
        console.print(f"[red]not verified ({check.failed}):[/] {check.reason}", highlight=False)
    if not check.verified:
        raise typer.Exit(1)


def _log_id(text: str | None) -> bytes:
    if text is None:
        return ACCESS_LOG_ID
    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 32:
        raise typer.BadParameter("--log-id is 32 bytes in hex")
    return value


def _proof(build: Any) -> list[bytes]:
    try:
        return list(build())
    except LogTreeError as error:
        raise AuditQueryError(f"the operators' log cannot prove this: {error}") from error


@contextmanager
def _operators_log() -> Iterator[Any]:
    """A read-only connection to the operators' database (for the log's proofs)."""
    settings = AuditSettings()
    url = settings.database_url or default_database_url(settings.data_dir)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise LedgerConfigError(
            f"the proofs come from the operators' log, and there is no database at {url}: "
            "set CERTLEDGER_DATABASE_URL"
        )
    engine = create_database_engine(url, reader=True)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@audit_app.command("reconcile")
def reconcile_command(
    *,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Repair the safe cases: re-queue vanished batches, record or resend batches left "
            "sending by a worker gone (resending needs the issuer key), rewrite proofs, record the "
            "chain's status of a certificate.",
        ),
    ] = False,
    manifest: ManifestOption = None,
    as_json: JsonOption = False,
    csv_file: CsvOption = None,
) -> None:
    """Compare the operators' database with the chain and classify every difference; exit 1 when
    any difference remains unrepaired."""
    context = AuditContext()

    def anchoring() -> AnchoringWorker:
        # A repair never makes a key: without the issuer's, the stuck batches stay reported.
        context.chain.account("issuer", create=False)
        return context.worker()

    index = open_index(manifest)
    try:
        sync_with_progress(index, quiet=as_json)
        report = Reconciler(
            context.engine,
            index,
            reader=context.engine,
            clock=context.clock,
            anchoring=anchoring if repair else None,
        ).run(repair=repair, sync=False)
    finally:
        index.engine.dispose()
        context.engine.dispose()
    document = report.model_dump(mode="json")
    differences = document["differences"]
    if csv_file is not None:
        write_csv(csv_file, differences)
    if as_json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        console.print(
            f"checked {report.batches_checked} batches, {report.certificates_checked} certificates and "
            f"{report.log_entries_checked} log entries against the chain up to block {report.indexed_to}"
        )
        counts = [
            {
                "kind": kind,
                "found": report.counts[kind],
                "repairable": kind in REPAIRABLE,
                "repaired": sum(d.repaired for d in report.differences if d.kind == kind),
                "meaning": meaning,
            }
            for kind, meaning in KINDS.items()
        ]
        console.print(table_of("differences per kind", counts))
        if differences:
            console.print(table_of("differences", differences))
        else:
            console.print("[green]the database and the chain agree[/]")
    if any(not difference.repaired for difference in report.differences):
        raise typer.Exit(1)
