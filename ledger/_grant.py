"""Grants: a citizen's consent, signed with their wallet key as EIP-712 typed data.

A grant names one certificate (its document root), the receiving unit (its unified social credit
code), the fields disclosed, the purpose, an expiry and a number of uses::

    Grant(bytes16 grant, bytes32 certificate, string unit, string[] fields, string purpose,
          uint64 expires, uint32 uses)

under the domain ``EIP712Domain(string name, string version, uint256 chainId, address
verifyingContract)`` with name ``certledger``, version ``1``, and the chain and certificate ledger
the certificate is anchored on — so a grant cannot be replayed against another deployment. Any
EIP-712 wallet (ethers' ``signTypedData``, eth-account, a hardware wallet) signs it; the digest is
computed here directly for this one struct, and a test holds it to eth-account's general encoder.

Signatures are 65 bytes ``r ‖ s ‖ v`` with ``v`` 27 or 28 and ``s`` in the lower half of the curve
order (EIP-2), so each grant has exactly one valid signature.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_keys.datatypes import PrivateKey, Signature
from eth_keys.exceptions import BadSignature
from eth_utils.address import to_checksum_address
from eth_utils.exceptions import ValidationError

from ledger._document import DocumentFormatError, is_checksum_address
from ledger._hashing import keccak256

GRANT_FORMAT = "certledger/grant/v1"
DOMAIN_NAME = "certledger"
DOMAIN_VERSION = "1"
MAX_FIELDS = 64
MAX_PURPOSE_CHARS = 200
MAX_USES = 1000
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}\Z")

DOMAIN_TYPE = b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
GRANT_TYPE = (
    b"Grant(bytes16 grant,bytes32 certificate,string unit,string[] fields,string purpose,"
    b"uint64 expires,uint32 uses)"
)
_DOMAIN_TYPEHASH = keccak256(DOMAIN_TYPE)
_GRANT_TYPEHASH = keccak256(GRANT_TYPE)

# The same types as eth-account / ethers expect them, for wallets that sign typed data.
EIP712_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Grant": [
        {"name": "grant", "type": "bytes16"},
        {"name": "certificate", "type": "bytes32"},
        {"name": "unit", "type": "string"},
        {"name": "fields", "type": "string[]"},
        {"name": "purpose", "type": "string"},
        {"name": "expires", "type": "uint64"},
        {"name": "uses", "type": "uint32"},
    ],
}


class GrantFormatError(DocumentFormatError):
    """A grant or its signature is malformed; the message says which part."""


@dataclass(frozen=True, slots=True)
class GrantDomain:
    """The deployment a grant is valid for."""

    chain_id: int
    ledger: str

    def separator(self) -> bytes:
        """The EIP-712 domain separator."""
        return _domain_separator(self.chain_id, self.ledger)

    def to_json(self) -> dict[str, Any]:
        """The domain as eth-account and ethers write it."""
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": self.ledger,
        }


_separators: dict[tuple[int, str], bytes] = {}


def _domain_separator(chain_id: int, ledger: str) -> bytes:
    key = (chain_id, ledger)
    separator = _separators.get(key)
    if separator is None:
        separator = keccak256(
            _DOMAIN_TYPEHASH
            + keccak256(DOMAIN_NAME.encode())
            + keccak256(DOMAIN_VERSION.encode())
            + chain_id.to_bytes(32, "big")
            + bytes(12)
            + bytes.fromhex(ledger[2:])
        )
        _separators[key] = separator
    return separator


@dataclass(frozen=True, slots=True)
class Grant:
    """What the citizen consents to; `digest` is what their key signs."""

    grant_id: bytes
    certificate: bytes
    unit: str
    fields: tuple[str, ...]
    purpose: str
    expires: int
    uses: int

    def __post_init__(self) -> None:
        problem = _grant_problem(self)
        if problem:
            raise GrantFormatError(problem)

    @classmethod
    def new(
        cls,
        *,
        certificate: bytes,
        unit: str,
        fields: Iterable[str],
        purpose: str,
        expires: int,
        uses: int,
    ) -> Grant:
        """A grant with a fresh random id; the fields are kept in sorted order."""
        return cls(os.urandom(16), certificate, unit, tuple(sorted(set(fields))), purpose, expires, uses)

    def struct_hash(self) -> bytes:
        """EIP-712 ``hashStruct`` of the grant."""
        fields_hash = keccak256(b"".join(keccak256(name.encode()) for name in self.fields))
        return keccak256(
            _GRANT_TYPEHASH
            + self.grant_id
            + bytes(16)
            + self.certificate
            + keccak256(self.unit.encode())
            + fields_hash
            + keccak256(self.purpose.encode())
            + self.expires.to_bytes(32, "big")
            + self.uses.to_bytes(32, "big")
        )

    def digest(self, domain: GrantDomain) -> bytes:
        """The 32 bytes the holder's key signs: ``keccak256(0x1901 ‖ domain ‖ hashStruct)``."""
        return keccak256(b"\x19\x01" + domain.separator() + self.struct_hash())

    def message(self) -> dict[str, Any]:
        """The grant as the typed-data message a wallet shows and signs."""
        return {
            "grant": "0x" + self.grant_id.hex(),
            "certificate": "0x" + self.certificate.hex(),
            "unit": self.unit,
            "fields": list(self.fields),
            "purpose": self.purpose,
            "expires": self.expires,
            "uses": self.uses,
        }

    def typed_data(self, domain: GrantDomain) -> dict[str, Any]:
        """The full EIP-712 typed data (types, primaryType, domain, message)."""
        return {
            "types": EIP712_TYPES,
            "primaryType": "Grant",
            "domain": domain.to_json(),
            "message": self.message(),
        }

    @classmethod
    def from_message(cls, value: Any) -> Grant:
        """Reads a typed-data message, refusing anything but its exact fields and types."""
        names = {"grant", "certificate", "unit", "fields", "purpose", "expires", "uses"}
        if not isinstance(value, Mapping) or set(value) != names:
            raise GrantFormatError("grant: needs exactly " + ", ".join(sorted(names)))
        fields = value["fields"]
        if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
            raise GrantFormatError("grant.fields: a list of field names")
        for name in ("unit", "purpose"):
            if not isinstance(value[name], str):
                raise GrantFormatError(f"grant.{name}: a string")
        for name in ("expires", "uses"):
            if not isinstance(value[name], int) or isinstance(value[name], bool):
                raise GrantFormatError(f"grant.{name}: an integer")
        return cls(
            _fixed_bytes(value["grant"], 16, "grant.grant"),
            _fixed_bytes(value["certificate"], 32, "grant.certificate"),
            value["unit"],
            tuple(fields),
            value["purpose"],
            value["expires"],
            value["uses"],
        )


_GRANT_RULES: tuple[tuple[Callable[[Grant], bool], str], ...] = (
    (lambda g: len(g.grant_id) == 16, "grant.grant: 16 bytes"),
    (lambda g: len(g.certificate) == 32, "grant.certificate: 32 bytes"),
    (lambda g: bool(_CREDIT_CODE.match(g.unit)), "grant.unit: the unit's unified social credit code"),
    (lambda g: 0 < len(g.fields) <= MAX_FIELDS, f"grant.fields: from 1 to {MAX_FIELDS} field names"),
    (lambda g: list(g.fields) == sorted(set(g.fields)), "grant.fields: sorted, each name once"),
    (
        lambda g: all(_FIELD_NAME.match(name) for name in g.fields),
        "grant.fields: names of lower-case letters, digits and _",
    ),
    (
        lambda g: bool(g.purpose.strip()) and len(g.purpose) <= MAX_PURPOSE_CHARS,
        f"grant.purpose: from 1 to {MAX_PURPOSE_CHARS} characters",
    ),
    (lambda g: 0 < g.expires < 2**64, "grant.expires: a Unix time in seconds"),
    (lambda g: 1 <= g.uses <= MAX_USES, f"grant.uses: from 1 to {MAX_USES}"),
)


def _grant_problem(grant: Grant) -> str | None:
    return next((message for holds, message in _GRANT_RULES if not holds(grant)), None)


@dataclass(frozen=True, slots=True)
class SignedGrant:
    """A grant, the deployment it is for, and the holder's signature."""

    grant: Grant
    domain: GrantDomain
    signature: bytes

    def signer(self) -> str:
        """The checksummed address that signed the grant; GrantFormatError when none did."""
        return recover_signer(self.grant.digest(self.domain), self.signature)

    def to_json(self) -> dict[str, Any]:
        """The signed grant as it travels with a presentation."""
        return {
            "format": GRANT_FORMAT,
            "domain": {"chainId": self.domain.chain_id, "ledger": self.domain.ledger},
            "grant": self.grant.message(),
            "signature": "0x" + self.signature.hex(),
        }

    @classmethod
    def from_json(cls, value: Any) -> SignedGrant:
        """Reads a signed grant; the signature is checked for shape here, for its signer later."""
        if not isinstance(value, Mapping) or set(value) != {"format", "domain", "grant", "signature"}:
            raise GrantFormatError("a signed grant has exactly format, domain, grant and signature")
        if value["format"] != GRANT_FORMAT:
            raise GrantFormatError(f"format: expected {GRANT_FORMAT}")
        domain = value["domain"]
        if not isinstance(domain, Mapping) or set(domain) != {"chainId", "ledger"}:
            raise GrantFormatError("domain: needs exactly chainId and ledger")
        chain_id, ledger = domain["chainId"], domain["ledger"]
        if not isinstance(chain_id, int) or isinstance(chain_id, bool) or not 0 < chain_id < 2**53:
            raise GrantFormatError("domain.chainId: a positive integer")
        if not isinstance(ledger, str) or not is_checksum_address(ledger):
            raise GrantFormatError("domain.ledger: a checksummed address")
        return cls(
            Grant.from_message(value["grant"]),
            GrantDomain(chain_id, ledger),
            _fixed_bytes(value["signature"], 65, "signature"),
        )


def sign_grant(grant: Grant, domain: GrantDomain, private_key: bytes) -> SignedGrant:
    """The grant signed with `private_key` — what the citizen's device does."""
    return SignedGrant(grant, domain, sign_digest(grant.digest(domain), private_key))


def sign_digest(digest: bytes, private_key: bytes) -> bytes:
    """A 65-byte ``r ‖ s ‖ v`` signature of a 32-byte digest (low s, v 27 or 28)."""
    signature = PrivateKey(private_key).sign_msg_hash(digest)
    r, s, v = int(signature.r), int(signature.s), int(signature.v)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + v])


def recover_signer(digest: bytes, signature: bytes) -> str:
    """The address whose key made `signature` over `digest`; GrantFormatError for a bad one."""
    if len(signature) != 65:
        raise GrantFormatError("a signature is 65 bytes: r, s and v")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28):
        raise GrantFormatError("signature v: 27 or 28")
    if not 0 < r < _SECP256K1_N or not 0 < s <= _SECP256K1_N // 2:
        raise GrantFormatError("signature r and s: in range, with s in the lower half (EIP-2)")
    try:
        public_key = Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except (BadSignature, ValidationError) as error:
        raise GrantFormatError(f"the signature recovers no key: {error}") from error
    return str(to_checksum_address(public_key.to_canonical_address()))


def _fixed_bytes(value: Any, length: int, where: str) -> bytes:
    if isinstance(value, str) and len(value) == 2 + 2 * length and value[:2] == "0x":
        try:
            parsed = bytes.fromhex(value[2:])
        except ValueError:
            parsed = b""
        if len(parsed) == length and parsed.hex() == value[2:]:
            return parsed
    raise GrantFormatError(f"{where}: 0x and {2 * length} lower-case hex digits")


def personal_message_digest(text: str) -> bytes:
    """The EIP-191 ``personal_sign`` digest of `text`, as wallets sign plain messages."""
    data = text.encode("utf-8")
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)
