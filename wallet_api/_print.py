"""The printable certificate as a PDF: the same view model as the pages, on A4, with the grant's QR
code so that a counter can verify the paper against the ledger.

Chinese text uses the Adobe CID font STSong-Light, which every PDF reader carries: nothing is
embedded and nothing is downloaded.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ledger import Anchor, beijing_time
from wallet_api._grants import StoredGrant
from wallet_api._qr import qr_png

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_INK = colors.HexColor("#1b2430")
_MUTED = colors.HexColor("#5b6574")
_RULE = colors.HexColor("#c9d1dc")
_BAND = colors.HexColor("#eef2f7")

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=20, leading=26, textColor=_INK, spaceAfter=2 * mm)
_SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=10, leading=14, textColor=_MUTED)
_HEADING = ParagraphStyle(
    "heading", fontName=FONT, fontSize=12, leading=16, textColor=_INK, spaceBefore=5 * mm, spaceAfter=2 * mm
)
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=11, textColor=_INK)
_CELL_RIGHT = ParagraphStyle("cell-right", parent=_CELL, alignment=TA_RIGHT)
_SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8, leading=11, textColor=_MUTED)


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get("zh") or "")
    return "" if value is None else str(value)


def _p(value: Any, lang: str, style: ParagraphStyle = _CELL) -> Paragraph:
    return Paragraph(escape(_text(value, lang)), style)


def certificate_pdf(
    view: Mapping[str, Any],
    *,
    number: str,
    office: str | None,
    verdict: str,
    verdict_reason: str,
    anchor: Anchor | None,
    link: str | None,
    grant: StoredGrant | None,
    checked_at: datetime,
    lang: str = "zh",
) -> bytes:
    """The certificate as an A4 PDF: with its anchor when it has one, and with the grant's QR code
    when a grant's `link` is given."""
    zh = lang == "zh"
    story: list[Flowable] = [
        _p(view["title"], lang, _TITLE),
        _p(
            f"{'证明编号' if zh else 'Certificate no.'} {number}"
            + (f" · {'出具机构' if zh else 'Issued by'} {office}" if office else ""),
            lang,
            _SUBTITLE,
        ),
    ]
    for section in view["sections"]:
        if section.get("title"):
            story.append(_p(section["title"], lang, _HEADING))
        else:
            story.append(Spacer(1, 4 * mm))
        if section["kind"] == "fields":
            story.append(_fields_table(section["rows"], lang))
        else:
            story.append(_records_table(section, lang))
            if section["summary"]:
                story.append(Spacer(1, 2 * mm))
                story.append(_fields_table(section["summary"], lang))
    story.append(Spacer(1, 8 * mm))
    story.append(_verification_block(verdict, verdict_reason, anchor, link, grant, checked_at, lang))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_text(view["title"], lang),
        author=office or "certledger",
        subject=number,
        creator="certledger",
    )
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _fields_table(rows: list[Mapping[str, Any]], lang: str) -> Table:
    data = [[_p(row["label"], lang, _SMALL), _p(row["value"], lang)] for row in rows]
    table = Table(data, colWidths=[50 * mm, None], hAlign="LEFT")
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


def _records_table(section: Mapping[str, Any], lang: str) -> Table:
    columns = section["columns"]
    styles = [_CELL_RIGHT if column["amount"] else _CELL for column in columns]
    data: list[list[Paragraph]] = [[_p(column["label"], lang, _SMALL) for column in columns]]
    data += [
        [_p(cell, lang, style) for cell, style in zip(row, styles, strict=True)] for row in section["rows"]
    ]
    if section.get("totals"):
        data.append([_p(cell, lang, style) for cell, style in zip(section["totals"], styles, strict=True)])
    table = Table(data, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), _BAND),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if section.get("totals"):
        commands += [("LINEABOVE", (0, -1), (-1, -1), 0.8, _INK), ("BACKGROUND", (0, -1), (-1, -1), _BAND)]
    table.setStyle(TableStyle(commands))
    return table


def _verification_block(  # noqa: PLR0917 — the block's parts, in reading order
    verdict: str,
    reason: str,
    anchor: Anchor | None,
    link: str | None,
    grant: StoredGrant | None,
    checked_at: datetime,
    lang: str,
) -> Table:
    zh = lang == "zh"
    lines = [
        f"{'链上核验' if zh else 'Checked against the ledger'}: {verdict} — {reason}",
        f"{'核验时间' if zh else 'Checked at'}: {beijing_time(checked_at):%Y-%m-%d %H:%M} "
        + ("（北京时间）" if zh else "(Beijing time)"),
    ]
    if anchor is not None:
        transaction = "0x" + anchor.transaction.hex() if anchor.transaction else None
        lines.append(
            f"{'批次' if zh else 'Batch'} {anchor.batch_id} · {'区块' if zh else 'block'} "
            f"{anchor.block} · {'交易' if zh else 'transaction'} {transaction}"
        )
    if grant is not None:
        lines.append(
            f"{'授权单位' if zh else 'For'}: {grant.unit.name} · {'用途' if zh else 'purpose'}: "
            f"{grant.purpose} · {'有效至' if zh else 'until'} {grant.expires_at:%Y-%m-%d %H:%M}"
        )
    if link:
        lines.append(
            "扫描二维码，在单位核验页面核验本证明（仅限授权单位）。"
            if zh
            else "Scan the QR code with the unit's certledger verifier (the unit named above only)."
        )
    else:
        lines.append(
            "本打印件未附核验二维码；请在电子证照中创建授权后重新打印。"
            if zh
            else "No verification QR code: create a grant in the wallet, then print again."
        )
    text = [Paragraph(escape(line), _SMALL) for line in lines]
    if link:
        image = Image(io.BytesIO(qr_png(link, box_size=8)), width=38 * mm, height=38 * mm)
        table = Table([[text, image]], colWidths=[None, 42 * mm])
    else:
        table = Table([[text]])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, _RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _footer(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.setFillColor(_MUTED)
    canvas.drawString(18 * mm, 10 * mm, "certledger · 电子证照打印件 · printed certificate")
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{document.page}")
    canvas.restoreState()
