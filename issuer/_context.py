"""The issuer service wired from its settings: database, safe, types, chain and services."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.engine import Engine

from issuer._errors import IssuerConfigError
from issuer._issuing import IssuanceService
from issuer._safe import KeyedHasher, MasterKeyring, Safe, load_or_create_key, parse_key
from issuer._settings import IssuerSettings
from issuer._status import StatusService
from issuer._store import CertificateStore
from issuer._worker import AnchoringWorker
from ledger import (
    ChainContext,
    Clock,
    TypeCatalog,
    create_database_engine,
    default_database_url,
    migrate,
    system_clock,
)


class IssuerContext:
    """Builds each part on first use, so a command only touches what it needs."""

    def __init__(self, settings: IssuerSettings | None = None, *, clock: Clock = system_clock) -> None:
        self.settings = settings or IssuerSettings()
        self.clock = clock
        """The one clock every service built here reads."""
        self.chain = ChainContext(self.settings)

    @cached_property
    def engine(self) -> Engine:
        """The database, migrated to the current schema."""
        url = self.settings.database_url or default_database_url(self.settings.data_dir)
        engine = create_database_engine(url)
        migrate(engine)
        return engine

    @cached_property
    def catalog(self) -> TypeCatalog:
        """The built-in certificate types and those registered in ``<data>/schemas``."""
        return TypeCatalog.load(self.settings.data_dir / "schemas")

    @cached_property
    def keyring(self) -> MasterKeyring:
        """The master keys: from the settings, else from ``<data>/keys/master``."""
        if self.settings.master_key is not None:
            return MasterKeyring.from_environment(
                self.settings.master_key, self.settings.previous_master_keys
            )
        if self.settings.previous_master_keys is not None:
            raise IssuerConfigError("CERTLEDGER_PREVIOUS_MASTER_KEYS needs CERTLEDGER_MASTER_KEY")
        return MasterKeyring.from_directory(self.settings.data_dir / "keys" / "master")

    @cached_property
    def safe(self) -> Safe:
        """Encryption of certificate bodies under the citizens' data keys."""
        return Safe(self.keyring)

    @cached_property
    def hasher(self) -> KeyedHasher:
        """Keyed lookup hashes: from the settings, else ``<data>/keys/lookup.key``."""
        if self.settings.lookup_key is not None:
            return KeyedHasher(
                parse_key(self.settings.lookup_key.get_secret_value(), origin="CERTLEDGER_LOOKUP_KEY")
            )
        return KeyedHasher(load_or_create_key(self.settings.data_dir / "keys" / "lookup.key"))

    @cached_property
    def office_id(self) -> int:
        """The office the issuer key signs for, as the registry on chain says."""
        issuer = self.chain.account("issuer")
        info = self.chain.ledger().key_info(issuer.address)
        if info is None:
            raise IssuerConfigError(
                f"the issuer key {issuer.address} is not registered on chain: "
                "run `certledger run --detach` on a development chain, or ask the governor to add it"
            )
        return info.office_id

    def issuance(self) -> IssuanceService:
        """The issuance service for this office."""
        return IssuanceService(
            self.engine, self.safe, self.hasher, office_id=self.office_id, clock=self.clock
        )

    def worker(self) -> AnchoringWorker:
        """The anchoring worker for the issuer key."""
        return AnchoringWorker(
            self.engine,
            self.chain.ledger("issuer"),
            office_id=self.office_id,
            batch_size=self.settings.batch_size,
            batch_wait=self.settings.batch_wait,
            finality_window=self.settings.finality_window,
            lease_seconds=self.settings.worker_lease,
            clock=self.clock,
        )

    def statuses(self) -> StatusService:
        """Revocation, suspension and reinstatement through the issuer key."""
        return StatusService(self.engine, self.chain.ledger("issuer"), clock=self.clock)

    def store(self) -> CertificateStore:
        """Certificates read back from the safe."""
        deployment = self.chain.deployment()
        return CertificateStore(
            self.engine, self.safe, chain_id=deployment.chain_id, ledger_address=deployment.ledger
        )
