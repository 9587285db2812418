"""Real certificates on the session chain, and the ledger events that make some of them invalid."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from web3 import Web3

from issuer import (
    AnchoringWorker,
    CertificateStore,
    InputRow,
    IssuanceService,
    KeyedHasher,
    MasterKeyring,
    Reason,
    Safe,
    StatusService,
)
from issuer._derive import apply_derivations
from ledger import (
    Anchor,
    BatchTree,
    Certificate,
    CertificateLedgerClient,
    FixedClock,
    Header,
    TypeCatalog,
    create_database_engine,
    deploy_contracts,
    migrate,
    seal,
)
from scripts.demo_data import generate
from tests.conftest import (
    NOW,
    TODAY,
    clock_on,
    funded_account,
    latest_timestamp,
    new_sender,
    set_next_timestamp,
)
from verifier import ChainView, Verifier

OFFICE_A, OFFICE_B = 1, 2


@dataclass
class Issued:
    """Everything the verifier tests check, by role."""

    w3: Web3
    ledger: str
    catalog: TypeCatalog
    governor: CertificateLedgerClient
    genuine: list[Certificate] = field(default_factory=list)
    revoked: Certificate | None = None
    suspended: Certificate | None = None
    expired: Certificate | None = None
    later_retired: Certificate | None = None
    retired_before: Certificate | None = None
    office_suspended: Certificate | None = None
    wrong_type: Certificate | None = None
    rogue: Certificate | None = None
    rogue_on_real_ledger: Certificate | None = None

    def verifier(self, *, head_ttl: float = 0.0, today: date = TODAY) -> Verifier:
        """A verifier trusting the real ledger."""
        chain = ChainView(self.w3, ledger=self.ledger, chain_id=31337, head_ttl=head_ttl)
        return Verifier(chain, self.catalog, clock=clock_on(today))


def _issue(  # noqa: PLR0917
    service: IssuanceService,
    worker: AnchoringWorker,
    store: CertificateStore,
    type_name: str,
    count: int,
    seed: int,
) -> list[Certificate]:
    catalog = TypeCatalog.load()
    certificate_type = catalog.find(type_name)
    rows = []
    for index, document in enumerate(generate(type_name, count, seed=seed)):
        assert apply_derivations(document, certificate_type.derive) == []
        rows.append(InputRow(index + 2, str(document["certificate_no"]), document))
    assert service.issue(rows, certificate_type).issued == count
    worker.drain()
    return [store.by_number(row.number).certificate for row in rows]


def _forged_batch(
    ledger: CertificateLedgerClient,
    header: Header,
    claims: dict[str, object],
    *,
    field_count: int,
    anchor_type: int,
) -> Certificate:
    """A self-consistent certificate whose batch the given key anchors for `anchor_type`."""
    certificate = seal(header, claims, field_count=field_count)
    tree = BatchTree.build([certificate.root, os.urandom(32)])
    anchored = ledger.anchor(tree.root, count=2, type_id=anchor_type)
    return certificate.with_anchor(
        Anchor(
            anchored.batch_id,
            0,
            2,
            tree.root,
            tree.proof(0),
            31337,
            ledger.address,
            anchored.receipt.transaction_hash,
            anchored.receipt.block_number,
        )
    )


@pytest.fixture(scope="module")
def issued(w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issued]:
    """Forty-odd certificates of all three types in several batches, and every bad case."""
    folder: Path = tmp_path_factory.mktemp("verifier")
    engine = create_database_engine(f"sqlite:///{folder / 'db.sqlite'}")
    migrate(engine)
    governor_account, key_a, key_later, key_b = (funded_account(w3) for _ in range(4))
    governor_sender = new_sender(w3, governor_account)
    governor = CertificateLedgerClient(
        w3, deploy_contracts(w3, governor_sender).ledger, sender=governor_sender
    )
    governor.register_office(
        OFFICE_A, region_code=371000, display_name="威海市社会保险事业中心", type_ids=[1, 2, 3]
    )
    governor.register_office(
        OFFICE_B, region_code=370200, display_name="青岛市社会保险事业中心", type_ids=[2]
    )
    governor.add_key(OFFICE_A, key_a.address)
    governor.add_key(OFFICE_A, key_later.address)
    governor.add_key(OFFICE_B, key_b.address)
    safe = Safe(MasterKeyring.from_directory(folder / "keys"))
    hasher = KeyedHasher(os.urandom(32))
    clock = FixedClock(NOW)
    service = IssuanceService(engine, safe, hasher, office_id=OFFICE_A, clock=clock)
    ledger_a = governor.with_sender(new_sender(w3, key_a))
    worker = AnchoringWorker(engine, ledger_a, office_id=OFFICE_A, batch_size=6, clock=clock)
    store = CertificateStore(engine, safe, chain_id=31337, ledger_address=governor.address)
    catalog = TypeCatalog.load()
    result = Issued(w3=w3, ledger=governor.address, catalog=catalog, governor=governor)
    result.genuine += _issue(service, worker, store, "contribution-certificate", 20, seed=101)
    result.genuine += _issue(service, worker, store, "pension-qualification", 12, seed=102)
    result.genuine += _issue(service, worker, store, "work-injury-determination", 10, seed=103)

    statuses = StatusService(engine, ledger_a, clock=clock)
    revoked, suspended = _issue(service, worker, store, "pension-qualification", 2, seed=104)
    statuses.change([revoked.claims["certificate_no"]], "revoke", Reason.FRAUD)
    statuses.change([suspended.claims["certificate_no"]], "suspend", Reason.UNDER_REVIEW)
    result.revoked, result.suspended = revoked, suspended

    past = IssuanceService(engine, safe, hasher, office_id=OFFICE_A, clock=clock_on(date(2025, 3, 1)))
    (result.expired,) = _issue(past, worker, store, "contribution-certificate", 1, seed=105)

    # A key that anchors now and is retired later: what it anchored stays valid.
    later_worker = AnchoringWorker(
        engine, governor.with_sender(new_sender(w3, key_later)), office_id=OFFICE_A, clock=clock
    )
    (result.later_retired,) = _issue(service, later_worker, store, "pension-qualification", 1, seed=106)
    set_next_timestamp(w3, latest_timestamp(w3) + 60)
    governor.retire_key(key_later.address, at=latest_timestamp(w3) + 30)

    # A key found compromised: retired from before the batch it anchored.
    compromised = funded_account(w3)
    governor.add_key(OFFICE_A, compromised.address)
    set_next_timestamp(w3, latest_timestamp(w3) + 60)  # the key signs a minute after it was added
    bad_worker = AnchoringWorker(
        engine, governor.with_sender(new_sender(w3, compromised)), office_id=OFFICE_A, clock=clock
    )
    (result.retired_before,) = _issue(service, bad_worker, store, "pension-qualification", 1, seed=107)
    batch = governor.batch(result.retired_before.anchor.batch_root)  # type: ignore[union-attr]
    assert batch is not None
    governor.retire_key(compromised.address, at=batch.anchored_at - 1)

    # Office B may issue type 2 only; it anchors a batch holding a type-1 certificate of its own.
    ledger_b = governor.with_sender(new_sender(w3, key_b))
    contribution = catalog.find("contribution-certificate")
    claims = dict(next(generate("contribution-certificate", 1, seed=108)))
    assert apply_derivations(claims, contribution.derive) == []
    header = Header(1, 1, OFFICE_B, TODAY.isoformat(), "2027-02-27", None)
    result.wrong_type = _forged_batch(
        ledger_b, header, claims, field_count=len(contribution.fields), anchor_type=2
    )

    # Office B anchors a genuine type-2 certificate, then is found compromised from before it.
    set_next_timestamp(w3, latest_timestamp(w3) + 60)
    pension = catalog.find("pension-qualification")
    pension_claims = dict(next(generate("pension-qualification", 1, seed=109)))
    header_b = Header(2, 1, OFFICE_B, TODAY.isoformat(), "2027-11-29", None)
    result.office_suspended = _forged_batch(
        ledger_b, header_b, pension_claims, field_count=len(pension.fields), anchor_type=2
    )
    suspended_batch = governor.batch(result.office_suspended.anchor.batch_root)  # type: ignore[union-attr]
    assert suspended_batch is not None
    governor.suspend_office(OFFICE_B, since=suspended_batch.anchored_at - 1)

    # A forger's own ledger, with an office and key registered by nobody we trust.
    forger = funded_account(w3)
    rogue_sender = new_sender(w3, forger)
    rogue = CertificateLedgerClient(w3, deploy_contracts(w3, rogue_sender).ledger, sender=rogue_sender)
    rogue.register_office(OFFICE_A, region_code=371000, display_name="威海市社会保险事业中心", type_ids=[2])
    rogue.add_key(OFFICE_A, forger.address)
    header_a = Header(2, 1, OFFICE_A, TODAY.isoformat(), "2027-11-29", None)
    result.rogue = _forged_batch(
        rogue,
        header_a,
        dict(next(generate("pension-qualification", 1, seed=110))),
        field_count=len(pension.fields),
        anchor_type=2,
    )
    anchor = result.rogue.anchor
    assert anchor is not None
    result.rogue_on_real_ledger = result.rogue.with_anchor(
        Anchor(
            anchor.batch_id,
            anchor.index,
            anchor.count,
            anchor.batch_root,
            anchor.proof,
            31337,
            governor.address,
        )
    )
    yield result
    engine.dispose()


def shuffled(items: list[Certificate], seed: int) -> list[Certificate]:
    """A stable shuffle."""
    copy = list(items)
    random.Random(seed).shuffle(copy)
    return copy
