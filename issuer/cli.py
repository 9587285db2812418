"""The issuer's commands: issue, worker, revoke / suspend / reinstate, safe, types, export, office."""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from issuer._context import IssuerContext
from issuer._errors import IntakeError
from issuer._holders import index_holder_names, unindexed_names
from issuer._issuing import IssueReport
from issuer._pipeline import documents_from_file
from issuer._refusals import RefusedRows
from issuer._rejections import Rejection
from issuer._status import ACTION_REASONS, ACTIONS, ReasonMismatchError, StatusReport, operator_reasons
from issuer._store import rotate_master_key
from issuer._worker import StepOutcome, anchoring_alongside
from ledger import (
    CertificateType,
    ChainUnavailableError,
    ContractRevertError,
    Reason,
    TypeCatalog,
    certificate_to_vc,
    load_type,
)

console = Console()
SHOWN_REJECTIONS = 20

safe_app = typer.Typer(
    help="Maintain the encrypted safe: rotate the master key, erase a citizen (the wallet adds `erase`).",
    no_args_is_help=True,
)
types_app = typer.Typer(help="List and register certificate types.", no_args_is_help=True)
office_app = typer.Typer(
    help="The office's upkeep of its certificates: the name index.", no_args_is_help=True
)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def issue(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8 or GB18030), XLSX (first sheet), or JSON Lines (.jsonl), one document a line.",
            exists=True,
            dir_okay=False,
        ),
    ],
    type_: Annotated[str, typer.Option("--type", "-t", help="Certificate type: name, name/vN or id.")],
    report: Annotated[
        Path | None, typer.Option(help="Write every refused row (line, number, reason) to this CSV.")
    ] = None,
    refused: Annotated[
        Path | None,
        typer.Option(
            help="Write the refused rows as they are in the file, with 行号 and 拒绝原因 in front, to fix"
            " and upload again (CSV in UTF-8 with BOM; JSON Lines for a JSON Lines file).",
            dir_okay=False,
        ),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Anchor the new certificates before returning.")] = True,
) -> None:
    """Issue certificates from the core system's export: validate, seal, encrypt, store, anchor.

    Bad rows are refused with their line and reason while the good ones are issued. Re-running
    the same file issues nothing new. Exit code 0 when every row was issued (or already was),
    2 when some rows were refused, or the whole file (one without records, say).
    """
    context = IssuerContext()
    certificate_type = context.catalog.find(type_)
    with RefusedRows(file, certificate_type) as refused_rows:
        try:
            outcome = _issue_file(context, certificate_type, file, wait=wait, on_rejection=refused_rows.add)
        except IntakeError as error:
            errors = Console(stderr=True)
            errors.print(f"[red]error:[/] {escape(str(error))}")
            errors.print(f"[red]错误：[/]{escape(error.reason_zh)}")
            raise typer.Exit(2) from None
        _print_issue_report(outcome, report)
        if refused is not None:
            written = refused_rows.write(refused)
            console.print(f"被拒绝的 {written:,} 份证明已按原样写入 {escape(str(refused))}，改正后可再次上传")
    if outcome.rejected:
        raise typer.Exit(2)


def _issue_file(
    context: IssuerContext,
    certificate_type: CertificateType,
    file: Path,
    *,
    wait: bool,
    on_rejection: Callable[[Rejection], None] | None = None,
) -> IssueReport:
    """Issues `file` with a progress bar, and anchors what it issued when asked to wait."""
    issuance = context.issuance()
    size = file.stat().st_size
    with _progress() as progress:
        task = progress.add_task(f"issuing {certificate_type.key}", total=size)
        documents = documents_from_file(
            file,
            certificate_type,
            schema_directories=(context.settings.data_dir / "schemas",),
            progress=lambda n: progress.advance(task, n),
        )
        if wait:
            # Anchor while issuing, as the service does; what is left is drained below.
            with anchoring_alongside(context.worker()):
                outcome = issuance.issue(documents, certificate_type, on_rejection=on_rejection)
        else:
            outcome = issuance.issue(documents, certificate_type, on_rejection=on_rejection)
        progress.update(task, completed=size)
        if wait and outcome.issued:
            _anchor_with_progress(context, progress, outcome.issued)
    return outcome


def _anchor_with_progress(context: IssuerContext, progress: Progress, issued: int) -> None:
    worker = context.worker()
    task = progress.add_task("anchoring on chain", total=issued)

    def show(step: StepOutcome) -> None:
        progress.update(task, completed=max(issued - step.pending - step.sending, 0))
        if step.error:
            progress.console.print(f"[yellow]waiting for the chain:[/] {step.error}")
        elif not step.leader:
            progress.update(task, description="anchoring (by the running worker)")

    outcome = worker.drain(on_step=show)
    if outcome.pending == 0 and outcome.sending == 0:
        progress.update(task, completed=issued)


def _print_issue_report(outcome: IssueReport, report: Path | None) -> None:
    summary = Table(show_header=False, box=None)
    summary.add_row("documents read", f"{outcome.read:,}")
    summary.add_row("issued", f"[green]{outcome.issued:,}[/]")
    summary.add_row("already issued (skipped)", f"{outcome.already_issued:,}")
    summary.add_row("refused", f"[red]{outcome.refused:,}[/]" if outcome.refused else "0")
    console.print(summary)
    console.print(
        f"读取 {outcome.read:,} 份，签发 {outcome.issued:,} 份，"
        f"已签发过（跳过）{outcome.already_issued:,} 份，拒绝 {outcome.refused:,} 份"
    )
    if outcome.rejected:
        table = Table(title="被拒绝的行 refused rows")
        table.add_column("证明编号")
        table.add_column("拒绝原因")
        for rejection in outcome.rejected[:SHOWN_REJECTIONS]:
            table.add_row(escape(rejection.number or "—"), escape(rejection.sentence("zh")))
        console.print(table)
        if len(outcome.rejected) > SHOWN_REJECTIONS and report is None:
            more = len(outcome.rejected) - SHOWN_REJECTIONS
            console.print(f"{more} more; --report FILE writes them all")
            console.print(f"另有 {more:,} 份未列出；--refused FILE 写出全部被拒绝的行")
    if report is not None:
        with report.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "certificate_no", "reason"])
            for rejection in outcome.rejected:
                writer.writerow([rejection.line, rejection.number or "", rejection.reason])
        console.print(f"wrote {len(outcome.rejected)} refused rows to {report}")


def worker(
    once: Annotated[bool, typer.Option(help="Run one step and exit.")] = False,
) -> None:
    """Run the anchoring worker: anchor waiting certificates in batches until stopped (Ctrl-C)."""
    context = IssuerContext()
    stop = threading.Event()
    _stop_on_signals(stop)
    pause = 0.5
    while True:
        # A service outlives a chain outage, including one at its own start.
        try:
            anchoring = context.worker()
            break
        except ChainUnavailableError as error:
            if once or stop.is_set():
                raise
            console.print(f"[yellow]waiting for the chain:[/] {error}")
            stop.wait(pause)
            pause = min(pause * 2, 10.0)
    if once:
        console.print(anchoring.step())
        return
    console.print(f"anchoring worker for office {context.office_id} running; Ctrl-C stops it")

    def show(step: StepOutcome) -> None:
        if step.anchored or step.resent or step.reverted or step.error:
            console.print(step)

    anchoring.run(stop, poll=context.settings.worker_poll, on_step=show)


def _stop_on_signals(stop: threading.Event) -> None:
    import signal  # noqa: PLC0415

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())


# Module-level: typer evaluates the (postponed) annotations below in the module's namespace.
_REASON_HELP = "Reason code, a number or a label; " + "; ".join(
    f"{action} takes {', '.join(reason.label for reason in operator_reasons(action))}" for action in ACTIONS
)


def _status_command(action: str) -> Callable[..., None]:
    def command(
        numbers: Annotated[list[str] | None, typer.Argument(help="Certificate numbers.")] = None,
        reason: Annotated[str, typer.Option(help=_REASON_HELP)] = "",
        file: Annotated[
            Path | None, typer.Option(help="A file with one certificate number per line.", exists=True)
        ] = None,
    ) -> None:
        wanted = list(numbers or [])
        if file is not None:
            wanted += [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not wanted:
            raise typer.BadParameter("name at least one certificate number, or --file")
        try:
            code = Reason.parse(reason)
        except (KeyError, ValueError):
            raise typer.BadParameter(f"unknown reason {reason!r}", param_hint="--reason") from None
        if code not in ACTION_REASONS[action]:  # before the chain is reached: the service refuses it too
            raise typer.BadParameter(str(ReasonMismatchError(action, code)), param_hint="--reason")
        context = IssuerContext()
        outcome = context.statuses().change(wanted, action, code)
        _print_status_report(action, outcome)
        if outcome.refused:
            raise typer.Exit(2)

    command.__doc__ = {
        "revoke": "Revoke certificates, permanently, with a reason (one transaction per batch touched).",
        "suspend": "Suspend certificates until reinstated (one transaction per batch touched).",
        "reinstate": "Reinstate suspended certificates (one transaction per batch touched).",
    }[action]
    return command


def _print_status_report(action: str, outcome: StatusReport) -> None:
    past = ACTIONS[action][1]
    changed, unchanged, refused = len(outcome.changed), len(outcome.unchanged), len(outcome.refused)
    console.print(f"{past}: {changed}, already {past}: {unchanged}, refused: {refused}")
    for transaction in outcome.transactions:
        console.print(f"  transaction 0x{transaction.hex()}")
    if outcome.refused:
        table = Table(title="refused")
        table.add_column("certificate")
        table.add_column("reason")
        for number, why in outcome.refused:
            table.add_row(number, why)
        console.print(table)


revoke = _status_command("revoke")
suspend = _status_command("suspend")
reinstate = _status_command("reinstate")


def export(
    number: Annotated[str, typer.Argument(help="Certificate number.")],
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    vc: Annotated[bool, typer.Option("--vc", help="As a W3C Verifiable Credential 2.0 document.")] = False,
) -> None:
    """Write a certificate as the JSON document its holder receives (or as a VC 2.0 credential)."""
    context = IssuerContext()
    certificate = context.store().by_number(number).certificate
    if vc:
        certificate_type = context.catalog.get(certificate.header.type_id, certificate.header.version)
        document = certificate_to_vc(
            certificate, type_name=certificate_type.name, schema_id=str(certificate_type.schema.get("$id"))
        )
    else:
        document = certificate.to_json()
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote certificate {number} to {out}")


@safe_app.command("rotate-master-key")
def rotate(
    limit: Annotated[
        int | None, typer.Option(help="Stop after this many data keys (the next run resumes).")
    ] = None,
) -> None:
    """Wrap every data key under a new master key; resumable. Old keys retire, then go for good."""
    context = IssuerContext()
    engine = context.engine
    with _progress() as progress:
        task = progress.add_task("rewrapping data keys", total=None)
        outcome = rotate_master_key(
            engine, context.keyring, limit=limit, progress=lambda n: progress.advance(task, n)
        )
    console.print(
        f"current master key {outcome.current}: rewrapped {outcome.rewrapped}, remaining {outcome.remaining}"
    )
    if outcome.retired:
        console.print(
            f"retired the old master keys {', '.join(outcome.retired)} (deleted at the next rotation)"
        )
    if outcome.purged:
        console.print(f"deleted the master keys retired earlier: {', '.join(outcome.purged)}")


@types_app.command("list")
def types_list() -> None:
    """The certificate types this installation knows."""
    context = IssuerContext()
    table = Table()
    for column in ("id", "name", "version", "title", "fields", "schema"):
        table.add_column(column)
    for certificate_type in context.catalog:
        source = certificate_type.source.name if certificate_type.source else ""
        title = certificate_type.title.get("zh-CN") or certificate_type.title.get("en", "")
        table.add_row(
            str(certificate_type.type_id), certificate_type.name, str(certificate_type.version),
            title, str(len(certificate_type.fields)), source,
        )  # fmt: skip
    console.print(table)


@types_app.command("register")
def types_register(
    schema: Annotated[
        Path, typer.Argument(help="The type's JSON Schema with its x-certledger block.", exists=True)
    ],
    office: Annotated[
        int | None, typer.Option(help="Office to allow the type (default: the issuer key's office).")
    ] = None,
) -> None:
    """Add a certificate type: check the schema, install it, and allow it to the office on chain."""
    context = IssuerContext()
    new_type = load_type(schema)
    installed = context.settings.data_dir / "schemas"
    target = installed / f"{new_type.name}.v{new_type.version}.json"
    with tempfile.TemporaryDirectory() as staging:
        shutil.copyfile(schema, Path(staging) / target.name)
        TypeCatalog.load(installed, Path(staging))  # refuses an id or name that clashes
    installed.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema, target)
    office_id = office if office is not None else context.office_id
    governor = context.chain.ledger("governor")
    try:
        governor.allow_certificate_type(office_id, new_type.type_id)
        console.print(f"allowed type {new_type.type_id} to office {office_id} on chain")
    except ContractRevertError as error:
        if error.error != "IssuerRegistryTypeAlreadyAllowed":
            raise
        console.print(f"office {office_id} may already issue type {new_type.type_id}")
    console.print(f"registered {new_type.key} (type id {new_type.type_id}) from {schema.name}")


@office_app.command("index-names")
def index_names() -> None:
    """Fill the name hash of certificates issued before search by name, from their sealed bodies.

    Idempotent and resumable: only revisions without a hash are read, a chunk a transaction.
    Revisions of erased citizens (or whose body fails the safe's check), and of types without a
    holder-name field, keep none.
    """
    context = IssuerContext()
    engine = context.engine
    with _progress() as progress:
        task = progress.add_task("indexing holder names", total=unindexed_names(engine))
        report = index_holder_names(
            engine,
            context.safe,
            context.hasher,
            context.catalog,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(
        f"indexed {report.indexed:,}; without a holder name {report.nameless:,}; "
        f"unreadable (erased or altered) {report.unreadable:,}"
    )
