"""The printable certificate as a PDF: the same view model as the pages, on one A4 page, with a QR
code and, when the citizen signed a print grant, the 验证码 anyone can type at /verify.

The text is set in a subset of Noto Sans CJK SC embedded in the file (`wallet_api._print_font`),
so every reader draws the same glyphs ("·" included). Times are Beijing time. The code is also
written into the document's metadata (`Keywords`, as `certledger-code:XXXX-XXXX-XXXX-XXXX`), so
that an uploaded PDF can be checked without reading its pages (`wallet_api._print_codes`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ledger import Anchor, beijing_time, hex0x
from verifier import CheckStatus, Verification
from wallet_api._grants import StoredGrant
from wallet_api._print_font import FONT, printing, texts_of
from wallet_api._qr import qr_png
from wallet_api.pages._text_print import TEXT

CODE_MARK = "certledger-code:"
_WORDS = "".join(zh + en for zh, en in TEXT.values())  # every sentence the paper may carry

_INK = colors.HexColor("#1b2430")
_MUTED = colors.HexColor("#5b6574")
_RULE = colors.HexColor("#c9d1dc")
_BAND = colors.HexColor("#eef2f7")
_MARGIN = 16 * mm

_TITLE = ParagraphStyle(
    "title", fontName=FONT, bulletFontName=FONT, fontSize=18, leading=24, textColor=_INK, spaceAfter=1.5 * mm
)
_SUBTITLE = ParagraphStyle(
    "subtitle", fontName=FONT, bulletFontName=FONT, fontSize=9.5, leading=13, textColor=_MUTED
)
_HEADING = ParagraphStyle(
    "heading",
    fontName=FONT,
    bulletFontName=FONT,
    fontSize=11,
    leading=15,
    textColor=_INK,
    spaceBefore=3.5 * mm,
    spaceAfter=1.5 * mm,
)
_CELL = ParagraphStyle("cell", fontName=FONT, bulletFontName=FONT, fontSize=8.5, leading=11, textColor=_INK)
_CELL_RIGHT = ParagraphStyle("cell-right", parent=_CELL, alignment=TA_RIGHT)
_SMALL = ParagraphStyle("small", fontName=FONT, bulletFontName=FONT, fontSize=8, leading=11, textColor=_MUTED)
_VERDICT = ParagraphStyle(
    "verdict", fontName=FONT, bulletFontName=FONT, fontSize=10, leading=14, textColor=_INK
)
_CODE = ParagraphStyle(
    "code", fontName=FONT, bulletFontName=FONT, fontSize=11, leading=14, textColor=_INK, alignment=TA_CENTER
)
_CODE_LABEL = ParagraphStyle("code-label", parent=_SMALL, alignment=TA_CENTER)


@dataclass(frozen=True, slots=True)
class PrintedCode:
    """The 验证码 a print grant gives the paper, and the page a stranger checks it at."""

    code: str
    expires_at: datetime
    verify_url: str  # the /verify page with the code filled in: what the QR code carries
    fields: tuple[str, ...] = ()  # the fields its print grant discloses: what the paper shows


def say(key: str, lang: str, **values: Any) -> str:
    """A printing sentence in `lang` (Chinese unless English is asked for)."""
    zh, en = TEXT[key]
    return (en if lang == "en" else zh).format(**values)


def beijing_minute(moment: datetime, lang: str) -> str:
    """`moment` as a reader of the paper reads it: Beijing time, to the minute."""
    local = beijing_time(moment)
    if lang == "en":
        return f"{local:%Y-%m-%d %H:%M} (Beijing time)"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"


def calendar_day(value: str | None, lang: str) -> str:
    """An ISO date as a reader reads it; 长期 when there is none (no end of validity)."""
    if not value:
        return say("print.indefinite", lang)
    day = date.fromisoformat(value[:10])
    return f"{day:%Y-%m-%d}" if lang == "en" else f"{day.year}年{day.month}月{day.day}日"


def verdict_sentence(verification: Verification | None, lang: str) -> str:
    """The verdict in words: valid, not valid because of the decisive check, or undecided."""
    if verification is None:
        return say("print.verdict.INDETERMINATE", lang, reason=say("print.verdict.unanchored", lang))
    verdict = str(verification.verdict)
    if verdict == "VALID":
        return say("print.verdict.VALID", lang)
    decisive = verification.failed or next(
        (check for check in verification.checks if check.status is CheckStatus.UNKNOWN), None
    )
    name = decisive.name if decisive is not None else "other"
    key = f"print.check.{name}" if f"print.check.{name}" in TEXT else "print.check.other"
    if verdict == "INDETERMINATE":
        return say("print.verdict.INDETERMINATE", lang, reason=say("print.check.unknown", lang))
    return say("print.verdict.INVALID", lang, reason=say(key, lang))


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
    verification: Verification | None,
    anchor: Anchor | None,
    checked_at: datetime,
    valid_until: str | None = None,
    link: str | None = None,
    grant: StoredGrant | None = None,
    code: PrintedCode | None = None,
    lang: str = "zh",
) -> bytes:
    """The certificate as a one-page A4 PDF with its verdict: with the grant's QR code when a
    grant's `link` is given, or with the 验证码 and a QR code of the verify page when `code` is."""
    shown = [number, office or "", link or "", _WORDS]
    if grant is not None:
        shown += [grant.unit.name, grant.purpose]
    if code is not None:
        shown += [code.code, code.verify_url]
    if verification is not None:
        shown.append(verification.reason)
    # Paragraphs look their font up as they are made: make them once the font covers them.
    with printing(*texts_of(view), *shown):
        return _build(
            view,
            number=number,
            office=office,
            verification=verification,
            anchor=anchor,
            checked_at=checked_at,
            valid_until=valid_until,
            link=link,
            grant=grant,
            code=code,
            lang=lang,
        )


def _build(
    view: Mapping[str, Any],
    *,
    number: str,
    office: str | None,
    verification: Verification | None,
    anchor: Anchor | None,
    checked_at: datetime,
    valid_until: str | None,
    link: str | None,
    grant: StoredGrant | None,
    code: PrintedCode | None,
    lang: str,
) -> bytes:
    subtitle = f"{say('print.number', lang)} {number}"
    if office:
        subtitle += f" · {say('print.office', lang)} {office}"
    story: list[Flowable] = [_p(view["title"], lang, _TITLE), _p(subtitle, lang, _SUBTITLE)]
    for section in view["sections"]:
        if section.get("title"):
            story.append(_p(section["title"], lang, _HEADING))
        else:
            story.append(Spacer(1, 3 * mm))
        if section["kind"] == "fields":
            story.append(_fields_table(section["rows"], lang))
        else:
            story.append(_records_table(section, lang))
            if section["summary"]:
                story.append(Spacer(1, 1.5 * mm))
                story.append(_fields_table(section["summary"], lang))
    story.append(Spacer(1, 6 * mm))
    story.append(
        _verification_block(
            verification=verification,
            anchor=anchor,
            checked_at=checked_at,
            valid_until=valid_until,
            link=link,
            grant=grant,
            code=code,
            lang=lang,
        )
    )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=_text(view["title"], lang),
        author=office or "certledger",
        subject=number,
        creator="certledger",
        keywords=[CODE_MARK + code.code] if code else [],
        lang="en" if lang == "en" else "zh-CN",
        initialFontName=FONT,  # else reportlab names Helvetica, a font the file does not carry
    )
    footer = say("print.footer", lang, page="{page}")

    def draw_footer(canvas: Any, page: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(_MUTED)
        canvas.drawString(_MARGIN, 9 * mm, footer.format(page=page.page))
        canvas.restoreState()

    document.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()


def _fields_table(rows: list[Mapping[str, Any]], lang: str) -> Table:
    data = [[_p(row["label"], lang, _SMALL), _p(row["value"], lang)] for row in rows]
    table = Table(data, colWidths=[48 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
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
    table = Table(data, colWidths=_column_widths(section, lang), repeatRows=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("BACKGROUND", (0, 0), (-1, 0), _BAND),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    if section.get("totals"):
        commands += [("LINEABOVE", (0, -1), (-1, -1), 0.8, _INK), ("BACKGROUND", (0, -1), (-1, -1), _BAND)]
    table.setStyle(TableStyle(commands))
    return table


def _column_widths(section: Mapping[str, Any], lang: str) -> list[float]:
    """The page's width shared by the columns as their widest cell asks (headings may wrap): one
    line per record where the page allows."""
    rows = [*section["rows"], *([section["totals"]] if section.get("totals") else [])]
    labels = [column["label"] for column in section["columns"]]

    def width(value: Any, size: float) -> float:
        return float(stringWidth(_text(value, lang), FONT, size)) + 7  # the cell's padding

    wanted = [
        max(min(width(label, _SMALL.fontSize), 72.0), *(width(row[index], _CELL.fontSize) for row in rows))
        for index, label in enumerate(labels)
    ]
    scale = (A4[0] - 2 * _MARGIN) / sum(wanted)
    return [need * scale for need in wanted]


def _verification_block(
    *,
    verification: Verification | None,
    anchor: Anchor | None,
    checked_at: datetime,
    valid_until: str | None,
    link: str | None,
    grant: StoredGrant | None,
    code: PrintedCode | None,
    lang: str,
) -> Table:
    text: list[Flowable] = [
        Paragraph(escape(f"{say('print.checked', lang)}：{verdict_sentence(verification, lang)}"), _VERDICT),
        Spacer(1, 1 * mm),
    ]
    lines = [f"{say('print.checked_at', lang)}：{beijing_minute(checked_at, lang)}"]
    lines.append(say("print.valid_until", lang, day=calendar_day(valid_until, lang)))
    if anchor is not None:
        transaction = hex0x(anchor.transaction) if anchor.transaction else "—"
        lines.append(
            say("print.batch", lang, batch=anchor.batch_id, block=anchor.block, transaction=transaction)
        )
    if grant is not None:
        until = beijing_minute(grant.expires_at, lang)
        lines.append(say("print.for_unit", lang, unit=grant.unit.name, purpose=grant.purpose, until=until))
    if code is not None:
        site = code.verify_url.split("/verify", 1)[0]
        lines.append(say("print.code_how", lang, site=site, until=beijing_minute(code.expires_at, lang)))
    elif link:
        lines.append(say("print.scan_unit", lang))
    else:
        lines.append(say("print.no_code", lang))
    text += [Paragraph(escape(line), _SMALL) for line in lines]
    qr_target = code.verify_url if code is not None else link
    if qr_target:
        side: list[Flowable] = [
            Image(io.BytesIO(qr_png(qr_target, box_size=8)), width=34 * mm, height=34 * mm)
        ]
        if code is not None:
            side += [Paragraph(escape(say("print.code", lang)), _CODE_LABEL), Paragraph(code.code, _CODE)]
        table = Table([[text, side]], colWidths=[None, 54 * mm])
    else:
        table = Table([[text]])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("BOX", (0, 0), (-1, -1), 0.6, _RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (-1, 0), (-1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table
