"""The certificate document: a public header, salted field commitments, and the document root.

Every top-level claim is committed on its own with a fresh 128-bit salt::

    commitment = keccak256(0x02 ‖ salt ‖ JCS([name, value]))

so any subset can be disclosed and a hidden claim reveals nothing, not even by guessing a
low-entropy value. The commitments are padded with random decoys up to the number of fields the
type defines (a hidden claim cannot even be told apart from an absent one), sorted, and hashed
under the header, which every presentation shows::

    document root = keccak256(0x03 ‖ uint32be(len(H)) ‖ H ‖ sorted commitments),  H = JCS(header)

The document root is certificate ``index`` of a batch tree (`ledger._merkle`), whose root is
anchored on the ledger.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from eth_utils.address import is_checksum_address as _eth_is_checksum_address

from ledger._canonical import canonical_json, canonical_pairs
from ledger._errors import LedgerError
from ledger._hashing import keccak256, keccak_256

CERTIFICATE_FORMAT = "certledger/certificate/v1"
PRESENTATION_FORMAT = "certledger/presentation/v1"
COMMITMENT_PREFIX = b"\x02"
DOCUMENT_PREFIX = b"\x03"
SALT_BYTES = 16
_HEX16 = re.compile(r"^[0-9a-f]{32}\Z")


class DocumentFormatError(LedgerError, ValueError):
    """A document does not have the certledger format; the message says where."""


@dataclass(frozen=True, slots=True)
class Header:
    """What every presentation of a certificate shows: type, office, dates and holder."""

    type_id: int
    version: int
    office_id: int
    issued: str
    valid_until: str | None
    holder: str | None

    def to_json(self) -> dict[str, Any]:
        """The header as it appears in documents."""
        return {
            "type": self.type_id,
            "version": self.version,
            "office": self.office_id,
            "issued": self.issued,
            "validUntil": self.valid_until,
            "holder": self.holder,
        }

    @classmethod
    def from_json(cls, value: Any) -> Header:
        """Reads a header, refusing anything but the exact fields with the right types."""
        if not isinstance(value, dict) or set(value) != {
            "type",
            "version",
            "office",
            "issued",
            "validUntil",
            "holder",
        }:
            raise DocumentFormatError(
                "header: needs exactly type, version, office, issued, validUntil, holder"
            )
        for name in ("type", "version", "office"):
            if not _uint32(value[name]):
                raise DocumentFormatError(f"header.{name}: an integer from 1 to 4294967295")
        for name in ("issued", "validUntil"):
            if (name == "issued" or value[name] is not None) and not _iso_date(value[name]):
                raise DocumentFormatError(f"header.{name}: a date written YYYY-MM-DD")
        holder = value["holder"]
        if holder is not None and not (isinstance(holder, str) and is_checksum_address(holder)):
            raise DocumentFormatError("header.holder: a checksummed address or null")
        return cls(
            value["type"], value["version"], value["office"], value["issued"], value["validUntil"], holder
        )

    def canonical(self) -> bytes:
        """JCS bytes of the header, as hashed into the document root."""
        return _header_bytes(self)


@lru_cache(maxsize=1024)
def _header_bytes(header: Header) -> bytes:
    # A batch's certificates mostly share one header: encode it once.
    return canonical_json(header.to_json())


def _uint32(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**32


def _iso_date(value: Any) -> bool:
    try:
        return isinstance(value, str) and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def field_commitment(name: str, value: Any, salt: bytes) -> bytes:
    """The commitment to claim `name` holding `value` under `salt`."""
    return _commitments({name: salt}, {name: canonical_json([name, value])})[name]


def _commitments(salts: Mapping[str, bytes], encoded: Mapping[str, bytes]) -> dict[str, bytes]:
    """The commitment of every claim, from its salt and its encoding ``JCS([name, value])``
    (`encode_claims`, which encodes the claims together)."""
    if set(map(len, salts.values())) - {SALT_BYTES}:
        short = next(len(salt) for salt in salts.values() if len(salt) != SALT_BYTES)
        raise DocumentFormatError(f"a salt is {SALT_BYTES} bytes, got {short}")
    prefix = COMMITMENT_PREFIX
    return {name: keccak_256(prefix + salts[name] + encoding).digest() for name, encoding in encoded.items()}


def document_root(header: Header, commitments: Iterable[bytes]) -> bytes:
    """The root over the header and the commitments (in any order: they are sorted here)."""
    encoded = header.canonical()
    ordered = sorted(commitments)
    if set(map(len, ordered)) - {32}:
        raise DocumentFormatError("a commitment is 32 bytes")
    if len(set(ordered)) != len(ordered):
        raise DocumentFormatError("a commitment appears twice")
    return keccak256(DOCUMENT_PREFIX + len(encoded).to_bytes(4, "big") + encoded + b"".join(ordered))


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a certificate sits: its batch, its leaf index and the proof up to the batch root."""

    batch_id: int
    index: int
    count: int
    batch_root: bytes
    proof: tuple[bytes, ...]
    chain_id: int
    ledger: str
    transaction: bytes | None = None
    block: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The anchor as it appears in documents."""
        return {
            "chainId": self.chain_id,
            "ledger": self.ledger,
            "batchId": self.batch_id,
            "batchRoot": hex0x(self.batch_root),
            "index": self.index,
            "count": self.count,
            "proof": [hex0x(sibling) for sibling in self.proof],
            "transaction": hex0x(self.transaction) if self.transaction else None,
            "block": self.block,
        }

    @classmethod
    def from_json(cls, value: Any) -> Anchor:
        """Reads an anchor; addresses and hashes must be well formed."""
        keys = {
            "chainId",
            "ledger",
            "batchId",
            "batchRoot",
            "index",
            "count",
            "proof",
            "transaction",
            "block",
        }
        if not isinstance(value, dict) or set(value) != keys:
            raise DocumentFormatError("anchor: needs exactly " + ", ".join(sorted(keys)))
        for name, low, high in (
            ("chainId", 1, 2**53 - 1),
            ("batchId", 1, 2**48 - 1),
            ("count", 1, 2**32 - 1),
            ("index", 0, 2**32 - 2),
        ):
            number = value[name]
            if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
                raise DocumentFormatError(f"anchor.{name}: an integer from {low} to {high}")
        if value["index"] >= value["count"]:
            raise DocumentFormatError("anchor.index: below anchor.count")
        if not isinstance(value["ledger"], str) or not is_checksum_address(value["ledger"]):
            raise DocumentFormatError("anchor.ledger: a checksummed address")
        if not isinstance(value["proof"], list) or len(value["proof"]) > 32:
            raise DocumentFormatError("anchor.proof: a list of at most 32 hashes")
        block = value["block"]
        if block is not None and (not isinstance(block, int) or isinstance(block, bool) or block < 0):
            raise DocumentFormatError("anchor.block: a block number or null")
        transaction = value["transaction"]
        return cls(
            batch_id=value["batchId"],
            index=value["index"],
            count=value["count"],
            batch_root=_bytes32(value["batchRoot"], "anchor.batchRoot"),
            proof=_bytes32_list(value["proof"], "anchor.proof"),
            chain_id=value["chainId"],
            ledger=value["ledger"],
            transaction=None if transaction is None else _bytes32(transaction, "anchor.transaction"),
            block=block,
        )


@dataclass(frozen=True, slots=True)
class Certificate:
    """A whole certificate: header, every claim with its salt, the decoys, and its anchor."""

    header: Header
    claims: Mapping[str, Any]
    salts: Mapping[str, bytes]
    decoys: tuple[bytes, ...]
    root: bytes
    anchor: Anchor | None = None

    def commitments(self) -> dict[str, bytes]:
        """The commitment of every claim, by name."""
        return _commitments(self.salts, encode_claims(self.claims))

    def computed_root(self) -> bytes:
        """The document root recomputed from the claims, salts and decoys."""
        return document_root(self.header, [*self.commitments().values(), *self.decoys])

    def with_anchor(self, anchor: Anchor) -> Certificate:
        """The same certificate, placed in its batch."""
        return replace(self, anchor=anchor)

    def body_json(self) -> dict[str, Any]:
        """Everything but the anchor: what the encrypted safe stores."""
        return {
            "format": CERTIFICATE_FORMAT,
            "header": self.header.to_json(),
            "claims": dict(self.claims),
            "salts": {name: salt.hex() for name, salt in sorted(self.salts.items())},
            "decoys": [hex0x(decoy) for decoy in self.decoys],
            "documentRoot": hex0x(self.root),
        }

    def body_bytes(self, encoded: Mapping[str, bytes] | None = None) -> bytes:
        """`body_json` as compact UTF-8 JSON, reusing the claims' canonical encodings when given.

        ``JCS([name, value])`` already holds each value's JSON text; splicing it in spares
        encoding the (often largest) claims a second time.
        """
        if encoded is None:
            return _compact(self.body_json()).encode("utf-8")
        parts = []
        for name in self.claims:
            quoted = _compact(name).encode("utf-8")
            # encoded[name] is b'[' + quoted + b',' + value + b']'
            parts.append(quoted + b":" + encoded[name][len(quoted) + 2 : -1])
        claims = b",".join(parts)
        head = _compact({"format": CERTIFICATE_FORMAT, "header": self.header.to_json()})[:-1]
        tail = _compact(
            {
                "salts": {name: salt.hex() for name, salt in sorted(self.salts.items())},
                "decoys": [hex0x(decoy) for decoy in self.decoys],
                "documentRoot": hex0x(self.root),
            }
        )[1:]
        return head.encode("utf-8") + b',"claims":{' + claims + b"}," + tail.encode("utf-8")

    def present(self, fields: Iterable[str]) -> Presentation:
        """A presentation disclosing only `fields`; every other claim is shown as its commitment."""
        disclosed = list(dict.fromkeys(fields))
        unknown = [name for name in disclosed if name not in self.claims]
        if unknown:
            raise DocumentFormatError(f"the certificate has no field {', '.join(unknown)} to disclose")
        commitments = self.commitments()
        hidden = sorted([*(commitments[name] for name in self.claims if name not in disclosed), *self.decoys])
        return Presentation(
            header=self.header,
            disclosed={name: (self.claims[name], self.salts[name]) for name in disclosed},
            hidden=tuple(hidden),
            root=self.root,
            anchor=self.anchor,
        )

    def to_json(self) -> dict[str, Any]:
        """The certificate as a citizen downloads it."""
        return {**self.body_json(), "anchor": self.anchor.to_json() if self.anchor else None}

    @classmethod
    def from_json(cls, value: Any) -> Certificate:
        """Reads a certificate document, checking its shape (not its truth: see the verifier)."""
        keys = {"format", "header", "claims", "salts", "decoys", "documentRoot", "anchor"}
        if not isinstance(value, dict):
            raise DocumentFormatError("a certificate is a JSON object")
        if value.get("format") != CERTIFICATE_FORMAT:
            raise DocumentFormatError(f"format: expected {CERTIFICATE_FORMAT}")
        missing, extra = keys - {"anchor"} - set(value), set(value) - keys
        if missing or extra:
            raise DocumentFormatError(
                f"certificate: missing {sorted(missing)} or unknown {sorted(extra)} fields"
            )
        claims, salts = value["claims"], value["salts"]
        if not isinstance(claims, dict) or not isinstance(salts, dict) or set(claims) != set(salts):
            raise DocumentFormatError("claims and salts: objects with the same field names")
        for name, salt in salts.items():
            if not isinstance(salt, str) or not _HEX16.match(salt):
                raise DocumentFormatError(f"salts.{name}: 32 lower-case hex digits")
        for name, claim in claims.items():
            refuse_integral_floats(claim, f"claims.{name}")
        if not isinstance(value["decoys"], list):
            raise DocumentFormatError("decoys: a list of hashes")
        anchor = value.get("anchor")
        return cls(
            header=Header.from_json(value["header"]),
            claims=claims,
            salts={name: bytes.fromhex(salt) for name, salt in salts.items()},
            decoys=_bytes32_list(value["decoys"], "decoys"),
            root=_bytes32(value["documentRoot"], "documentRoot"),
            anchor=None if anchor is None else Anchor.from_json(anchor),
        )


@dataclass(frozen=True, slots=True)
class Presentation:
    """Some fields of a certificate with their salts; the rest only as commitments.

    `hidden` holds the commitments of the undisclosed fields mixed with the certificate's
    decoys, sorted: a verifier learns neither the hidden values nor which fields exist.
    """

    header: Header
    disclosed: Mapping[str, tuple[Any, bytes]]
    hidden: tuple[bytes, ...]
    root: bytes
    anchor: Anchor | None = None

    @property
    def claims(self) -> dict[str, Any]:
        """The disclosed claims."""
        return {name: value for name, (value, _salt) in self.disclosed.items()}

    def commitments(self) -> dict[str, bytes]:
        """The commitment of every disclosed field, by name."""
        return _commitments(
            {name: salt for name, (_, salt) in self.disclosed.items()},
            encode_claims({name: value for name, (value, _) in self.disclosed.items()}),
        )

    def computed_root(self) -> bytes:
        """The document root recomputed from the disclosed fields and the hidden commitments."""
        return document_root(self.header, [*self.commitments().values(), *self.hidden])

    def to_json(self) -> dict[str, Any]:
        """The presentation as it travels."""
        return {
            "format": PRESENTATION_FORMAT,
            "header": self.header.to_json(),
            "disclosed": {
                name: {"value": value, "salt": salt.hex()} for name, (value, salt) in self.disclosed.items()
            },
            "hidden": [hex0x(commitment) for commitment in self.hidden],
            "documentRoot": hex0x(self.root),
            "anchor": self.anchor.to_json() if self.anchor else None,
        }

    @classmethod
    def from_json(cls, value: Any) -> Presentation:
        """Reads a presentation, checking its shape."""
        keys = {"format", "header", "disclosed", "hidden", "documentRoot", "anchor"}
        if not isinstance(value, dict):
            raise DocumentFormatError("a presentation is a JSON object")
        if value.get("format") != PRESENTATION_FORMAT:
            raise DocumentFormatError(f"format: expected {PRESENTATION_FORMAT}")
        if set(value) != keys:
            raise DocumentFormatError(f"presentation: needs exactly {', '.join(sorted(keys))}")
        disclosed = value["disclosed"]
        if not isinstance(disclosed, dict):
            raise DocumentFormatError("disclosed: an object of fields")
        fields: dict[str, tuple[Any, bytes]] = {}
        for name, entry in disclosed.items():
            if not isinstance(entry, dict) or set(entry) != {"value", "salt"}:
                raise DocumentFormatError(f"disclosed.{name}: an object with value and salt")
            salt = entry["salt"]
            if not isinstance(salt, str) or not _HEX16.match(salt):
                raise DocumentFormatError(f"disclosed.{name}.salt: 32 lower-case hex digits")
            refuse_integral_floats(entry["value"], f"disclosed.{name}.value")
            fields[name] = (entry["value"], bytes.fromhex(salt))
        hidden = value["hidden"]
        if not isinstance(hidden, list) or len(hidden) > 256:
            raise DocumentFormatError("hidden: a list of at most 256 commitments")
        anchor = value["anchor"]
        return cls(
            header=Header.from_json(value["header"]),
            disclosed=fields,
            hidden=_bytes32_list(hidden, "hidden"),
            root=_bytes32(value["documentRoot"], "documentRoot"),
            anchor=None if anchor is None else Anchor.from_json(anchor),
        )


def encode_claims(claims: Mapping[str, Any]) -> dict[str, bytes]:
    """``JCS([name, value])`` of every claim: the bytes its commitment hashes (salt aside)."""
    return canonical_pairs(claims)


def seal(
    header: Header,
    claims: Mapping[str, Any],
    *,
    field_count: int,
    random_bytes: Callable[[int], bytes] = os.urandom,
    encoded: Mapping[str, bytes] | None = None,
) -> Certificate:
    """Salts and commits every claim, pads with decoys to `field_count`, and computes the root.

    `encoded` may pass `encode_claims(claims)` when the caller has computed it already.
    """
    names = list(claims)
    if len(names) > field_count:
        raise DocumentFormatError(f"{len(names)} claims exceed the type's {field_count} fields")
    entropy = random_bytes(SALT_BYTES * len(names) + 32 * (field_count - len(names)))
    salts = {name: entropy[i * SALT_BYTES : (i + 1) * SALT_BYTES] for i, name in enumerate(names)}
    offset = SALT_BYTES * len(names)
    decoys = tuple(entropy[offset + 32 * i : offset + 32 * (i + 1)] for i in range(field_count - len(names)))
    encoded = encoded if encoded is not None else encode_claims(claims)
    commitments = _commitments(salts, {name: encoded[name] for name in names})
    return Certificate(
        header, dict(claims), salts, decoys, document_root(header, [*commitments.values(), *decoys])
    )


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def hex0x(value: bytes) -> str:
    """`value` as lowercase hex with a ``0x`` prefix, as every JSON answer spells bytes."""
    return "0x" + bytes(value).hex()


_HEX32_RUN = re.compile(r"(?:0x[0-9a-f]{64})*")


def _bytes32_list(values: list[Any], where: str) -> tuple[bytes, ...]:
    """A list of hashes, each 0x and 64 lower-case hex digits: checked by one regular expression
    and decoded by one ``fromhex`` (a proof is read with every verification)."""
    if not values:
        return ()
    try:
        joined = "".join(values)  # TypeError for anything but strings
    except TypeError:
        joined = ""
    if joined and set(map(len, values)) == {66} and _HEX32_RUN.fullmatch(joined):
        raw = bytes.fromhex(joined.replace("0x", ""))  # "0x" appears only as the prefixes
        return tuple([raw[i : i + 32] for i in range(0, len(raw), 32)])
    for i, item in enumerate(values):  # the first bad one, named
        _bytes32(item, f"{where}[{i}]")
    raise DocumentFormatError(f"{where}: hashes, each 0x and 64 lower-case hex digits")


def _bytes32(value: Any, where: str) -> bytes:
    # Runs for every proof step of every document: fromhex, then hex() to insist on the one
    # spelling (fromhex alone would accept upper case and spaces).
    if isinstance(value, str) and len(value) == 66 and value[:2] == "0x":
        try:
            parsed = bytes.fromhex(value[2:])
        except ValueError:
            parsed = b""
        if len(parsed) == 32 and parsed.hex() == value[2:]:
            return parsed
    raise DocumentFormatError(f"{where}: 0x and 64 lower-case hex digits")


@lru_cache(maxsize=4096)
def is_checksum_address(value: str) -> bool:
    """EIP-55 check, remembered: a verifier sees the same few ledger and holder addresses often."""
    return bool(_eth_is_checksum_address(value))


def refuse_integral_floats(value: Any, path: str) -> None:
    """Refuses an integer written with a fraction or exponent (`1.0`, `1e0`, or
    `12.0000000000000001`, which a double cannot tell from 12).

    Canonical JSON commits a number as the double it denotes, so those spellings would verify as
    the committed integer. Every integer a certificate commits is written as one; a number that
    parses to a whole double but was not is a rewritten document, refused. Numbers with a true
    fraction are compared as the doubles they denote (RFC 8785); no certificate type holds one.
    """
    if isinstance(value, float):
        if value.is_integer():
            raise DocumentFormatError(
                f"{path}: {value!r} is a whole number written with a fraction or exponent; "
                "a certificate writes it as an integer"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_integral_floats(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_integral_floats(item, f"{path}[{index}]")
