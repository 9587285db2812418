"""The issuer registry: time-aware trust, the governor's changes and their refusals."""

from __future__ import annotations

import os
import random

import pytest

from ledger import ContractRevertError, Window
from tests.conftest import funded_account, new_sender, set_next_timestamp
from tests.world import OFFICE_A, OFFICE_C, TYPE_CONTRIBUTION, TYPE_PENSION, World


def refusal(error: ContractRevertError) -> tuple[str, dict[str, object]]:
    return error.error, error.arguments


def test_what_was_anchored_before_a_key_retired_stays_trusted(fresh: World) -> None:
    governor, office = fresh.ledger("governor"), fresh.ledger("office_key")
    key = fresh.address("office_key")
    anchored = office.anchor(os.urandom(32), count=3, type_id=TYPE_CONTRIBUTION)
    batch = office.batch(anchored.root)
    assert batch is not None
    retire_at = fresh.pin_next_block(10)
    governor.retire_key(key, at=retire_at)

    assert office.is_authorized(key, OFFICE_A, TYPE_CONTRIBUTION, batch.anchored_at)
    assert not office.is_authorized(key, OFFICE_A, TYPE_CONTRIBUTION, retire_at)
    at = fresh.pin_next_block()
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(os.urandom(32), count=3, type_id=TYPE_CONTRIBUTION)
    key_info = office.key_info(key)
    assert key_info is not None
    assert refusal(refused.value) == (
        "IssuerRegistryKeyNotValid",
        {"key": key, "at": at, "validFrom": key_info.valid_from, "validUntil": retire_at},
    )


def test_retiring_a_key_in_the_past_distrusts_what_it_signed_since(fresh: World) -> None:
    governor, office = fresh.ledger("governor"), fresh.ledger("office_key")
    key = fresh.address("office_key")
    early = office.batch(office.anchor(os.urandom(32), count=1, type_id=1).root)
    fresh.pin_next_block(50)
    late = office.batch(office.anchor(os.urandom(32), count=1, type_id=1).root)
    assert early is not None and late is not None
    governor.retire_key(key, at=late.anchored_at - 1)  # compromised just before `late`
    assert office.is_authorized(key, OFFICE_A, 1, early.anchored_at)
    assert not office.is_authorized(key, OFFICE_A, 1, late.anchored_at)


def test_suspension_distrusts_from_its_stated_time_even_in_the_past(fresh: World) -> None:
    governor, office = fresh.ledger("governor"), fresh.ledger("office_key")
    key = fresh.address("office_key")
    before = office.batch(office.anchor(os.urandom(32), count=1, type_id=1).root)
    fresh.pin_next_block(60)
    after = office.batch(office.anchor(os.urandom(32), count=1, type_id=1).root)
    assert before is not None and after is not None
    since = after.anchored_at - 30  # the compromise is discovered later than it happened
    governor.suspend_office(OFFICE_A, since=since)

    assert office.is_authorized(key, OFFICE_A, 1, before.anchored_at)
    assert not office.is_authorized(key, OFFICE_A, 1, after.anchored_at)
    suspended = office.office(OFFICE_A)
    assert suspended is not None and suspended.suspended_from == since
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(os.urandom(32), count=1, type_id=1)
    assert refusal(refused.value) == ("IssuerRegistryOfficeSuspended", {"officeId": OFFICE_A, "since": since})
    # A suspension only moves earlier, never later, never before registration.
    with pytest.raises(ContractRevertError) as refused:
        governor.suspend_office(OFFICE_A, since=since + 1)
    assert refusal(refused.value) == (
        "IssuerRegistryInvalidSuspension",
        {"officeId": OFFICE_A, "since": since + 1},
    )
    with pytest.raises(ContractRevertError) as refused:
        governor.suspend_office(OFFICE_A, since=suspended.registered_at - 1)
    assert refused.value.error == "IssuerRegistryInvalidSuspension"
    governor.suspend_office(OFFICE_A, since=since - 5)
    # A suspended office gains no keys and no types.
    with pytest.raises(ContractRevertError) as refused:
        governor.add_key(OFFICE_A, "0x" + "77" * 20)
    assert refusal(refused.value) == (
        "IssuerRegistryOfficeSuspended",
        {"officeId": OFFICE_A, "since": since - 5},
    )


def test_a_scheduled_suspension_lets_the_office_work_until_then(fresh: World) -> None:
    governor, office = fresh.ledger("governor"), fresh.ledger("office_key")
    closing = fresh.now() + 1000
    governor.suspend_office(OFFICE_A, since=closing)
    office.anchor(os.urandom(32), count=1, type_id=1)
    set_next_timestamp(fresh.w3, closing)
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(os.urandom(32), count=1, type_id=1)
    assert refused.value.error == "IssuerRegistryOfficeSuspended"


def test_withdrawn_types_keep_their_history(fresh: World) -> None:
    governor, office = fresh.ledger("governor"), fresh.ledger("office_key")
    key = fresh.address("office_key")
    inside = office.batch(office.anchor(os.urandom(32), count=1, type_id=1).root)
    assert inside is not None
    withdrawn_at = fresh.pin_next_block(10)
    governor.withdraw_certificate_type(OFFICE_A, TYPE_CONTRIBUTION)
    at = fresh.pin_next_block(10)
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(os.urandom(32), count=1, type_id=1)
    assert refusal(refused.value) == (
        "IssuerRegistryTypeNotAllowed",
        {"officeId": OFFICE_A, "typeId": 1, "at": at},
    )
    reopened_at = fresh.pin_next_block(100)
    governor.allow_certificate_type(OFFICE_A, TYPE_CONTRIBUTION)
    office.anchor(os.urandom(32), count=1, type_id=1)

    windows = office.type_windows(OFFICE_A, TYPE_CONTRIBUTION)
    assert windows[1:] == [Window(reopened_at, None)]
    assert windows[0].until == withdrawn_at
    assert office.is_authorized(key, OFFICE_A, 1, inside.anchored_at)
    assert not office.is_authorized(key, OFFICE_A, 1, withdrawn_at + 50)
    assert office.is_authorized(key, OFFICE_A, 1, reopened_at)
    assert office.office_types(OFFICE_A) == [TYPE_CONTRIBUTION]
    with pytest.raises(ContractRevertError) as refused:
        governor.allow_certificate_type(OFFICE_A, TYPE_CONTRIBUTION)
    assert refusal(refused.value) == ("IssuerRegistryTypeAlreadyAllowed", {"officeId": OFFICE_A, "typeId": 1})


def test_keys_have_windows_and_are_never_reused(fresh: World) -> None:
    governor = fresh.ledger("governor")
    newcomer = funded_account(fresh.w3)
    start = fresh.now() + 500
    governor.add_key(OFFICE_A, newcomer.address, valid_from=start, valid_until=start + 100)
    info = governor.key_info(newcomer.address)
    assert info is not None and (info.valid_from, info.valid_until, info.office_id) == (
        start,
        start + 100,
        OFFICE_A,
    )
    assert governor.key_by_id(info.key_id) == newcomer.address
    assert newcomer.address in governor.office_keys(OFFICE_A)

    issuing = fresh.ledger().with_sender(new_sender(fresh.w3, newcomer))
    at = fresh.pin_next_block(1)
    with pytest.raises(ContractRevertError) as refused:
        issuing.anchor(os.urandom(32), count=1, type_id=1)
    assert refusal(refused.value) == (
        "IssuerRegistryKeyNotValid",
        {"key": newcomer.address, "at": at, "validFrom": start, "validUntil": start + 100},
    )
    set_next_timestamp(fresh.w3, start)
    issuing.anchor(os.urandom(32), count=1, type_id=1)
    set_next_timestamp(fresh.w3, start + 100)
    with pytest.raises(ContractRevertError):
        issuing.anchor(os.urandom(32), count=1, type_id=1)

    with pytest.raises(ContractRevertError) as refused:
        governor.add_key(OFFICE_C, newcomer.address)  # C is suspended: refused before reuse
    assert refused.value.error == "IssuerRegistryOfficeSuspended"
    with pytest.raises(ContractRevertError) as refused:
        governor.add_key(OFFICE_A, newcomer.address)
    assert refusal(refused.value) == ("IssuerRegistryKeyExists", {"key": newcomer.address})
    with pytest.raises(ContractRevertError) as refused:
        governor.add_key(OFFICE_A, "0x" + "00" * 20)
    assert refusal(refused.value) == ("IssuerRegistryZeroAddress", {})


def test_a_past_valid_from_is_raised_to_now_and_windows_only_shrink(fresh: World) -> None:
    governor = fresh.ledger("governor")
    key = "0x" + "42" * 20
    at = fresh.pin_next_block()
    governor.add_key(OFFICE_A, key, valid_from=1)
    info = governor.key_info(key)
    assert info is not None and info.valid_from == at and info.valid_until is None
    with pytest.raises(ContractRevertError) as refused:
        governor.retire_key(key, at=at - 1)
    assert refusal(refused.value) == ("IssuerRegistryInvalidWindow", {"from": at, "until": at - 1})
    governor.retire_key(key, at=at + 10)
    with pytest.raises(ContractRevertError) as refused:
        governor.retire_key(key, at=at + 20)
    assert refusal(refused.value) == ("IssuerRegistryInvalidWindow", {"from": at, "until": at + 20})
    with pytest.raises(ContractRevertError) as refused:
        governor.add_key(OFFICE_A, "0x" + "43" * 20, valid_from=at + 100, valid_until=at + 100)
    assert refused.value.error == "IssuerRegistryInvalidWindow"


def test_rotation_hands_over_in_one_step(fresh: World) -> None:
    governor = fresh.ledger("governor")
    old, new = fresh.address("office_key"), funded_account(fresh.w3)
    at = fresh.pin_next_block()
    receipt = governor.rotate_key(old, new.address)
    names = [event.name for event in governor.receipt_events(receipt)]
    assert names == ["KeyAdded", "KeyRetired"]
    old_info, new_info = governor.key_info(old), governor.key_info(new.address)
    assert old_info is not None and old_info.valid_until == at
    assert new_info is not None and (new_info.valid_from, new_info.valid_until) == (at, None)
    with pytest.raises(ContractRevertError) as refused:
        governor.rotate_key(fresh.address("retired_key"), "0x" + "44" * 20)
    assert refused.value.error == "IssuerRegistryKeyNotValid"


def test_office_registration_is_validated(fresh: World) -> None:
    governor = fresh.ledger("governor")
    cases = [
        (dict(office_id=0, region_code=371000, display_name="x"), ("IssuerRegistryInvalidOfficeId", {})),
        (dict(office_id=OFFICE_A, region_code=371000, display_name="x"), ("IssuerRegistryOfficeExists", {"officeId": 1})),
        (dict(office_id=20, region_code=37100, display_name="x"), ("IssuerRegistryInvalidRegionCode", {"regionCode": 37100})),
        (dict(office_id=20, region_code=371000, display_name=""), ("IssuerRegistryInvalidDisplayName", {"length": 0})),
        (dict(office_id=20, region_code=371000, display_name="社" * 43), ("IssuerRegistryInvalidDisplayName", {"length": 129})),
    ]  # fmt: skip
    for arguments, expected in cases:
        with pytest.raises(ContractRevertError) as refused:
            governor.register_office(
                int(arguments["office_id"]),  # type: ignore[call-overload]
                region_code=int(arguments["region_code"]),  # type: ignore[call-overload]
                display_name=str(arguments["display_name"]),
            )
        assert refusal(refused.value) == expected
    at = fresh.pin_next_block()
    governor.register_office(20, region_code=371000, display_name="社" * 42, type_ids=[TYPE_PENSION, 9])
    office = governor.office(20)
    assert office is not None
    assert (office.region_code, office.registered_at, office.suspended_from, office.display_name) == (
        371000,
        at,
        None,
        "社" * 42,
    )
    assert governor.office_types(20) == [TYPE_PENSION, 9]
    assert governor.office(21) is None
    with pytest.raises(ContractRevertError) as refused:
        governor.withdraw_certificate_type(21, 1)
    assert refusal(refused.value) == ("IssuerRegistryUnknownOffice", {"officeId": 21})


def test_the_anchoring_shortcut_always_agrees_with_the_full_rules(fresh: World) -> None:
    """The one-slot grant an anchor reads is kept in step with keys, types and suspensions."""
    rng = random.Random(11)
    governor = fresh.ledger("governor")
    offices = [30, 31]
    for office_id in offices:
        governor.register_office(office_id, region_code=371000, display_name=f"机构{office_id}", type_ids=[1])
    keys = {office_id: [funded_account(fresh.w3) for _ in range(2)] for office_id in offices}
    for office_id, accounts in keys.items():
        for account in accounts:
            governor.add_key(office_id, account.address)
    outcomes = []
    for _step in range(30):
        office_id = rng.choice(offices)
        action = rng.choice(["allow", "withdraw", "retire", "add", "suspend", "none", "none"])
        try:
            if action == "allow":
                governor.allow_certificate_type(office_id, rng.choice([1, 2]))
            elif action == "withdraw":
                governor.withdraw_certificate_type(office_id, rng.choice([1, 2]))
            elif action == "retire":
                account = rng.choice(keys[office_id])
                governor.retire_key(account.address, at=fresh.now() + rng.choice([1, 1000]))
            elif action == "add":
                account = funded_account(fresh.w3)
                governor.add_key(office_id, account.address)
                keys[office_id].append(account)
            elif action == "suspend" and rng.random() < 0.2:
                governor.suspend_office(office_id, since=fresh.now() + rng.choice([1, 1000]))
        except ContractRevertError:
            pass  # a refused change changes nothing; the comparison below still holds
        now = fresh.pin_next_block(rng.choice([1, 5]))
        account = rng.choice(keys[office_id])
        type_id = rng.choice([1, 2])
        expected = governor.is_authorized(account.address, office_id, type_id, now)
        issuing = governor.with_sender(new_sender(fresh.w3, account))
        try:
            issuing.anchor(os.urandom(32), count=1, type_id=type_id)
            anchored = True
        except ContractRevertError:
            anchored = False
            fresh.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        assert anchored == expected, (action, office_id, type_id)
        outcomes.append(anchored)
    assert True in outcomes and False in outcomes  # both sides of the rule were exercised
