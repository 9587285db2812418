"""Where documents come from: a file, a link, a QR code image."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
import zxingcpp
from PIL import Image, UnidentifiedImageError

from ledger import CanonicalJSONError, JSONTooDeepError, check_json_depth, parse_json
from verifier._errors import UnreadableDocumentError

MAX_DOCUMENT_BYTES = 5_000_000
_URL = re.compile(r"^https?://", re.IGNORECASE)


def parse_document(text: str | bytes, *, origin: str) -> Any:
    """JSON text as a document (duplicate keys, NaN and huge integers refused)."""
    try:
        return parse_json(text)
    except CanonicalJSONError as error:
        raise UnreadableDocumentError(f"{origin} is not a JSON document: {error}") from error


def bytes_from_file(path: Path) -> bytes:
    """The bytes of a document file."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise UnreadableDocumentError(
                f"{path} is {size:,} bytes; a document is at most {MAX_DOCUMENT_BYTES:,}"
            )
        return _within_depth(path.read_bytes(), origin=str(path))
    except OSError as error:
        raise UnreadableDocumentError(f"cannot read {path}: {error.strerror}") from error


def bytes_from_url(url: str, *, timeout: float = 10.0) -> bytes:
    """The bytes a link points to, fetched with a time and size limit."""
    if not _URL.match(url):
        raise UnreadableDocumentError(f"{url} is not an http:// or https:// link")
    try:
        with requests.get(
            url, timeout=timeout, stream=True, headers={"Accept": "application/json"}
        ) as response:
            if response.status_code != 200:
                raise UnreadableDocumentError(f"{url} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_content(65536):
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise UnreadableDocumentError(f"{url} sent more than {MAX_DOCUMENT_BYTES:,} bytes")
    except requests.RequestException as error:
        raise UnreadableDocumentError(f"cannot fetch {url}: {type(error).__name__}") from error
    return _within_depth(body, origin=url)


def text_from_qr(image: Path) -> str:
    """The text of the QR code in an image (a photo or a screenshot)."""
    try:
        with Image.open(image) as picture:
            barcodes = zxingcpp.read_barcodes(picture.convert("RGB"))
    except (OSError, UnidentifiedImageError) as error:
        raise UnreadableDocumentError(f"cannot read the image {image}: {error}") from error
    readable = [b for b in barcodes if b.valid and b.format == zxingcpp.BarcodeFormat.QRCode]
    if not readable:
        raise UnreadableDocumentError(f"no QR code could be read in {image}")
    return str(readable[0].text)


def bytes_from_qr(image: Path, *, timeout: float = 10.0) -> bytes:
    """The document a QR code holds, or the one its link points to."""
    text = text_from_qr(image)
    if _URL.match(text):
        return bytes_from_url(text, timeout=timeout)
    if text.lstrip().startswith("{"):
        return _within_depth(text.encode("utf-8"), origin=f"the QR code in {image}")
    raise UnreadableDocumentError(f"the QR code in {image} holds neither a link nor a document")


def _within_depth(data: bytes, *, origin: str) -> bytes:
    """`data`, unless it nests too deep to hand to a JSON parser (`ledger.check_json_depth`)."""
    try:
        check_json_depth(data)
    except JSONTooDeepError as error:
        raise UnreadableDocumentError(f"{origin} cannot be read: {error}") from error
    return data


def bytes_from(source: str, *, timeout: float = 10.0) -> bytes:
    """A document's bytes from a link or a file path."""
    if _URL.match(source):
        return bytes_from_url(source, timeout=timeout)
    return bytes_from_file(Path(source))
