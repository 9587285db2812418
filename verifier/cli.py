"""The verifier's commands: ``certledger verify`` and ``certledger present``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ledger import Certificate, DocumentFormatError, TypeCatalog
from verifier._config import verifier_from_settings
from verifier._errors import UnreadableDocumentError
from verifier._results import CHECK_TITLES, CheckStatus, Verdict, Verification
from verifier._settings import VerifierSettings
from verifier._sources import bytes_from, bytes_from_qr, parse_document

console = Console()
EXIT_CODES = {Verdict.VALID: 0, Verdict.INVALID: 1, Verdict.INDETERMINATE: 3}
_MARKS = {
    CheckStatus.PASSED: ("✓", "green"),
    CheckStatus.FAILED: ("✗", "red"),
    CheckStatus.UNKNOWN: ("?", "yellow"),
    CheckStatus.SKIPPED: ("·", "grey50"),
}
_VERDICT_STYLE = {
    Verdict.VALID: "bold white on green",
    Verdict.INVALID: "bold white on red",
    Verdict.INDETERMINATE: "bold black on yellow",
}


def verify(
    source: Annotated[str | None, typer.Argument(help="A document file, or an http(s) link to one.")] = None,
    qr: Annotated[
        Path | None, typer.Option("--qr", help="An image of a QR code (photo or screenshot).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
) -> None:
    """Verify a certificate, presentation or credential from the chain alone.

    Exit code 0 for VALID, 1 for INVALID, 3 for INDETERMINATE (the chain could not answer),
    2 when the document cannot be obtained at all.
    """
    if (source is None) == (qr is None):
        raise typer.BadParameter("give a file or link, or --qr IMAGE")
    settings = VerifierSettings()
    try:
        data = bytes_from_qr(qr) if qr is not None else bytes_from(str(source))
    except UnreadableDocumentError as error:
        Console(stderr=True).print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from None
    verifier = verifier_from_settings(settings)
    result = verifier.verify_text(data)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        console.print(render_verification(result, verifier.catalog))
    raise typer.Exit(EXIT_CODES[result.verdict])


def render_verification(result: Verification, catalog: TypeCatalog) -> Panel:
    """The verdict as a checklist a clerk reads at a glance."""
    title = Text(f" {result.verdict} ", style=_VERDICT_STYLE[result.verdict])
    title.append(f"  {result.reason}", style="bold")
    checks = Table(show_header=False, box=None, pad_edge=False)
    checks.add_column(width=2)
    checks.add_column(style="bold")
    checks.add_column()
    for check in result.checks:
        mark, colour = _MARKS[check.status]
        checks.add_row(
            Text(mark, style=colour),
            CHECK_TITLES[check.name],
            Text(check.reason, style=colour if check.status is not CheckStatus.PASSED else ""),
        )
    parts: list[Any] = [title, ""]
    if result.office_name:
        parts.append(
            Text.assemble(
                ("Issued by ", "bold"), result.office_name, " (name from the issuer registry on chain)"
            )
        )
    if result.type_name:
        parts.append(Text.assemble(("Certificate type ", "bold"), result.type_name))
    parts += ["", checks]
    if result.disclosed:
        parts += ["", _disclosed_table(result, catalog)]
    return Panel(Group(*parts), title="certledger verification", expand=False)


def _disclosed_table(result: Verification, catalog: TypeCatalog) -> Table:
    table = Table(title="disclosed fields", show_lines=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    certificate_type = next((t for t in catalog if t.key == result.type_name), None)
    for name, value in result.disclosed.items():
        label = certificate_type.field_title(name) if certificate_type else name
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        table.add_row(
            f"{label} ({name})" if label != name else name, text if len(text) <= 300 else text[:297] + "…"
        )
    return table


def present(
    certificate: Annotated[
        Path, typer.Argument(help="The certificate file (as exported).", exists=True, dir_okay=False)
    ],
    fields: Annotated[str, typer.Option(help="Comma-separated fields to disclose, e.g. pension,period.")],
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Write a presentation of a certificate that discloses only the chosen fields."""
    try:
        document = Certificate.from_json(parse_document(certificate.read_bytes(), origin=str(certificate)))
        presentation = document.present([name.strip() for name in fields.split(",") if name.strip()])
    except (UnreadableDocumentError, DocumentFormatError) as error:
        Console(stderr=True).print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from None
    text = json.dumps(presentation.to_json(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote a presentation of {len(presentation.disclosed)} field(s) to {out}")
