"""The access log anchor: checkpoints only grow, only operators append, events say what changed."""

from __future__ import annotations

import os

import pytest

from ledger import ContractRevertError
from tests.world import LOG_ID, World


def test_checkpoints_are_recorded_and_sizes_strictly_increase(fresh: World) -> None:
    log = fresh.access_log("operator")
    first, second = os.urandom(32), os.urandom(32)
    at = fresh.pin_next_block()
    receipt = log.append(LOG_ID, root=first, size=10)
    (event,) = log.receipt_events(receipt)
    assert event.name == "LogRootAppended"
    assert dict(event.args) == {
        "logId": LOG_ID,
        "size": 10,
        "root": first,
        "sequence": 1,
        "operator": fresh.address("operator"),
    }
    head = log.head(LOG_ID)
    assert (head.size, head.root, head.checkpoints, head.anchored_at) == (10, first, 1, at)

    for size in (10, 9):
        with pytest.raises(ContractRevertError) as refused:
            log.append(LOG_ID, root=second, size=size)
        assert (refused.value.error, refused.value.arguments) == (
            "AccessLogAnchorSizeNotIncreasing",
            {"logId": LOG_ID, "size": size, "currentSize": 10},
        )
    log.append(LOG_ID, root=second, size=11)
    assert log.head(LOG_ID).checkpoints == 2
    assert log.root_at(LOG_ID, 10) == first
    assert log.root_at(LOG_ID, 11) == second
    assert log.root_at(LOG_ID, 12) is None


def test_zero_root_is_refused_and_logs_are_independent(fresh: World) -> None:
    log = fresh.access_log("operator")
    with pytest.raises(ContractRevertError) as refused:
        log.append(LOG_ID, root=bytes(32), size=1)
    assert refused.value.error == "AccessLogAnchorZeroRoot"
    other = bytes.fromhex("cd" * 32)
    with pytest.raises(ContractRevertError) as refused:
        log.append(other, root=os.urandom(32), size=1)
    assert refused.value.arguments == {"logId": other, "caller": fresh.address("operator")}
    assert log.head(other).size == 0


def test_operators_come_and_go(fresh: World) -> None:
    governor = fresh.access_log("governor")
    operator = fresh.address("operator")
    with pytest.raises(ContractRevertError) as refused:
        governor.authorize_operator(LOG_ID, operator)
    assert (refused.value.error, refused.value.arguments) == (
        "AccessLogAnchorAlreadyOperator",
        {"logId": LOG_ID, "operator": operator},
    )
    governor.revoke_operator(LOG_ID, operator)
    assert not governor.is_operator(LOG_ID, operator)
    with pytest.raises(ContractRevertError) as refused:
        fresh.access_log("operator").append(LOG_ID, root=os.urandom(32), size=1)
    assert refused.value.error == "AccessLogAnchorNotOperator"
    with pytest.raises(ContractRevertError) as refused:
        governor.authorize_operator(LOG_ID, "0x" + "00" * 20)
    assert refused.value.error == "AccessLogAnchorZeroAddress"
    assert governor.registry() == fresh.deployment.ledger
