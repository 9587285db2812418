"""An image from outside is bounded in bytes and in pixels before it is decoded."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from verifier import UnreadableDocumentError
from verifier._sources import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, text_from_qr


def test_an_image_too_large_on_disk_is_not_opened(tmp_path: Path) -> None:
    image = tmp_path / "huge.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_IMAGE_BYTES)
    with pytest.raises(UnreadableDocumentError) as refused:
        text_from_qr(image)
    assert (
        str(refused.value)
        == f"{image} is {MAX_IMAGE_BYTES + 8:,} bytes; an image is at most {MAX_IMAGE_BYTES:,}"
    )


def test_an_image_announcing_too_many_pixels_is_not_decoded(tmp_path: Path) -> None:
    image = tmp_path / "bomb.png"
    Image.new("1", (9000, 8000)).save(image)  # 72 megapixels of one colour: a few kilobytes
    assert image.stat().st_size < 1_000_000 and MAX_IMAGE_PIXELS < 9000 * 8000
    with pytest.raises(UnreadableDocumentError) as refused:
        text_from_qr(image)
    assert str(refused.value) == f"{image} is 9000×8000 pixels; an image is at most {MAX_IMAGE_PIXELS:,}"
