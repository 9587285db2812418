"""Every state-changing function of every contract × every kind of caller.

Exactly the allowed cells succeed (and emit their event); every other cell reverts with the
named custom error and its exact arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ledger import OPEN_END, ContractRevertError, Reason, Receipt
from tests.world import ACTORS, LOG_ID, OFFICE_A, OFFICE_B, OFFICE_C, TYPE_CONTRIBUTION, World

Refusal = tuple[str, dict[str, Any]]
NEW_KEY = "0x" + "5e" * 20


def not_governor(world: World, actor: str, at: int) -> Refusal:
    return "IssuerRegistryUnauthorized", {"caller": world.address(actor)}


def not_pending_governor(world: World, actor: str, at: int) -> Refusal:
    return "IssuerRegistryNotPendingGovernor", {"caller": world.address(actor)}


def cannot_issue_type_1(world: World, actor: str, at: int) -> Refusal:
    address = world.address(actor)
    if actor == "other_office_key":
        return "IssuerRegistryTypeNotAllowed", {"officeId": OFFICE_B, "typeId": TYPE_CONTRIBUTION, "at": at}
    return _invalid_key(world, actor, at) or ("IssuerRegistryUnknownKey", {"key": address})


def cannot_change_office_a_status(world: World, actor: str, at: int) -> Refusal:
    address = world.address(actor)
    if actor == "other_office_key":
        return "IssuerRegistryWrongOffice", {"key": address, "keyOfficeId": OFFICE_B, "officeId": OFFICE_A}
    return _invalid_key(world, actor, at) or ("IssuerRegistryUnknownKey", {"key": address})


def _invalid_key(world: World, actor: str, at: int) -> Refusal | None:
    if actor == "retired_key":
        return "IssuerRegistryKeyNotValid", {
            "key": world.address(actor),
            "at": at,
            "validFrom": world.retired_from,
            "validUntil": world.retired_at,
        }
    if actor == "suspended_office_key":
        return "IssuerRegistryOfficeSuspended", {"officeId": OFFICE_C, "since": world.suspended_from}
    return None


def not_log_governor(world: World, actor: str, at: int) -> Refusal:
    return "AccessLogAnchorUnauthorized", {"caller": world.address(actor)}


def not_log_operator(world: World, actor: str, at: int) -> Refusal:
    return "AccessLogAnchorNotOperator", {"logId": LOG_ID, "caller": world.address(actor)}


@dataclass(frozen=True)
class Operation:
    """One state-changing function, who may call it, and the event it emits when allowed."""

    name: str
    call: Callable[[World, str], Receipt]
    allowed: frozenset[str]
    refusal: Callable[[World, str, int], Refusal]
    event: str
    contract: str = "ledger"


GOVERNOR = frozenset({"governor"})
OFFICE_A_STATUS = frozenset({"governor", "office_key"})

OPERATIONS = [
    Operation(
        "transferGovernance",
        lambda w, a: w.ledger(a).transfer_governance(w.address("stranger")),
        GOVERNOR, not_governor, "GovernanceTransferStarted",
    ),
    Operation(
        "acceptGovernance",
        lambda w, a: w.ledger(a).accept_governance(),
        frozenset({"operator"}), not_pending_governor, "GovernanceTransferred",
    ),
    Operation(
        "registerOffice",
        lambda w, a: w.ledger(a).register_office(9, region_code=371000, display_name="新机构", type_ids=[1]),
        GOVERNOR, not_governor, "OfficeRegistered",
    ),
    Operation(
        "allowCertificateType",
        lambda w, a: w.ledger(a).allow_certificate_type(OFFICE_A, 7),
        GOVERNOR, not_governor, "CertificateTypeAllowed",
    ),
    Operation(
        "withdrawCertificateType",
        lambda w, a: w.ledger(a).withdraw_certificate_type(OFFICE_A, TYPE_CONTRIBUTION),
        GOVERNOR, not_governor, "CertificateTypeWithdrawn",
    ),
    Operation(
        "addKey",
        lambda w, a: w.ledger(a).add_key(OFFICE_A, NEW_KEY),
        GOVERNOR, not_governor, "KeyAdded",
    ),
    Operation(
        "retireKey",
        lambda w, a: w.ledger(a).retire_key(w.address("office_key"), at=w.now() + 3600),
        GOVERNOR, not_governor, "KeyRetired",
    ),
    Operation(
        "rotateKey",
        lambda w, a: w.ledger(a).rotate_key(w.address("office_key"), NEW_KEY),
        GOVERNOR, not_governor, "KeyAdded",
    ),
    Operation(
        "suspendOffice",
        lambda w, a: w.ledger(a).suspend_office(OFFICE_B, since=w.now() + 3600),
        GOVERNOR, not_governor, "OfficeSuspended",
    ),
    Operation(
        "anchor",
        lambda w, a: w.ledger(a).anchor(os.urandom(32), count=5, type_id=TYPE_CONTRIBUTION).receipt,
        frozenset({"office_key"}), cannot_issue_type_1, "BatchAnchored",
    ),
    Operation(
        "revoke",
        lambda w, a: w.ledger(a).revoke(w.root, [0, 5], reason=1),
        OFFICE_A_STATUS, cannot_change_office_a_status, "CertificatesRevoked",
    ),
    Operation(
        "suspend",
        lambda w, a: w.ledger(a).suspend(w.root, [1], reason=2),
        OFFICE_A_STATUS, cannot_change_office_a_status, "CertificatesSuspended",
    ),
    Operation(
        "reinstate",
        lambda w, a: w.ledger(a).reinstate(w.root, [2], reason=3),
        OFFICE_A_STATUS, cannot_change_office_a_status, "CertificatesReinstated",
    ),
    Operation(
        "authorizeOperator",
        lambda w, a: w.access_log(a).authorize_operator(LOG_ID, NEW_KEY),
        GOVERNOR, not_log_governor, "OperatorAuthorized", "access_log",
    ),
    Operation(
        "revokeOperator",
        lambda w, a: w.access_log(a).revoke_operator(LOG_ID, w.address("operator")),
        GOVERNOR, not_log_governor, "OperatorRevoked", "access_log",
    ),
    Operation(
        "append",
        lambda w, a: w.access_log(a).append(LOG_ID, root=os.urandom(32), size=3),
        frozenset({"operator"}), not_log_operator, "LogRootAppended", "access_log",
    ),
]  # fmt: skip


def test_the_matrix_names_every_state_changing_function(world: World) -> None:
    for contract, client in (("ledger", world.ledger()), ("access_log", world.access_log())):
        mutating = {
            item["name"]
            for item in client.abi
            if item["type"] == "function" and item["stateMutability"] not in ("view", "pure")
        }
        assert mutating == {op.name for op in OPERATIONS if op.contract == contract}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_role_matrix(fresh: World, operation: Operation, actor: str) -> None:
    at = fresh.pin_next_block()
    if actor in operation.allowed:
        receipt = operation.call(fresh, actor)
        client = fresh.ledger() if operation.contract == "ledger" else fresh.access_log()
        assert operation.event in [event.name for event in client.receipt_events(receipt)]
    else:
        with pytest.raises(ContractRevertError) as refused:
            operation.call(fresh, actor)
        assert (refused.value.error, refused.value.arguments) == operation.refusal(fresh, actor, at)


def test_suspended_office_cannot_touch_even_its_own_batches_but_the_governor_can(fresh: World) -> None:
    at = fresh.pin_next_block()
    with pytest.raises(ContractRevertError) as refused:
        fresh.ledger("suspended_office_key").revoke(fresh.root_c, [0], reason=1)
    assert refused.value.error == "IssuerRegistryOfficeSuspended"
    assert refused.value.arguments == {"officeId": OFFICE_C, "since": fresh.suspended_from}
    del at
    fresh.ledger("governor").revoke(fresh.root_c, [0], reason=int(Reason.KEY_COMPROMISE))
    assert fresh.ledger().status_of(fresh.root_c, 0).name == "REVOKED"


def test_the_new_governor_governs_after_accepting(fresh: World) -> None:
    fresh.ledger("operator").accept_governance()
    ledger = fresh.ledger()
    assert ledger.governor() == fresh.address("operator")
    assert ledger.pending_governor() is None
    with pytest.raises(ContractRevertError) as refused:
        fresh.ledger("governor").add_key(OFFICE_A, NEW_KEY)
    assert refused.value.arguments == {"caller": fresh.address("governor")}
    fresh.ledger("operator").add_key(OFFICE_A, NEW_KEY, valid_until=OPEN_END)
    # The access log follows the registry's governor.
    fresh.access_log("operator").authorize_operator(LOG_ID, NEW_KEY)
