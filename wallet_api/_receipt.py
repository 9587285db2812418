"""A unit's receipt of one verification, as an A4 PDF for its files.

It says who verified what and when (Beijing time), with which outcome, which fields were shown
(by name, never their values), and the access-log entry that records the same redemption: an
auditor finds it there by its sequence number and proves it against the roots on chain. The
font and styles are the printed certificate's (`wallet_api._print`), so both papers look alike.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ledger import beijing_time
from wallet_api._print import _CELL, _HEADING, _MUTED, _RULE, _SMALL, _SUBTITLE, _TITLE
from wallet_api._print_font import FONT, printing
from wallet_api._unit_history import UnitVerificationEntry
from wallet_api.pages._i18n import messages_for

_FOOTER = "certledger · 核验回执 · verification receipt"


def _when(moment: datetime, lang: str) -> str:
    local = beijing_time(moment)
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（北京时间）"
    return f"{local:%d %b %Y %H:%M:%S} (Beijing time)"


def _p(text: str, style: ParagraphStyle = _CELL) -> Paragraph:
    return Paragraph(escape(text), style)


def _rows(pairs: Sequence[tuple[str, str]]) -> Table:
    table = Table([[_p(label, _SMALL), _p(value)] for label, value in pairs], colWidths=[46 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def receipt_pdf(
    entry: UnitVerificationEntry,
    *,
    unit_name: str,
    credit_code: str,
    printed_at: datetime,
    lang: str = "zh",
) -> bytes:
    """The receipt of `entry` for the unit that made it, in `lang` (``zh`` or ``en``)."""
    words = messages_for(lang)
    title = entry.type_title.get(lang) or entry.type_title.get("zh") or entry.type_key
    verdict = words[f"verdict.{entry.verdict}"]
    if entry.decisive is not None:
        verdict += (
            f"（{words[f'check.{entry.decisive}']}）"
            if lang == "zh"
            else f" ({words[f'check.{entry.decisive}']})"
        )
    separator = "、" if lang == "zh" else ", "
    fields = separator.join(field.label.get(lang) or field.name for field in entry.fields) or "—"
    who = [
        (words["uv.receipt.unit"], unit_name),
        (words["uv.receipt.credit_code"], credit_code),
        (words["uv.receipt.time"], _when(entry.at, lang)),
    ]
    what = [
        (words["uv.receipt.type"], title),
        (words["uv.number"], entry.certificate_number or words["uv.not_disclosed"]),
        (words["verify.office"], entry.office_name or words["verify.office_unknown"]),
        (words["uv.receipt.verdict"], verdict),
        (words["uv.receipt.fields"], fields),
    ]
    audit = [
        (words["uv.receipt.seq"], str(entry.log_seq)),
        (words["uv.receipt.root"], entry.document_root),
        (words["uv.receipt.id"], entry.id),
    ]
    headings = [words[f"uv.receipt.{key}"] for key in ("title", "lead", "who", "what", "audit", "note")]
    printed = f"{words['uv.receipt.printed']} {_when(printed_at, lang)}"
    with printing(_FOOTER, printed, *headings, *(text for pair in (*who, *what, *audit) for text in pair)):
        return _build(
            who=who,
            what=what,
            audit=audit,
            printed=printed,
            words=words,
            unit_name=unit_name,
            seq=entry.log_seq,
        )


def _build(
    *,
    who: Sequence[tuple[str, str]],
    what: Sequence[tuple[str, str]],
    audit: Sequence[tuple[str, str]],
    printed: str,
    words: Mapping[str, str],
    unit_name: str,
    seq: int,
) -> bytes:
    story: list[Flowable] = [
        _p(words["uv.receipt.title"], _TITLE),
        _p(words["uv.receipt.lead"], _SUBTITLE),
        Spacer(1, 4 * mm),
        _p(words["uv.receipt.who"], _HEADING),
        _rows(who),
        _p(words["uv.receipt.what"], _HEADING),
        _rows(what),
        _p(words["uv.receipt.audit"], _HEADING),
        _rows(audit),
        Spacer(1, 6 * mm),
        _p(words["uv.receipt.note"], _SMALL),
        _p(printed, _SMALL),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=words["uv.receipt.title"],
        author=unit_name,
        subject=f"log entry {seq}",
        creator="certledger",
    )
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _footer(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.setFillColor(_MUTED)
    canvas.drawString(18 * mm, 10 * mm, _FOOTER)
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(document.page))
    canvas.restoreState()
