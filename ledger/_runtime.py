"""Everything needed to act on the configured chain, built once from the settings."""

from __future__ import annotations

from functools import cached_property

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger._chain import ManagedChain
from ledger._clients import AccessLogAnchorClient, CertificateLedgerClient
from ledger._deploy import Deployment, load_manifest, manifest_path
from ledger._errors import LedgerConfigError
from ledger._keys import ROLES, KeyStore
from ledger._rpc import connect
from ledger._sender import TransactionSender, sender_for
from ledger._settings import LedgerSettings


class ChainContext:
    """The chain connection, role keys, senders and contract clients of one configuration."""

    def __init__(self, settings: LedgerSettings | None = None) -> None:
        self.settings = settings or LedgerSettings()
        self.keys = KeyStore(self.settings.data_dir / "keys")

    @cached_property
    def w3(self) -> Web3:
        """A connection to the configured node."""
        return connect(self.settings.endpoint, timeout=self.settings.rpc_timeout)

    @cached_property
    def managed_chain(self) -> ManagedChain | None:
        """The embedded node, when no external RPC URL is configured."""
        if not self.settings.managed:
            return None
        return ManagedChain(
            self.settings.data_dir,
            host=self.settings.chain_host,
            port=self.settings.chain_port,
            chain_id=self.settings.chain_id,
        )

    def account(self, role: str, *, create: bool = True) -> LocalAccount:
        """The key of `role` (governor, issuer or operator)."""
        if role not in ROLES:
            raise LedgerConfigError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        secret = getattr(self.settings, f"{role}_key")
        return self.keys.account(role, secret=secret, create=create)

    def sender(self, role: str) -> TransactionSender:
        """The process's transaction sender for `role`'s key."""
        return sender_for(
            self.w3,
            self.account(role),
            confirmations=self.settings.confirmations,
            timeout=self.settings.transaction_timeout,
        )

    def deployment(self) -> Deployment:
        """The recorded deployment on the configured chain."""
        path = manifest_path(self.settings.data_dir, self.w3.eth.chain_id)
        if not path.is_file():
            raise LedgerConfigError(
                f"nothing is deployed on chain {self.w3.eth.chain_id}: run `certledger deploy`"
            )
        return load_manifest(path)

    def ledger(self, role: str | None = None) -> CertificateLedgerClient:
        """The certificate ledger, sending as `role` when given."""
        sender = self.sender(role) if role else None
        return CertificateLedgerClient(self.w3, self.deployment().ledger, sender=sender)

    def access_log(self, role: str | None = None) -> AccessLogAnchorClient:
        """The access log anchor, sending as `role` when given."""
        sender = self.sender(role) if role else None
        return AccessLogAnchorClient(self.w3, self.deployment().access_log, sender=sender)
