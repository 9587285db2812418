"""Role keys on disk and in the environment, and the settings that point at the chain."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from ledger import KeyStore, LedgerConfigError, LedgerSettings


def test_a_missing_key_is_created_owner_only_and_then_reused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    first = keys.account("issuer")
    mode = stat.S_IMODE((tmp_path / "keys" / "issuer.key").stat().st_mode)
    assert mode == 0o600
    assert keys.account("issuer").address == first.address
    assert keys.account("governor").address != first.address


def test_a_key_from_the_settings_wins_and_is_never_written(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    secret = SecretStr("0x" + "11" * 32)
    account = keys.account("governor", secret=secret)
    assert account.key.hex().endswith("11" * 32)
    assert not (tmp_path / "keys" / "governor.key").exists()


def test_bad_keys_and_names_are_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    with pytest.raises(LedgerConfigError, match="32-byte hex private key"):
        keys.account("governor", secret=SecretStr("not a key"))
    with pytest.raises(LedgerConfigError, match="key name"):
        keys.account("../escape")
    with pytest.raises(LedgerConfigError, match="CERTLEDGER_ISSUER_KEY"):
        keys.account("issuer", create=False)


def test_settings_default_to_the_managed_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CERTLEDGER_RPC_URL", raising=False)
    settings = LedgerSettings()
    assert settings.managed and settings.endpoint == "http://127.0.0.1:8545"
    monkeypatch.setenv("CERTLEDGER_RPC_URL", "https://besu.example.gov.cn:8545")
    monkeypatch.setenv("CERTLEDGER_CONFIRMATIONS", "3")
    settings = LedgerSettings()
    assert not settings.managed and settings.endpoint == "https://besu.example.gov.cn:8545"
    assert settings.confirmations == 3
    monkeypatch.setenv("CERTLEDGER_RPC_URL", "ws://nope")
    with pytest.raises(ValidationError, match="http:// or https://"):
        LedgerSettings()
