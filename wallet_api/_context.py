"""The wallet service wired from its settings: audit's parts (and the issuer's beneath them), plus
tokens, keys and the verifier."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from sqlalchemy.engine import Engine

from audit import AuditContext, Pseudonyms
from issuer import CertificateStore, HolderBinding
from ledger import (
    Clock,
    GrantDomain,
    connect,
    create_database_engine,
    default_database_url,
    system_clock,
)
from verifier import ChainView, Verifier
from wallet_api._principal import UnitKeyCache
from wallet_api._proxies import TrustedProxies
from wallet_api._ratelimit import RateLimiter, budget_engine
from wallet_api._security import ApiKeys, TokenService, load_token_secret
from wallet_api._settings import WalletSettings
from wallet_api._writer import GroupWriter


class WalletContext(AuditContext):
    """Builds each part on first use."""

    settings: WalletSettings

    def __init__(self, settings: WalletSettings | None = None, *, clock: Clock = system_clock) -> None:
        super().__init__(settings or WalletSettings(), clock=clock)

    @cached_property
    def reader(self) -> Engine:
        """An engine for queries only (on SQLite, readers do not queue behind the writer)."""
        self.engine  # noqa: B018 — migrated first
        url = self.settings.database_url or default_database_url(self.settings.data_dir)
        return create_database_engine(url, reader=True)

    @cached_property
    def tokens(self) -> TokenService:
        """Access tokens for citizens, operators and auditors."""
        secret = self.settings.token_secret
        key = load_token_secret(
            secret.get_secret_value() if secret else None,
            key_file=self.settings.data_dir / "keys" / "token.key",
            production=self.settings.environment == "production",
        )
        return TokenService(key, lifetime=timedelta(minutes=self.settings.token_minutes))

    @cached_property
    def api_keys(self) -> ApiKeys:
        """Unit API keys, hashed under a key derived from the lookup key."""
        return ApiKeys(self.hasher.derive("unit-api-keys"))

    @cached_property
    def phones(self) -> bytes:
        """The key of phone-number lookup hashes."""
        return self.hasher.derive("phone-lookup")

    @cached_property
    def pseudonyms(self) -> Pseudonyms:
        """Citizens' pseudonyms in the access log."""
        return Pseudonyms(self.hasher.derive("access-log-pseudonyms"))

    @cached_property
    def binding(self) -> HolderBinding:
        """Finding citizens and binding their certificates to their wallet key."""
        catalog = self.catalog
        return HolderBinding(
            self.engine,
            self.safe,
            self.hasher,
            field_counts=lambda type_id, version: len(catalog.get(type_id, version).fields),
            clock=self.clock,
        )

    @cached_property
    def certificates(self) -> CertificateStore:
        """Certificates read back from the safe (the deployment read once)."""
        return self.store()

    @cached_property
    def domain(self) -> GrantDomain:
        """The deployment grants are signed for."""
        deployment = self.chain.deployment()
        return GrantDomain(deployment.chain_id, deployment.ledger)

    @cached_property
    def verifier(self) -> Verifier:
        """The verifier, trusting this deployment's ledger, on its own connection with a timeout."""
        deployment = self.chain.deployment()
        w3 = connect(self.settings.endpoint, timeout=self.settings.verify_timeout)
        view = ChainView(
            w3, ledger=deployment.ledger, chain_id=deployment.chain_id, head_ttl=self.settings.head_ttl
        )
        return Verifier(view, self.catalog, clock=self.clock)

    @cached_property
    def writer(self) -> GroupWriter:
        """Group commit of the access log's appends and the changes they record."""
        return GroupWriter(self.engine, clock=self.clock)

    @cached_property
    def unit_keys(self) -> UnitKeyCache:
        """Units' key records, kept for a few seconds."""
        return UnitKeyCache(self.settings.unit_key_seconds)

    @cached_property
    def limiter(self) -> RateLimiter:
        """Per-client request budgets, in the database: the same for every API process."""
        return RateLimiter(budget_engine(self.engine), key=self.hasher.derive("rate-budgets"))

    @cached_property
    def proxies(self) -> TrustedProxies:
        """The proxies whose X-Forwarded-For names the client."""
        return TrustedProxies(self.settings.trusted_proxies)
