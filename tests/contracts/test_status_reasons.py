"""The status-change reasons: one table in Solidity, its mirror in Python, and the ledger's refusal
of any code outside it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract

from ledger import ContractRevertError, Reason, load_artifact
from tests.conftest import funded_account, new_sender
from tests.world import World

_CONSTANT = re.compile(r"uint16 internal constant (\w+) = (\d+);")


@pytest.fixture(scope="module")
def harness(w3: Web3) -> Contract:
    """`StatusReasons` exposed through `eth_call`."""
    artifact = load_artifact("StatusReasonsHarness")
    receipt = new_sender(w3, funded_account(w3)).send(to=None, data=artifact.bytecode)
    return cast(Contract, w3.eth.contract(address=receipt.contract_address, abi=artifact.abi))


def test_python_names_the_same_codes_as_solidity(project_root: Path) -> None:
    source = (project_root / "contracts" / "libraries" / "StatusReasons.sol").read_text(encoding="utf-8")
    solidity = {name: int(value) for name, value in _CONSTANT.findall(source)}
    assert solidity == {reason.name: int(reason) for reason in Reason}


def test_the_known_bitmap_is_the_python_table(harness: Contract) -> None:
    assert harness.functions.known().call() == sum(1 << reason for reason in Reason)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.integers(0, 300), st.integers(0, 2**16 - 1)))
def test_solidity_and_python_agree_on_every_code(harness: Contract, code: int) -> None:
    known = code in {int(reason) for reason in Reason}
    assert harness.functions.isKnown(code).call() is known


@pytest.mark.parametrize("action", ["revoke", "suspend", "reinstate"])
@pytest.mark.parametrize("code", [0, 7, 255, 256, 2**16 - 1])
def test_the_ledger_refuses_a_code_outside_the_table(fresh: World, action: str, code: int) -> None:
    office = fresh.ledger("office_key")
    change = getattr(office, action)
    with pytest.raises(ContractRevertError) as refused:
        change(fresh.root, [1], reason=code)
    assert (refused.value.error, refused.value.arguments) == (
        "CertificateLedgerUnknownReason",
        {"reason": code},
    )


def test_every_code_of_the_table_is_accepted(fresh: World) -> None:
    office = fresh.ledger("office_key")
    for reason in Reason:
        office.suspend(fresh.root, [3], reason=int(reason))
        office.reinstate(fresh.root, [3], reason=int(reason))
    assert office.status_of(fresh.root, 3).name == "VALID"
