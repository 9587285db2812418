"""The printed PDFs' font: a subset of Noto Sans CJK SC, embedded, with TrueType outlines.

Debian's `fonts-noto-cjk` ships the font as an OpenType collection with CFF outlines, which
reportlab cannot embed. This module draws the glyphs a document needs through fontTools,
converting each cubic outline to quadratic curves (`cu2qu`, the same step as fontTools'
`otf2ttf`), builds a small TrueType font of them and registers it with reportlab under `FONT`;
reportlab then embeds the subset of it that the document uses. The whole collection (19 MB) is
opened once, lazily: a glyph's outline is read only when a document first needs it, and kept.

Documents are built under `printing(...)`, which makes `FONT` cover the text they will show and
holds a lock while they are built: reportlab looks a font up by name while it draws, so the font
must not be replaced in the middle of a document.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as ReportlabTTFont

from wallet_api._errors import ServiceUnavailableError

FONT = "NotoSansCJKsc"
FAMILY = "Noto Sans CJK SC"
_KNOWN_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
# Characters every document may show (digits, Latin letters, the punctuation the labels use):
# always in the font, so that most documents need no new glyphs at all.
_BASE = (
    "".join(chr(code) for code in range(0x20, 0x7F))
    + "¥·—–‘’“”…（）：；，。、《》【】「」？！％／－"
    + "年月日时分秒北京时间长期至核验码证明编号出具机构授权单位用途有效打印件区块交易批次链上"
)
_MOST_GLYPHS = 6000  # past this many, the font starts again from the base and the new document
_TOLERANCE = 1.0  # font units of the cubic-to-quadratic conversion (the em is 1000)


class FontMissingError(ServiceUnavailableError):
    """Noto Sans CJK SC cannot be found; install Debian's fonts-noto-cjk (`make browser`)."""

    code = "print.font_missing"


def font_path() -> Path:
    """Where Noto Sans CJK SC is: `CERTLEDGER_PRINT_FONT`, else fontconfig's answer, else one of
    the paths distributions install it at."""
    chosen = os.environ.get("CERTLEDGER_PRINT_FONT")
    if chosen:
        return Path(chosen)
    found = _fontconfig_path()
    if found is not None:
        return found
    for candidate in _KNOWN_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissingError(
        "Noto Sans CJK SC is not installed: install Debian's fonts-noto-cjk (make browser), "
        "or set CERTLEDGER_PRINT_FONT to its .ttc or .otf file"
    )


def _fontconfig_path() -> Path | None:
    executable = shutil.which("fc-match")
    if executable is None:
        return None
    try:
        answer = subprocess.run(
            [executable, "-f", "%{file}", f"{FAMILY}:style=Regular"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(answer)
    return path if answer and "CJK" in path.name and path.is_file() else None


class _Source:
    """The collection's SC face, opened lazily, and the glyphs drawn from it so far."""

    def __init__(self, path: Path) -> None:
        self.font = _open_face(path)
        self.cmap: dict[int, str] = self.font.getBestCmap()
        self.glyphs = self.font.getGlyphSet()
        self.metrics: Any = self.font["hmtx"].metrics
        self.drawn: dict[str, Any] = {}
        head, hhea, os2 = self.font["head"], self.font["hhea"], self.font["OS/2"]
        self.units_per_em = int(head.unitsPerEm)
        self.ascent, self.descent = int(hhea.ascent), int(hhea.descent)
        self.os2 = {
            "sTypoAscender": os2.sTypoAscender,
            "sTypoDescender": os2.sTypoDescender,
            "sTypoLineGap": os2.sTypoLineGap,
            "usWinAscent": os2.usWinAscent,
            "usWinDescent": os2.usWinDescent,
            "sxHeight": getattr(os2, "sxHeight", 0),
            "sCapHeight": getattr(os2, "sCapHeight", 0),
            "fsType": 0,  # the SIL Open Font License allows embedding
        }

    def glyph(self, name: str) -> Any:
        """The glyph's TrueType outline, converted once."""
        found = self.drawn.get(name)
        if found is None:
            pen = TTGlyphPen(None)
            self.glyphs[name].draw(Cu2QuPen(pen, _TOLERANCE, reverse_direction=True))
            found = self.drawn[name] = pen.glyph()
        return found


def _open_face(path: Path) -> TTFont:
    if path.suffix.lower() in {".ttc", ".otc"}:
        collection = TTCollection(str(path), lazy=True)
        for face in collection.fonts:
            if face["name"].getDebugName(4) == FAMILY:
                return face
        raise FontMissingError(f"{path.name} has no face named {FAMILY}")
    return TTFont(str(path), lazy=True)


_lock = threading.RLock()
_state: dict[str, Any] = {"source": None, "covered": frozenset()}


def _source() -> _Source:
    source = _state["source"]
    if source is None:
        source = _state["source"] = _Source(font_path())
    return source  # type: ignore[no-any-return]


def _build(source: _Source, characters: Iterable[str]) -> bytes:
    """A TrueType font of `characters` (those the face has), as bytes."""
    cmap = {ord(char): source.cmap[ord(char)] for char in characters if ord(char) in source.cmap}
    order = [".notdef", *sorted(set(cmap.values()))]
    builder = FontBuilder(source.units_per_em, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    builder.setupGlyf({name: source.glyph(name) for name in order})
    builder.setupHorizontalMetrics(
        {name: (source.metrics[name][0], builder.font["glyf"][name].xMin) for name in order}
    )
    builder.setupHorizontalHeader(ascent=source.ascent, descent=source.descent)
    builder.setupNameTable({"familyName": FAMILY, "styleName": "Regular", "psName": "NotoSansCJKsc-Regular"})
    builder.setupOS2(**source.os2)
    builder.setupPost()
    buffer = io.BytesIO()
    builder.save(buffer)
    return buffer.getvalue()


def _cover(text: str) -> None:
    """Makes the font registered as `FONT` cover every character of `text` the face has."""
    source = _source()
    wanted = frozenset(char for char in text if ord(char) in source.cmap) | frozenset(_BASE)
    covered: frozenset[str] = _state["covered"]
    if wanted <= covered:
        return
    union = covered | wanted
    if len(union) > _MOST_GLYPHS:
        union = wanted
    font = ReportlabTTFont(FONT, io.BytesIO(_build(source, union)))
    # reportlab keeps the first font registered under a name (and under its face's name) and
    # ignores any later one: the wider font must replace the narrower, or a document needing a
    # character the earlier ones did not draws nothing there.
    pdfmetrics._fonts.pop(FONT, None)  # type: ignore[attr-defined]
    pdfmetrics._dynFaceNames.pop(font.face.name, None)  # type: ignore[attr-defined]
    pdfmetrics.registerFont(font)
    _state["covered"] = union


@contextmanager
def printing(*texts: str) -> Iterator[None]:
    """Within: `FONT` draws every character of `texts`, and no other document is being built.

    Raises FontMissingError (503, `print.font_missing`) when the font is not installed."""
    with _lock:
        _cover("".join(texts))
        yield


def texts_of(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (a view model): what a document may show."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif item is not None:
            yield str(item)
