"""Where documents come from: a file, a link, a QR code image — or a grant link, which a unit
redeems at the wallet with its API key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import zxingcpp
from PIL import Image, UnidentifiedImageError

from ledger import CanonicalJSONError, JSONTooDeepError, check_json_depth, parse_json
from verifier._errors import GrantLinkError, RedemptionRefusedError, UnreadableDocumentError
from verifier._links import GrantLink

MAX_DOCUMENT_BYTES = 5_000_000
MAX_IMAGE_BYTES = 20_000_000
MAX_IMAGE_PIXELS = 64_000_000  # a 48-megapixel phone photo fits
_URL = re.compile(r"^https?://", re.IGNORECASE)
# A wallet's grant link is <wallet>/r/<reference>#<key> (wallet_api's `Grants.link`); the
# wallet may sit under a path of its public URL.
_GRANT_PATH = re.compile(r"(?P<base>(?:/[^/]*)*?)/r/(?P<reference>[A-Za-z0-9]{16,32})/?")
_NEEDS_THE_UNIT = (
    "the wallet gives its presentation only to the unit the grant names, "
    "which redeems the link with its API key"
)
_SHOWN = 300  # characters of a wallet's refusal that are shown


@dataclass(frozen=True, slots=True)
class Redeemed:
    """What a wallet hands a unit for a grant link, as read: not yet verified."""

    presentation: Any
    signed_grant: Any
    verification: Mapping[str, Any]  # the wallet's own verdict, in `Verification.to_json`'s shape


def grant_link(text: str) -> GrantLink | None:
    """`text` as a wallet's grant link, ``<wallet>/r/<reference>#<key>``; None for anything else."""
    text = text.strip()
    if not _URL.match(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    match = _GRANT_PATH.fullmatch(parts.path)
    if match is None or not parts.netloc:
        return None
    wallet = urlunsplit((parts.scheme.lower(), parts.netloc, match["base"], "", ""))
    return GrantLink(text, wallet, match["reference"], parts.fragment)


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
    """The bytes a link points to, fetched with a time and size limit; a grant link is refused
    with `GrantLinkError` (it must be redeemed, `redeem_grant_link`)."""
    if not _URL.match(url):
        raise UnreadableDocumentError(f"{url} is not an http:// or https:// link")
    link = grant_link(url)
    if link is not None:
        raise GrantLinkError(f"{link} is a grant link: {_NEEDS_THE_UNIT}", link=link)
    try:
        with requests.get(
            url, timeout=timeout, stream=True, headers={"Accept": "application/json"}
        ) as response:
            if response.status_code != 200:
                raise UnreadableDocumentError(f"{url} answered HTTP {response.status_code}")
            body = _bounded_body(response, origin=url)
    except requests.RequestException as error:
        raise UnreadableDocumentError(f"cannot fetch {url}: {type(error).__name__}") from error
    return _within_depth(body, origin=url)


def redeem_grant_link(
    link: GrantLink, *, unit_key: str, wallet: str | None = None, timeout: float = 10.0
) -> Redeemed:
    """What the wallet hands the unit whose API key is `unit_key` for `link`, spending one use.

    The link goes to its own wallet's ``/v1/redemptions``; with `wallet` (the unit's own wallet),
    a link of any other wallet is refused before the key is sent. Redirects are not followed, so
    the key reaches no other server. The answer is bounded in size, nesting and time like a
    document's; a refusal raises `RedemptionRefusedError` with the wallet's code and detail.
    """
    if wallet is not None and _wallet_key(wallet) != _wallet_key(link.wallet):
        raise UnreadableDocumentError(
            f"{link} is a grant link of the wallet at {link.wallet}, not of the unit's wallet "
            f"{wallet.rstrip('/')}: the unit's key is sent to its own wallet only"
        )
    if not link.key:
        raise UnreadableDocumentError(
            f"{link} is a grant link without its key (the part after '#'): "
            "scan the QR code again, or copy the whole link"
        )
    origin = f"the wallet at {link.wallet}"
    try:
        with requests.post(
            f"{link.wallet}/v1/redemptions",
            json={"link": link.text},
            headers={"X-API-Key": unit_key, "Accept": "application/json"},
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        ) as response:
            body = _bounded_body(response, origin=origin)
            status, retry_after = response.status_code, response.headers.get("Retry-After")
    except requests.RequestException as error:
        raise UnreadableDocumentError(f"cannot reach {origin}: {type(error).__name__}") from error
    if status != 200:
        raise _refusal(status, body, origin=origin, retry_after=retry_after)
    answered = f"the answer of {origin}"
    answer = parse_document(_within_depth(body, origin=answered), origin=answered)
    if not isinstance(answer, dict) or not isinstance(answer.get("verification"), dict):
        raise UnreadableDocumentError(f"{origin} answered with no redemption: no verification object")
    if "presentation" not in answer or "signedGrant" not in answer:
        raise UnreadableDocumentError(f"{origin} answered with no presentation and signed grant")
    return Redeemed(answer["presentation"], answer["signedGrant"], answer["verification"])


def _refusal(status: int, body: bytes, *, origin: str, retry_after: str | None) -> RedemptionRefusedError:
    """The wallet's refusal, named by its problem's code and detail when it sent one."""
    try:
        problem = parse_json(body)  # nesting is checked first, as for a document
    except CanonicalJSONError:
        problem = None
    code = shown_text(problem.get("code")) if isinstance(problem, dict) else None
    detail = shown_text(problem.get("detail")) if isinstance(problem, dict) else None
    if code is None:
        return RedemptionRefusedError(f"{origin} answered HTTP {status}", status=status, code=None)
    message = f"{origin} refused the redemption with HTTP {status} {code}"
    if detail:
        message += f": {detail}"
    if status == 429 and retry_after is not None and retry_after.isdigit():
        message += f"; try again in {int(retry_after)} s"
    return RedemptionRefusedError(message, status=status, code=code)


def shown_text(value: Any) -> str | None:
    """A wallet's text as it may be shown on a terminal: printable, and not too long."""
    if not isinstance(value, str) or not value:
        return None
    text = "".join(character if character.isprintable() else " " for character in value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _wallet_key(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def text_from_qr(image: Path) -> str:
    """The text of the QR code in an image (a photo or a screenshot), within a size in bytes and
    in pixels: the image is not decoded when its header announces more than a phone camera takes."""
    try:
        size = image.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise UnreadableDocumentError(
                f"{image} is {size:,} bytes; an image is at most {MAX_IMAGE_BYTES:,}"
            )
        with Image.open(image) as picture:  # reads the header only
            width, height = picture.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UnreadableDocumentError(
                    f"{image} is {width}×{height} pixels; an image is at most {MAX_IMAGE_PIXELS:,}"
                )
            barcodes = zxingcpp.read_barcodes(picture.convert("RGB"))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise UnreadableDocumentError(f"cannot read the image {image}: {error}") from error
    readable = [b for b in barcodes if b.valid and b.format == zxingcpp.BarcodeFormat.QRCode]
    if not readable:
        raise UnreadableDocumentError(f"no QR code could be read in {image}")
    return str(readable[0].text)


def bytes_from_qr(image: Path, *, timeout: float = 10.0) -> bytes:
    """The document a QR code holds, or the one its link points to; a grant link is refused with
    `GrantLinkError` (it must be redeemed, `redeem_grant_link`)."""
    text = text_from_qr(image)
    link = grant_link(text)
    if link is not None:
        raise GrantLinkError(
            f"the QR code in {image} holds a grant link, {link}: {_NEEDS_THE_UNIT}", link=link
        )
    if _URL.match(text):
        return bytes_from_url(text, timeout=timeout)
    if text.lstrip().startswith("{"):
        return _within_depth(text.encode("utf-8"), origin=f"the QR code in {image}")
    raise UnreadableDocumentError(f"the QR code in {image} holds neither a link nor a document")


def _bounded_body(response: requests.Response, *, origin: str) -> bytes:
    """A response's body, refused past `MAX_DOCUMENT_BYTES`."""
    body = bytearray()
    for chunk in response.iter_content(65536):
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise UnreadableDocumentError(f"{origin} sent more than {MAX_DOCUMENT_BYTES:,} bytes")
    return bytes(body)


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
