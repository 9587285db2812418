"""QR codes of grant links, as PNG and SVG, sized to be scanned from another phone's screen."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

# M keeps a link of ~90 characters at version 5 (37 modules): large modules, quick to scan.
_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def _code(text: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=_CORRECTION, box_size=box_size, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str, *, box_size: int = 10) -> bytes:
    """A PNG image of the QR code of `text`."""
    image = _code(text, box_size).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_svg(text: str) -> str:
    """An SVG image of the QR code of `text`, one path, scalable."""
    image = _code(text, 10).make_image(image_factory=SvgPathImage)
    return image.to_string(encoding="unicode")  # type: ignore[no-any-return]
