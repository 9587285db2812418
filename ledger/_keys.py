"""Signing keys of the roles the service plays, kept in owner-only files in the data folder."""

from __future__ import annotations

import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from ledger._errors import LedgerConfigError

ROLES = ("governor", "issuer", "operator")


class KeyStore:
    """Named private keys: from the settings when given there, else from ``<dir>/<name>.key``.

    A missing key file is created with a fresh random key, readable by the owner only. Keys given
    through the environment are never written to disk.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        """The file holding key `name`."""
        if not name.replace("-", "").isalnum():
            raise LedgerConfigError(f"a key name is letters, digits and dashes, got {name!r}")
        return self.directory / f"{name}.key"

    def account(self, name: str, *, secret: SecretStr | None = None, create: bool = True) -> LocalAccount:
        """The account of key `name`."""
        if secret is not None:
            return _parse(secret.get_secret_value(), origin=f"the {name} key setting")
        path = self.path(name)
        if path.is_file():
            return _parse(path.read_text(encoding="ascii").strip(), origin=str(path))
        if not create:
            raise LedgerConfigError(f"no {name} key: set CERTLEDGER_{name.upper()}_KEY or create {path}")
        account: LocalAccount = Account.create()
        self._write(path, account.key.hex())
        return account

    def _write(self, path: Path, hex_key: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: two processes creating the same key at once must not both win.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write("0x" + hex_key.removeprefix("0x") + "\n")


def _parse(text: str, *, origin: str) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_key(text)
    except (ValueError, TypeError) as error:
        raise LedgerConfigError(f"{origin} does not hold a 32-byte hex private key") from error
    return account
