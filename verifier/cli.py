"""The verifier's commands: ``certledger verify`` and ``certledger present``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ledger import Certificate, CertificateTypeError, DocumentFormatError, TypeCatalog
from ledger.cli import table_times
from verifier._config import verifier_from_settings
from verifier._errors import GrantLinkError, UnreadableDocumentError, VerifierConfigError
from verifier._grants import GRANT_CHECK_TITLES, verify_redemption
from verifier._links import GrantLink
from verifier._results import CHECK_TITLES, CheckStatus, Verdict, Verification
from verifier._settings import VerifierSettings
from verifier._sources import (
    bytes_from,
    bytes_from_file,
    bytes_from_qr,
    parse_document,
    redeem_grant_link,
)
from verifier._verify import Verifier

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
    source: Annotated[
        str | None, typer.Argument(help="A document file, an http(s) link to one, or a grant link.")
    ] = None,
    qr: Annotated[
        Path | None, typer.Option("--qr", help="An image of a QR code (photo or screenshot).")
    ] = None,
    unit_key: Annotated[
        str | None,
        typer.Option(
            "--unit-key",
            help="The unit's API key, to redeem a grant link (CERTLEDGER_UNIT_KEY keeps it out of ps).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
) -> None:
    """Verify a certificate, presentation or credential from the chain alone; a grant link is
    redeemed with the unit's key, and what the wallet hands over is verified the same way.

    Exit code 0 for VALID, 1 for INVALID, 3 for INDETERMINATE (the chain could not answer),
    2 when the document cannot be obtained (a grant link without the unit's key or refused by
    the wallet included) or the verifier is not set up (no trusted ledger).
    """
    if (source is None) == (qr is None):
        raise typer.BadParameter("give a file or link, or --qr IMAGE")
    settings = _settings()
    key = unit_key or (settings.unit_key.get_secret_value() if settings.unit_key else None)
    data, grant = b"", None
    try:
        data = bytes_from_qr(qr) if qr is not None else bytes_from(str(source))
    except GrantLinkError as error:
        if not key:
            _fail(f"{error}; give the unit's key with --unit-key KEY or in CERTLEDGER_UNIT_KEY")
        grant = (error.link, key)
    except UnreadableDocumentError as error:
        _fail(str(error))
    if unit_key and grant is None:
        # Refused, not ignored: a unit that believes it redeemed a grant must not get a verdict
        # on whatever document the source held instead.
        _fail("--unit-key redeems a grant link, and this source holds a document: leave the key out")
    # Set up before redeeming: a unit that cannot verify must not spend one of the grant's uses.
    verifier = _verifier(settings)
    if grant is None:
        result = verifier.verify_text(data)
    else:
        link, key = grant
        result = _redeemed(verifier, link, key=key, wallet=settings.wallet_url)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        console.print(render_verification(result, verifier.catalog))
    raise typer.Exit(EXIT_CODES[result.verdict])


def _settings() -> VerifierSettings:
    try:
        return VerifierSettings()
    except ValidationError as error:
        wrong = "; ".join(
            f"CERTLEDGER_{str(problem['loc'][0]).upper()}: {problem['msg']}"
            if problem["loc"]
            else problem["msg"]
            for problem in error.errors()
        )
        _fail(f"the verifier's settings are not valid: {wrong}")


def _verifier(settings: VerifierSettings) -> Verifier:
    """The configured verifier; exit code 2, saying what to set, when it is not set up."""
    try:
        return verifier_from_settings(settings)
    except (VerifierConfigError, CertificateTypeError) as error:
        _fail(str(error))


def _redeemed(verifier: Verifier, link: GrantLink, *, key: str, wallet: str | None) -> Verification:
    """The verdict on what the wallet hands the unit for `link`; exit code 2 when it refuses."""
    try:
        redeemed = redeem_grant_link(link, unit_key=key, wallet=wallet)
    except UnreadableDocumentError as error:
        _fail(str(error))
    result = verify_redemption(verifier, redeemed)
    said = redeemed.verification.get("verdict")
    if said != str(result.verdict):
        said = said if isinstance(said, str) and said in set(Verdict) else "not given"
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]note:[/] the wallet's own verdict was {said}; "
            f"the verdict here is {result.verdict}, from this verifier's ledger"
        )
    return result


def _fail(message: str) -> NoReturn:
    """Exit code 2 with `message` on standard error: nothing could be verified."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(2)


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
            CHECK_TITLES.get(check.name) or GRANT_CHECK_TITLES.get(check.name, check.name),
            Text(table_times(check.reason), style=colour if check.status is not CheckStatus.PASSED else ""),
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
    """Write a presentation of a certificate that discloses only the chosen fields.

    Exit code 0 when it is written, 2 when the certificate cannot be read, names no such field,
    or the presentation cannot be written.
    """
    try:
        document = Certificate.from_json(
            parse_document(bytes_from_file(certificate), origin=str(certificate))
        )
        presentation = document.present([name.strip() for name in fields.split(",") if name.strip()])
    except (UnreadableDocumentError, DocumentFormatError) as error:
        _fail(str(error))
    text = json.dumps(presentation.to_json(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {out}: {error.strerror}")
    console.print(f"wrote a presentation of {len(presentation.disclosed)} field(s) to {out}")
