"""The digital asset safe: AES-256-GCM under per-citizen data keys, wrapped by a master key.

* A certificate body is encrypted with its citizen's data key; the associated data is the
  record's id and version, so a ciphertext moved to another record, or replayed as another
  version, fails to decrypt.
* A data key is wrapped (AES-256-GCM again) by the current master key; the associated data is
  the citizen's id and the master key's id, so wrapped keys cannot be swapped between citizens.
* Master keys are named by the first 8 bytes of their SHA-256. Rotation wraps every data key
  anew under the new master key, in small transactions, and can stop and resume at any point:
  each data key records which master key wraps it.
* Erasing a citizen destroys their data key; their documents stay as unreadable ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from issuer._errors import IssuerConfigError, SafeError, SafeIntegrityError
from ledger import CertificateType

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_BODY_CONTEXT = b"certledger/body/v1"
_WRAP_CONTEXT = b"certledger/data-key/v1"
_LOOKUP_CONTEXT = b"certledger/identity/v1"
_NAME_CONTEXT = b"certledger/holder-name/v1"
_DIGEST_CONTEXT = b"certledger/input/v1"


def key_id(key: bytes) -> str:
    """The public name of a master key: 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def parse_key(text: str, *, origin: str) -> bytes:
    """A 256-bit key from base64 or hex text; weak placeholder keys are refused."""
    value = text.strip()
    key: bytes | None = None
    try:
        key = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        try:
            key = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) != KEY_BYTES:
        raise IssuerConfigError(f"{origin} is not a 256-bit key in hex or base64")
    if len(set(key)) < 8:
        raise IssuerConfigError(f"{origin} looks like a placeholder, not a random key")
    return key


def _write_new_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(KEY_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`, created (owner-only) with fresh random bytes the first time."""
    if not path.is_file():
        try:
            return _write_new_key(path)
        except FileExistsError:
            pass  # another process created it first
    return parse_key(path.read_text(encoding="ascii"), origin=str(path))


@dataclass(frozen=True)
class MasterKeyring:
    """The master keys that may wrap data keys; `current` wraps new ones."""

    keys: Mapping[str, bytes]
    current: str
    directory: Path | None = None

    @classmethod
    def from_environment(cls, current: SecretStr, previous: SecretStr | None = None) -> MasterKeyring:
        """Keys given as settings: the current one, and earlier ones still to be rotated away."""
        keys = [parse_key(current.get_secret_value(), origin="CERTLEDGER_MASTER_KEY")]
        if previous is not None:
            for index, text in enumerate(previous.get_secret_value().split(",")):
                if text.strip():
                    keys.append(parse_key(text, origin=f"CERTLEDGER_PREVIOUS_MASTER_KEYS[{index}]"))
        return cls({key_id(key): key for key in keys}, key_id(keys[0]))

    @classmethod
    def from_directory(cls, directory: Path) -> MasterKeyring:
        """Keys kept as files ``<id>.key`` in `directory`, the current one named in ``current``.

        The first use creates the directory (owner-only) and a first random master key. Keys
        retired by a rotation wait in ``retired/`` until the next rotation finds them unused.
        """
        pointer = directory / "current"
        _settle_pending(directory)
        if not pointer.is_file():
            key = load_or_create_key(directory / "pending.key")
            _settle_pending(directory)
            _write_pointer(pointer, key_id(key))
        keys = {}
        for path in [*sorted((directory / "retired").glob("*.key")), *sorted(directory.glob("*.key"))]:
            key = parse_key(path.read_text(encoding="ascii"), origin=str(path))
            if key_id(key) != path.stem:
                raise IssuerConfigError(f"{path} holds key {key_id(key)}, not {path.stem}")
            keys[path.stem] = key
        current = pointer.read_text(encoding="ascii").strip()
        if current not in keys:
            raise IssuerConfigError(f"{pointer} names master key {current}, which is not in {directory}")
        return cls(keys, current, directory)

    def key(self, identifier: str) -> bytes:
        """The master key named `identifier`."""
        try:
            return self.keys[identifier]
        except KeyError:
            raise SafeError(f"master key {identifier} is not available; was it retired too early?") from None

    def reloaded(self) -> MasterKeyring:
        """This keyring as the key directory says now (another process may have rotated)."""
        if self.directory is None:
            return self
        return MasterKeyring.from_directory(self.directory)

    def pointer_version(self) -> int | None:
        """When the ``current`` pointer last changed; None for keys from the environment."""
        if self.directory is None:
            return None
        try:
            return (self.directory / "current").stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def add_new_current(self) -> MasterKeyring:
        """A keyring with a fresh random key as current (written to the key directory)."""
        if self.directory is None:
            raise IssuerConfigError(
                "master keys come from the environment: set CERTLEDGER_MASTER_KEY to the new key and "
                "CERTLEDGER_PREVIOUS_MASTER_KEYS to the old ones, then rotate"
            )
        _settle_pending(self.directory)
        key = _write_new_key(self.directory / "pending.key")
        identifier = key_id(key)
        _settle_pending(self.directory)
        _write_pointer(self.directory / "current", identifier)
        return MasterKeyring({**self.keys, identifier: key}, identifier, self.directory)

    def retire(self, identifiers: set[str]) -> tuple[set[str], set[str]]:
        """Moves keys no data key needs any more to ``retired/``, and deletes keys retired by an
        earlier rotation that are still unused; returns (moved, deleted).

        The grace of one rotation lets a process that wrapped a data key under the old key in the
        very moment of rotation still read it (the next rotation rewraps it).
        """
        if self.directory is None:
            return set(), set()
        retired = self.directory / "retired"
        retired.mkdir(mode=0o700, exist_ok=True)
        deleted = set()
        for path in retired.glob("*.key"):
            if path.stem in identifiers and path.stem != self.current:
                path.unlink()
                deleted.add(path.stem)
        moved = set()
        for identifier in identifiers - {self.current} - deleted:
            source = self.directory / f"{identifier}.key"
            if source.is_file():
                os.replace(source, retired / source.name)
                moved.add(identifier)
        return moved, deleted


def _settle_pending(directory: Path) -> None:
    """Finishes (or cleans up) a key creation that a crash interrupted."""
    pending = directory / "pending.key"
    if not pending.is_file():
        return
    try:
        key = parse_key(pending.read_text(encoding="ascii"), origin=str(pending))
    except IssuerConfigError:
        pending.unlink(missing_ok=True)  # a half-written key was never used by anything
        return
    with contextlib.suppress(FileNotFoundError):  # another process settled it first
        os.replace(pending, directory / f"{key_id(key)}.key")


def _write_pointer(pointer: Path, identifier: str) -> None:
    temporary = pointer.with_suffix(".tmp")
    temporary.write_text(identifier + "\n", encoding="ascii")
    os.replace(temporary, pointer)


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key as stored: encrypted under master key `master_key_id`."""

    master_key_id: str
    blob: bytes


class Safe:
    """Encrypts and decrypts certificate bodies; wraps and unwraps data keys.

    With keys in a directory, the safe notices a rotation by another process (the ``current``
    pointer changed) before it wraps a new data key, and reloads the keys before it reports one
    missing, so long-running services need no restart when the master key rotates.
    """

    def __init__(self, keyring: MasterKeyring) -> None:
        self.keyring = keyring
        self._pointer = keyring.pointer_version()

    def _fresh_keyring(self) -> MasterKeyring:
        version = self.keyring.pointer_version()
        if version != self._pointer:
            self.keyring = self.keyring.reloaded()
            self._pointer = version
        return self.keyring

    def _master(self, identifier: str) -> bytes:
        if identifier not in self.keyring.keys and self.keyring.directory is not None:
            self.keyring = self.keyring.reloaded()
            self._pointer = self.keyring.pointer_version()
        return self.keyring.key(identifier)

    def new_data_key(self, citizen_id: str) -> tuple[bytes, WrappedKey]:
        """A fresh data key for `citizen_id`, and its wrapped form to store."""
        data_key = AESGCM.generate_key(bit_length=256)
        return data_key, self.wrap(citizen_id, data_key)

    def wrap(self, citizen_id: str, data_key: bytes) -> WrappedKey:
        """`data_key` wrapped by the current master key."""
        keyring = self._fresh_keyring()
        master_id = keyring.current
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(keyring.key(master_id)).encrypt(nonce, data_key, _wrap_context(citizen_id, master_id))
        return WrappedKey(master_id, nonce + sealed)

    def unwrap(self, citizen_id: str, wrapped: WrappedKey) -> bytes:
        """The data key of `citizen_id`; refuses a key wrapped for anybody else."""
        master = self._master(wrapped.master_key_id)
        if len(wrapped.blob) < NONCE_BYTES + TAG_BYTES:  # AESGCM would raise ValueError on a short nonce
            raise SafeIntegrityError(
                "the data key does not belong to this citizen or was altered",
                record=f"data key of citizen {citizen_id}",
            )
        try:
            return AESGCM(master).decrypt(
                wrapped.blob[:NONCE_BYTES],
                wrapped.blob[NONCE_BYTES:],
                _wrap_context(citizen_id, wrapped.master_key_id),
            )
        except InvalidTag:
            raise SafeIntegrityError(
                "the data key does not belong to this citizen or was altered",
                record=f"data key of citizen {citizen_id}",
            ) from None

    def rewrap(self, citizen_id: str, wrapped: WrappedKey) -> WrappedKey:
        """The same data key wrapped by the current master key."""
        return self.wrap(citizen_id, self.unwrap(citizen_id, wrapped))


def encrypt_body(data_key: bytes, plaintext: bytes, *, record_id: str, version: int) -> bytes:
    """``nonce ‖ ciphertext ‖ tag`` of a certificate body bound to its record and version."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, _body_context(record_id, version))


def decrypt_body(data_key: bytes, blob: bytes, *, record_id: str, version: int) -> bytes:
    """The plaintext body; refuses a ciphertext of another record, version or key."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:  # AESGCM would raise ValueError on a short nonce
        raise SafeIntegrityError(
            "the certificate body does not decrypt: altered, moved, or under another key",
            record=f"certificate {record_id}",
        )
    try:
        return AESGCM(data_key).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _body_context(record_id, version)
        )
    except InvalidTag:
        raise SafeIntegrityError(
            "the certificate body does not decrypt: altered, moved, or under another key",
            record=f"certificate {record_id}",
        ) from None


def _body_context(record_id: str, version: int) -> bytes:
    return b"|".join((_BODY_CONTEXT, record_id.encode("ascii"), str(version).encode("ascii")))


def _wrap_context(citizen_id: str, master_id: str) -> bytes:
    return b"|".join((_WRAP_CONTEXT, citizen_id.encode("ascii"), master_id.encode("ascii")))


class KeyedHasher:
    """Keyed hashes for lookups: nothing stored can be reversed by guessing identity numbers."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def identity(self, identity_number: str) -> bytes:
        """The lookup hash of an identity number."""
        return hmac.new(
            self._key, _LOOKUP_CONTEXT + b"|" + identity_number.encode("ascii"), hashlib.sha256
        ).digest()

    def name(self, name: str) -> bytes:
        """The lookup hash of a person's name, for the office's search by name.

        The name is NFC-normalised with every whitespace character (the ideographic space too)
        removed, so that "张 三" typed into the console finds "张三" as the export wrote it. Keyed
        and domain-separated from identity numbers: a table of common names cannot reverse it.
        """
        folded = "".join(unicodedata.normalize("NFC", name).split())
        return hmac.new(self._key, _NAME_CONTEXT + b"|" + folded.encode("utf-8"), hashlib.sha256).digest()

    def derive(self, purpose: str) -> bytes:
        """A 256-bit key for another keyed hash (phones, pseudonyms), separate by its purpose."""
        return hmac.new(
            self._key, b"certledger/derived-key|" + purpose.encode("ascii"), hashlib.sha256
        ).digest()

    def input_digest(self, canonical_input: bytes) -> bytes:
        """The digest of an input row, to recognise a re-sent row and refuse a changed one."""
        return hmac.new(self._key, _DIGEST_CONTEXT + b"|" + canonical_input, hashlib.sha256).digest()


def holder_name_hash(
    hasher: KeyedHasher, certificate_type: CertificateType, claims: Mapping[str, Any]
) -> bytes | None:
    """The name lookup hash of a certificate's holder, or None when its type names no holder-name
    field (``x-certledger.holderNameField``) or the claims hold no name there."""
    field = certificate_type.schema.get("x-certledger", {}).get("holderNameField")
    value = claims.get(field) if isinstance(field, str) else None
    if not isinstance(value, str) or not value.split():
        return None
    return hasher.name(value)
