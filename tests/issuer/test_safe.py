"""The digital asset safe (design.md §3, property 8): encryption bound to its record, key rotation, erasure."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from issuer import (
    CertificateNotFoundError,
    CertificateStore,
    CitizenNotFoundError,
    InputRow,
    IssuanceService,
    IssuerConfigError,
    KeyedHasher,
    MasterKeyring,
    RotationReport,
    Safe,
    SafeError,
    WrappedKey,
    decrypt_body,
    encrypt_body,
    erase_citizen,
    find_citizen,
    key_id,
    rotate_master_key,
)
from issuer._safe import parse_key
from ledger import CertificateType, TypeCatalog
from ledger._identifiers import identity_check_character

BODY_KEY = bytes.fromhex("6f1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a59687786950a1b2c3d4e5f")
OTHER_BODY_KEY = bytes.fromhex("a0b1c2d3e4f5061728394a5b6c7d8e9f90817263544536271809fafbfcfdfeff")
MASTER = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0")
OTHER_MASTER = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0ffeeddccbbaa99887766554433221100f")
RECORD_ID = "3f2a9c0d4b6e4f1a8c7d2e5b9a0f1c3d"
CITIZEN_ID = "c1f4e2d3a5b64c7d8e9f0a1b2c3d4e5f"
PLAINTEXT = '{"claims":{"holder_name":"张三","holder_id":"11010519491231002X"}}'.encode()
BODY = encrypt_body(BODY_KEY, PLAINTEXT, record_id=RECORD_ID, version=1)

BODY_REFUSED = "the certificate body does not decrypt: altered, moved, or under another key"
KEY_REFUSED = "the data key does not belong to this citizen or was altered"
LEDGER_ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHAIN_ID = 31337


def keyring_of(*keys: bytes) -> MasterKeyring:
    """A keyring of `keys` in memory, the first one current."""
    return MasterKeyring({key_id(key): key for key in keys}, key_id(keys[0]))


WRAPPED = Safe(keyring_of(MASTER)).wrap(CITIZEN_ID, BODY_KEY)


def flipped(blob: bytes, position: int, mask: int) -> bytes:
    """`blob` with the byte at `position` XORed with a non-zero `mask`."""
    return blob[:position] + bytes([blob[position] ^ mask]) + blob[position + 1 :]


# ---- certificate bodies -------------------------------------------------------------------


def test_a_body_decrypts_under_its_key_record_and_version() -> None:
    again = encrypt_body(BODY_KEY, PLAINTEXT, record_id=RECORD_ID, version=1)

    assert decrypt_body(BODY_KEY, BODY, record_id=RECORD_ID, version=1) == PLAINTEXT
    assert len(BODY) == 12 + len(PLAINTEXT) + 16
    assert again != BODY  # a fresh nonce every time
    assert PLAINTEXT not in BODY and "张三".encode() not in BODY


@settings(max_examples=50, deadline=None)
@given(
    plaintext=st.binary(max_size=2000),
    record_id=st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
    version=st.integers(min_value=1, max_value=2**31),
)
def test_any_body_round_trips(plaintext: bytes, record_id: str, version: int) -> None:
    blob = encrypt_body(OTHER_BODY_KEY, plaintext, record_id=record_id, version=version)

    assert decrypt_body(OTHER_BODY_KEY, blob, record_id=record_id, version=version) == plaintext


@pytest.mark.parametrize(
    ("key", "record_id", "version"),
    [
        pytest.param(BODY_KEY, "3f2a9c0d4b6e4f1a8c7d2e5b9a0f1c3e", 1, id="moved-to-another-record"),
        pytest.param(BODY_KEY, RECORD_ID, 2, id="replayed-as-another-version"),
        pytest.param(BODY_KEY, RECORD_ID, 0, id="replayed-as-an-earlier-version"),
        pytest.param(OTHER_BODY_KEY, RECORD_ID, 1, id="another-data-key"),
    ],
)
def test_a_body_refuses_another_record_version_or_key(key: bytes, record_id: str, version: int) -> None:
    with pytest.raises(SafeError) as raised:
        decrypt_body(key, BODY, record_id=record_id, version=version)

    assert str(raised.value) == BODY_REFUSED


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=len(BODY) - 1), mask=st.integers(min_value=1, max_value=255)
)
@example(position=0, mask=1)  # nonce
@example(position=11, mask=0x80)  # last nonce byte
@example(position=12, mask=1)  # first ciphertext byte
@example(position=len(BODY) - 17, mask=1)  # last ciphertext byte
@example(position=len(BODY) - 16, mask=1)  # first tag byte
@example(position=len(BODY) - 1, mask=0x80)  # last tag byte
def test_flipping_any_bit_of_a_body_is_refused(position: int, mask: int) -> None:
    with pytest.raises(SafeError) as raised:
        decrypt_body(BODY_KEY, flipped(BODY, position, mask), record_id=RECORD_ID, version=1)

    assert str(raised.value) == BODY_REFUSED


@pytest.mark.parametrize("length", [0, 5, 11, 12, 27, len(BODY) - 1])
def test_a_truncated_body_is_refused(length: int) -> None:
    with pytest.raises(SafeError) as raised:
        decrypt_body(BODY_KEY, BODY[:length], record_id=RECORD_ID, version=1)

    assert str(raised.value) == BODY_REFUSED


# ---- data keys ----------------------------------------------------------------------------


def test_a_new_data_key_is_wrapped_by_the_current_master_key() -> None:
    safe = Safe(keyring_of(MASTER, OTHER_MASTER))

    data_key, wrapped = safe.new_data_key(CITIZEN_ID)

    assert len(data_key) == 32
    assert wrapped.master_key_id == key_id(MASTER)
    assert len(wrapped.blob) == 12 + 32 + 16
    assert data_key not in wrapped.blob
    assert safe.unwrap(CITIZEN_ID, wrapped) == data_key
    assert safe.new_data_key(CITIZEN_ID)[0] != data_key


def test_a_wrapped_key_moved_to_another_citizen_is_refused() -> None:
    with pytest.raises(SafeError) as raised:
        Safe(keyring_of(MASTER)).unwrap("d2f4e2d3a5b64c7d8e9f0a1b2c3d4e5f", WRAPPED)

    assert str(raised.value) == KEY_REFUSED


def test_a_wrapped_key_relabelled_with_another_master_key_is_refused() -> None:
    safe = Safe(keyring_of(MASTER, OTHER_MASTER))

    with pytest.raises(SafeError) as raised:
        safe.unwrap(CITIZEN_ID, WrappedKey(key_id(OTHER_MASTER), WRAPPED.blob))

    assert str(raised.value) == KEY_REFUSED


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=len(WRAPPED.blob) - 1),
    mask=st.integers(min_value=1, max_value=255),
)
@example(position=0, mask=1)  # nonce
@example(position=12, mask=1)  # wrapped key
@example(position=44, mask=1)  # tag
@example(position=59, mask=0x80)  # last tag byte
def test_flipping_any_bit_of_a_wrapped_key_is_refused(position: int, mask: int) -> None:
    tampered = WrappedKey(WRAPPED.master_key_id, flipped(WRAPPED.blob, position, mask))

    with pytest.raises(SafeError) as raised:
        Safe(keyring_of(MASTER)).unwrap(CITIZEN_ID, tampered)

    assert str(raised.value) == KEY_REFUSED


@pytest.mark.parametrize("length", [0, 7, 12, 59])
def test_a_truncated_wrapped_key_is_refused(length: int) -> None:
    with pytest.raises(SafeError) as raised:
        Safe(keyring_of(MASTER)).unwrap(CITIZEN_ID, WrappedKey(WRAPPED.master_key_id, WRAPPED.blob[:length]))

    assert str(raised.value) == KEY_REFUSED


def test_a_wrapped_key_naming_an_unknown_master_key_is_refused() -> None:
    with pytest.raises(SafeError) as raised:
        Safe(keyring_of(OTHER_MASTER)).unwrap(CITIZEN_ID, WRAPPED)

    assert str(raised.value) == f"master key {key_id(MASTER)} is not available; was it retired too early?"


def test_rewrap_moves_a_data_key_under_the_current_master_key() -> None:
    rotated = Safe(keyring_of(OTHER_MASTER, MASTER))

    rewrapped = rotated.rewrap(CITIZEN_ID, WRAPPED)

    assert rewrapped.master_key_id == key_id(OTHER_MASTER)
    assert rotated.unwrap(CITIZEN_ID, rewrapped) == BODY_KEY
    assert Safe(keyring_of(OTHER_MASTER)).unwrap(CITIZEN_ID, rewrapped) == BODY_KEY
    with pytest.raises(SafeError) as raised:
        Safe(keyring_of(MASTER)).unwrap(CITIZEN_ID, rewrapped)
    assert (
        str(raised.value) == f"master key {key_id(OTHER_MASTER)} is not available; was it retired too early?"
    )


def test_keyed_lookup_hashes_depend_on_the_key_and_the_number() -> None:
    hasher = KeyedHasher(MASTER)

    assert hasher.identity("11010519491231002X") == hasher.identity("11010519491231002X")
    assert hasher.identity("11010519491231002X") != KeyedHasher(OTHER_MASTER).identity("11010519491231002X")
    assert hasher.identity("11010519491231002X") != hasher.identity("110105194912310037")
    assert hasher.identity("11010519491231002X") != hasher.input_digest(b"11010519491231002X")
    assert len(hasher.identity("11010519491231002X")) == 32


# ---- master keys --------------------------------------------------------------------------


def test_a_key_directory_is_created_owner_only_with_a_first_key(tmp_path: Path) -> None:
    directory = tmp_path / "keys" / "master"

    keyring = MasterKeyring.from_directory(directory)

    key_file = directory / f"{keyring.current}.key"
    assert sorted(path.name for path in directory.iterdir()) == sorted(["current", key_file.name])
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = bytes.fromhex(key_file.read_text(encoding="ascii").strip())
    assert key_id(key) == keyring.current
    assert dict(keyring.keys) == {keyring.current: key}
    assert (directory / "current").read_text(encoding="ascii") == keyring.current + "\n"
    assert keyring.directory == directory


def test_a_key_directory_reloads_to_the_same_keys(tmp_path: Path) -> None:
    first = MasterKeyring.from_directory(tmp_path / "master")

    again = MasterKeyring.from_directory(tmp_path / "master")

    assert (again.current, dict(again.keys)) == (first.current, dict(first.keys))


def test_a_new_current_key_is_added_to_the_directory(tmp_path: Path) -> None:
    first = MasterKeyring.from_directory(tmp_path / "master")

    second = first.add_new_current()

    assert second.current != first.current
    assert set(second.keys) == {first.current, second.current}
    assert second.keys[first.current] == first.keys[first.current]
    assert stat.S_IMODE((tmp_path / "master" / f"{second.current}.key").stat().st_mode) == 0o600
    reloaded = MasterKeyring.from_directory(tmp_path / "master")
    assert (reloaded.current, dict(reloaded.keys)) == (second.current, dict(second.keys))
    assert sorted(path.name for path in (tmp_path / "master").iterdir()) == sorted(
        ["current", f"{first.current}.key", f"{second.current}.key"]
    )


def test_a_key_file_holding_another_key_is_refused(tmp_path: Path) -> None:
    keyring = MasterKeyring.from_directory(tmp_path / "master")
    key_file = tmp_path / "master" / f"{keyring.current}.key"
    key_file.write_text(OTHER_MASTER.hex() + "\n", encoding="ascii")

    with pytest.raises(IssuerConfigError) as raised:
        MasterKeyring.from_directory(tmp_path / "master")

    assert str(raised.value) == f"{key_file} holds key {key_id(OTHER_MASTER)}, not {keyring.current}"


def test_a_pointer_to_a_missing_key_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "master"
    MasterKeyring.from_directory(directory)
    (directory / "current").write_text("0123456789abcdef\n", encoding="ascii")

    with pytest.raises(IssuerConfigError) as raised:
        MasterKeyring.from_directory(directory)

    assert str(raised.value) == (
        f"{directory / 'current'} names master key 0123456789abcdef, which is not in {directory}"
    )


def test_keys_from_the_environment_in_hex_and_base64() -> None:
    previous = f" {base64.b64encode(OTHER_MASTER).decode()} ,, 0x{BODY_KEY.hex().upper()}"

    keyring = MasterKeyring.from_environment(SecretStr(MASTER.hex()), SecretStr(previous))

    assert keyring.current == key_id(MASTER)
    assert dict(keyring.keys) == {
        key_id(MASTER): MASTER,
        key_id(OTHER_MASTER): OTHER_MASTER,
        key_id(BODY_KEY): BODY_KEY,
    }
    assert keyring.directory is None
    alone = MasterKeyring.from_environment(SecretStr(base64.b64encode(MASTER).decode()))
    assert (alone.current, dict(alone.keys)) == (key_id(MASTER), {key_id(MASTER): MASTER})


def test_a_bad_previous_key_in_the_environment_names_its_position() -> None:
    with pytest.raises(IssuerConfigError) as raised:
        MasterKeyring.from_environment(
            SecretStr(MASTER.hex()), SecretStr(f"{OTHER_MASTER.hex()},{'00' * 32}")
        )

    assert (
        str(raised.value) == "CERTLEDGER_PREVIOUS_MASTER_KEYS[1] looks like a placeholder, not a random key"
    )


def test_an_environment_keyring_cannot_make_its_own_new_key() -> None:
    with pytest.raises(IssuerConfigError) as raised:
        keyring_of(MASTER).add_new_current()

    assert str(raised.value) == (
        "master keys come from the environment: set CERTLEDGER_MASTER_KEY to the new key and "
        "CERTLEDGER_PREVIOUS_MASTER_KEYS to the old ones, then rotate"
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(MASTER.hex(), id="hex"),
        pytest.param("0x" + MASTER.hex(), id="0x-hex"),
        pytest.param(MASTER.hex().upper(), id="upper-hex"),
        pytest.param(base64.b64encode(MASTER).decode(), id="base64"),
        pytest.param(f"  {MASTER.hex()}\n", id="surrounding-space"),
    ],
)
def test_parse_key_reads_hex_and_base64(text: str) -> None:
    assert parse_key(text, origin="CERTLEDGER_MASTER_KEY") == MASTER


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(MASTER[:16].hex(), "is not a 256-bit key in hex or base64", id="128-bit-hex"),
        pytest.param(MASTER.hex() + "00", "is not a 256-bit key in hex or base64", id="264-bit-hex"),
        pytest.param(
            base64.b64encode(MASTER[:31]).decode(), "is not a 256-bit key in hex or base64", id="short-base64"
        ),
        pytest.param("change-me", "is not a 256-bit key in hex or base64", id="text"),
        pytest.param("", "is not a 256-bit key in hex or base64", id="empty"),
        pytest.param("00" * 32, "looks like a placeholder, not a random key", id="zero-bytes"),
        pytest.param("ab" * 32, "looks like a placeholder, not a random key", id="repeated-byte"),
        pytest.param(
            base64.b64encode(b"\x07" * 32).decode(),
            "looks like a placeholder, not a random key",
            id="repeated-b64",
        ),
        pytest.param(
            bytes(range(7)).hex() * 4 + "00" * 4,
            "looks like a placeholder, not a random key",
            id="7-distinct",
        ),
    ],
)
def test_parse_key_refuses_wrong_lengths_text_and_placeholders(text: str, problem: str) -> None:
    with pytest.raises(IssuerConfigError) as raised:
        parse_key(text, origin="CERTLEDGER_MASTER_KEY")

    assert str(raised.value) == f"CERTLEDGER_MASTER_KEY {problem}"


def test_parse_key_accepts_eight_distinct_bytes() -> None:
    key = bytes(range(8)) * 4

    assert parse_key(key.hex(), origin="k") == key


# ---- the safe on a real database ------------------------------------------------------------


@pytest.fixture(scope="module")
def pension() -> CertificateType:
    """The pension-qualification type: flat claims."""
    return TypeCatalog.load().find("pension-qualification")


@pytest.fixture(scope="module")
def contribution() -> CertificateType:
    """The contribution certificate: nested claims with derived totals."""
    return TypeCatalog.load().find("contribution-certificate")


def identity_number(index: int) -> str:
    """A valid GB 11643 number, different for every `index` below 1000."""
    first17 = f"371002{1940 + index % 60}{index % 12 + 1:02d}{index % 28 + 1:02d}{index:03d}"
    return first17 + identity_check_character(first17)


def holder_name(index: int) -> str:
    """A distinctive Chinese name for `index`."""
    return "欧阳" + chr(0x6C38 + index) + chr(0x5A9B + index)


def pension_row(index: int, *, holder: int | None = None) -> InputRow:
    """A valid pension-qualification certificate numbered ``PQ-<index>`` for citizen `holder`."""
    person = index if holder is None else holder
    number = f"PQ-{index:06d}"
    return InputRow(
        index + 1,
        number,
        {
            "certificate_no": number,
            "holder_name": holder_name(person),
            "holder_id": identity_number(person),
            "qualification_period": {"from": "2025-01-01", "to": "2025-12-31"},
            "authentication_method": "face_recognition",
            "authenticated_on": "2025-01-02",
            "benefit_type": "enterprise_employee",
        },
    )


def contribution_row(index: int) -> InputRow:
    """A valid contribution certificate numbered ``CC-<index>``, totals and period filled in."""
    number = f"CC-{index:06d}"
    records = [
        {
            "month": f"2025-{month:02d}",
            "employer_code": "91350100M000100Y43",
            "employer_name": "威海甲公司",
            "base": 500000,
            "personal": 40000,
            "employer": 80000,
            "status": "paid",
        }
        for month in (1, 2, 3)
    ]
    return InputRow(
        index + 1,
        number,
        {
            "certificate_no": number,
            "holder_name": holder_name(index),
            "holder_id": identity_number(index),
            "period": {"from": "2025-01", "to": "2025-03"},
            "pension": {
                "records": records,
                "months_paid": 3,
                "months_owed": 0,
                "total_personal": 120000,
                "total_employer": 240000,
            },
        },
    )


def issue(
    engine: Engine, keyring: MasterKeyring, hasher: KeyedHasher, rows: list[InputRow], kind: CertificateType
) -> None:
    """Issues `rows`, all of which must be valid and new."""
    assert [kind.problems(row.claims) for row in rows] == [[] for _ in rows]
    report = IssuanceService(engine, Safe(keyring), hasher, office_id=1).issue(rows, kind)
    assert (report.read, report.issued, report.already_issued, report.rejected) == (
        len(rows),
        len(rows),
        0,
        [],
    )


def store(engine: Engine, keyring: MasterKeyring) -> CertificateStore:
    return CertificateStore(engine, Safe(keyring), chain_id=CHAIN_ID, ledger_address=LEDGER_ADDRESS)


def tables(engine: Engine) -> dict[str, sa.Table]:
    """The database's tables as it reports them."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    return dict(metadata.tables)


def certificate_row(engine: Engine, number: str) -> Any:
    certificates = tables(engine)["certificates"]
    with engine.connect() as connection:
        return connection.execute(
            sa.select(certificates).where(certificates.c.certificate_no == number)
        ).one()


def master_key_counts(engine: Engine) -> dict[str | None, int]:
    data_keys = tables(engine)["data_keys"]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(data_keys.c.master_key_id, sa.func.count()).group_by(data_keys.c.master_key_id)
        ).all()
    return {master_id: int(count) for master_id, count in rows}


def assert_readable(engine: Engine, keyring: MasterKeyring, rows: list[InputRow]) -> None:
    """Every certificate of `rows` decrypts to its claims and its root."""
    reader = store(engine, keyring)
    for row in rows:
        stored = reader.by_number(row.number)
        assert stored.number == row.number
        assert stored.status == "valid"
        assert stored.certificate.claims == row.claims
        assert stored.certificate.computed_root() == stored.certificate.root
        assert stored.certificate.root == certificate_row(engine, row.number).document_root
        assert stored.certificate.anchor is None


def test_rotation_stops_at_its_limit_resumes_in_a_new_process_and_retires_the_old_key(
    engine: Engine, tmp_path: Path, pension: CertificateType
) -> None:
    directory = tmp_path / "keys" / "master"
    keyring = MasterKeyring.from_directory(directory)
    old = keyring.current
    hasher = KeyedHasher(os.urandom(32))
    rows = [pension_row(index) for index in range(30)]
    issue(engine, keyring, hasher, rows, pension)
    assert master_key_counts(engine) == {old: 30}

    progress: list[int] = []
    halfway = rotate_master_key(engine, keyring, limit=12, progress=progress.append)

    new = halfway.current
    assert new != old
    assert (halfway.rewrapped, halfway.remaining, halfway.retired) == (12, 18, ())
    assert progress == [12]
    assert master_key_counts(engine) == {old: 18, new: 12}
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        ["current", f"{old}.key", f"{new}.key"]
    )
    # Half-way, certificates under either master key are readable.
    assert_readable(engine, MasterKeyring.from_directory(directory), rows)

    resumed = MasterKeyring.from_directory(directory)
    assert (resumed.current, set(resumed.keys)) == (new, {old, new})
    progress.clear()
    finished = rotate_master_key(engine, resumed, progress=progress.append)

    assert finished == RotationReport(current=new, rewrapped=18, remaining=0, retired=(old,))
    assert progress == [18]
    assert master_key_counts(engine) == {new: 30}
    # The old key waits in retired/ for one rotation, in case a process wrapped with it just then.
    assert sorted(path.name for path in directory.iterdir()) == sorted(["current", f"{new}.key", "retired"])
    assert [path.name for path in (directory / "retired").iterdir()] == [f"{old}.key"]
    after = MasterKeyring.from_directory(directory)
    assert (after.current, set(after.keys)) == (new, {old, new})
    assert_readable(engine, after, rows)

    with pytest.raises(SafeError) as raised:
        store(engine, MasterKeyring({old: keyring.keys[old]}, old)).by_number(rows[0].number)
    assert str(raised.value) == f"master key {new} is not available; was it retired too early?"
    # The next rotation deletes the key retired by this one, unused for a whole rotation.
    newest = rotate_master_key(engine, after)
    assert (newest.retired, newest.purged) == ((new,), (old,))
    assert [path.name for path in (directory / "retired").iterdir()] == [f"{new}.key"]


def test_rotation_starts_a_new_key_only_when_none_is_unfinished(
    engine: Engine, tmp_path: Path, pension: CertificateType
) -> None:
    directory = tmp_path / "master"
    keyring = MasterKeyring.from_directory(directory)
    rows = [pension_row(index) for index in range(3)]
    issue(engine, keyring, KeyedHasher(os.urandom(32)), rows, pension)

    unchanged = rotate_master_key(engine, keyring, start_new=False)
    first = rotate_master_key(engine, MasterKeyring.from_directory(directory))
    second = rotate_master_key(engine, MasterKeyring.from_directory(directory))

    assert unchanged == RotationReport(current=keyring.current, rewrapped=0, remaining=0, retired=())
    assert (first.rewrapped, first.remaining, first.retired) == (3, 0, (keyring.current,))
    assert (second.rewrapped, second.remaining, second.retired) == (3, 0, (first.current,))
    assert second.purged == (keyring.current,)
    assert len({keyring.current, first.current, second.current}) == 3
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        ["current", f"{second.current}.key", "retired"]
    )
    assert [path.name for path in (directory / "retired").iterdir()] == [f"{first.current}.key"]
    assert_readable(engine, MasterKeyring.from_directory(directory), rows)


def test_rotation_with_keys_from_the_environment(engine: Engine, pension: CertificateType) -> None:
    rows = [pension_row(index) for index in range(4)]
    issue(engine, keyring_of(MASTER), KeyedHasher(os.urandom(32)), rows, pension)

    with pytest.raises(IssuerConfigError) as raised:
        rotate_master_key(engine, keyring_of(MASTER))  # nothing to rotate, and no new key to make
    assert str(raised.value).startswith("master keys come from the environment: set CERTLEDGER_MASTER_KEY")
    both = MasterKeyring.from_environment(SecretStr(OTHER_MASTER.hex()), SecretStr(MASTER.hex()))
    report = rotate_master_key(engine, both)

    assert report == RotationReport(
        current=key_id(OTHER_MASTER), rewrapped=4, remaining=0, retired=(key_id(MASTER),)
    )
    assert master_key_counts(engine) == {key_id(OTHER_MASTER): 4}
    assert_readable(engine, keyring_of(OTHER_MASTER), rows)


def test_rotation_skips_erased_citizens(engine: Engine, tmp_path: Path, pension: CertificateType) -> None:
    directory = tmp_path / "master"
    keyring = MasterKeyring.from_directory(directory)
    hasher = KeyedHasher(os.urandom(32))
    rows = [pension_row(index) for index in range(3)]
    issue(engine, keyring, hasher, rows, pension)
    erase_citizen(engine, find_citizen(engine, hasher, identity_number(1)))

    report = rotate_master_key(engine, keyring)

    assert (report.rewrapped, report.remaining, report.retired) == (2, 0, (keyring.current,))
    assert master_key_counts(engine) == {report.current: 2, None: 1}
    assert_readable(engine, MasterKeyring.from_directory(directory), [rows[0], rows[2]])


def test_swapped_bodies_do_not_decrypt(engine: Engine, pension: CertificateType) -> None:
    keyring = keyring_of(MASTER)
    # PQ-000000 and PQ-000001 belong to citizen 0, PQ-000002 to citizen 2.
    rows = [pension_row(0), pension_row(1, holder=0), pension_row(2)]
    issue(engine, keyring, KeyedHasher(os.urandom(32)), rows, pension)
    certificates = tables(engine)["certificates"]

    def swap_bodies(first: str, second: str) -> None:
        a, b = certificate_row(engine, first), certificate_row(engine, second)
        with engine.begin() as connection:
            for number, body in ((first, b.body), (second, a.body)):
                connection.execute(
                    sa.update(certificates).where(certificates.c.certificate_no == number).values(body=body)
                )

    reader = store(engine, keyring)
    swap_bodies("PQ-000000", "PQ-000002")  # between citizens: another data key
    for number in ("PQ-000000", "PQ-000002"):
        with pytest.raises(SafeError) as raised:
            reader.by_number(number)
        assert str(raised.value) == BODY_REFUSED
    swap_bodies("PQ-000000", "PQ-000002")
    assert_readable(engine, keyring, rows)

    swap_bodies("PQ-000000", "PQ-000001")  # same citizen, same data key: another record
    for number in ("PQ-000000", "PQ-000001"):
        with pytest.raises(SafeError) as raised:
            reader.by_number(number)
        assert str(raised.value) == BODY_REFUSED


def test_a_body_replayed_as_another_version_or_moved_to_another_citizen_does_not_decrypt(
    engine: Engine, pension: CertificateType
) -> None:
    keyring = keyring_of(MASTER)
    rows = [pension_row(0), pension_row(1)]
    issue(engine, keyring, KeyedHasher(os.urandom(32)), rows, pension)
    certificates = tables(engine)["certificates"]
    other_citizen = certificate_row(engine, "PQ-000001").citizen_id
    reader = store(engine, keyring)

    with engine.begin() as connection:
        connection.execute(
            sa.update(certificates).where(certificates.c.certificate_no == "PQ-000000").values(body_version=2)
        )
    with pytest.raises(SafeError) as raised:
        reader.by_number("PQ-000000")
    assert str(raised.value) == BODY_REFUSED

    with engine.begin() as connection:
        connection.execute(
            sa.update(certificates)
            .where(certificates.c.certificate_no == "PQ-000000")
            .values(body_version=1, citizen_id=other_citizen)
        )
    with pytest.raises(SafeError) as raised:
        reader.by_number("PQ-000000")
    assert str(raised.value) == BODY_REFUSED
    assert_readable(engine, keyring, rows[1:])


def test_swapped_wrapped_keys_do_not_unwrap(engine: Engine, pension: CertificateType) -> None:
    keyring = keyring_of(MASTER)
    rows = [pension_row(index) for index in range(3)]
    issue(engine, keyring, KeyedHasher(os.urandom(32)), rows, pension)
    data_keys = tables(engine)["data_keys"]
    first, second = (certificate_row(engine, row.number).citizen_id for row in rows[:2])
    with engine.connect() as connection:
        wrapped = dict(
            connection.execute(
                sa.select(data_keys.c.citizen_id, data_keys.c.wrapped_key).where(
                    data_keys.c.citizen_id.in_([first, second])
                )
            ).all()
        )

    with engine.begin() as connection:
        for citizen, blob in ((first, wrapped[second]), (second, wrapped[first])):
            connection.execute(
                sa.update(data_keys).where(data_keys.c.citizen_id == citizen).values(wrapped_key=blob)
            )

    reader = store(engine, keyring)
    for row in rows[:2]:
        with pytest.raises(SafeError) as raised:
            reader.by_number(row.number)
        assert str(raised.value) == KEY_REFUSED
    assert_readable(engine, keyring, rows[2:])


def test_erasing_a_citizen_makes_only_their_certificates_unreadable(
    engine: Engine, pension: CertificateType
) -> None:
    keyring = keyring_of(MASTER)
    hasher = KeyedHasher(os.urandom(32))
    # Citizen 0 holds PQ-000000 and PQ-000001; citizen 2 holds PQ-000002.
    rows = [pension_row(0), pension_row(1, holder=0), pension_row(2)]
    issue(engine, keyring, hasher, rows, pension)
    citizen = find_citizen(engine, hasher, identity_number(0))

    assert erase_citizen(engine, citizen) == 2

    reader = store(engine, keyring)
    for number in ("PQ-000000", "PQ-000001"):
        with pytest.raises(SafeError) as raised:
            reader.by_number(number)
        assert str(raised.value) == f"certificate {number} belongs to an erased citizen: its content is gone"
    assert_readable(engine, keyring, rows[2:])
    data_keys = tables(engine)["data_keys"]
    with engine.connect() as connection:
        erased = connection.execute(sa.select(data_keys).where(data_keys.c.citizen_id == citizen)).one()
    assert (erased.wrapped_key, erased.master_key_id) == (None, None)
    assert erased.erased_at is not None

    with pytest.raises(CitizenNotFoundError) as twice:
        erase_citizen(engine, citizen)
    assert str(twice.value) == "no citizen with a data key has that id (already erased?)"
    with pytest.raises(CitizenNotFoundError):
        erase_citizen(engine, "0" * 32)


def test_find_citizen_by_identity_number_or_by_id(engine: Engine, pension: CertificateType) -> None:
    hasher = KeyedHasher(os.urandom(32))
    rows = [pension_row(index) for index in range(2)]
    issue(engine, keyring_of(MASTER), hasher, rows, pension)
    holder = identity_number(0)
    citizen = certificate_row(engine, "PQ-000000").citizen_id

    assert find_citizen(engine, hasher, holder) == citizen
    assert find_citizen(engine, hasher, citizen) == citizen
    assert find_citizen(engine, hasher, identity_number(1)) == certificate_row(engine, "PQ-000001").citizen_id
    for unknown in (identity_number(2), "0" * 32):
        with pytest.raises(CitizenNotFoundError) as raised:
            find_citizen(engine, hasher, unknown)
        assert str(raised.value) == "no citizen has that id or identity number"
    with pytest.raises(CitizenNotFoundError):
        find_citizen(engine, KeyedHasher(os.urandom(32)), holder)  # another lookup key finds nobody


def test_find_citizen_accepts_a_lower_case_check_character(engine: Engine, pension: CertificateType) -> None:
    hasher = KeyedHasher(os.urandom(32))
    index = next(i for i in range(100) if identity_number(i).endswith("X"))
    issue(engine, keyring_of(MASTER), hasher, [pension_row(index)], pension)

    assert (
        find_citizen(engine, hasher, identity_number(index).lower())
        == certificate_row(engine, f"PQ-{index:06d}").citizen_id
    )


def test_an_unknown_certificate_number_is_not_found(engine: Engine) -> None:
    with pytest.raises(CertificateNotFoundError) as raised:
        store(engine, keyring_of(MASTER)).by_number("PQ-999999")

    assert str(raised.value) == "no certificate PQ-999999"


def test_a_certificate_is_read_by_record_id(engine: Engine, contribution: CertificateType) -> None:
    rows = [contribution_row(0)]
    issue(engine, keyring_of(MASTER), KeyedHasher(os.urandom(32)), rows, contribution)
    record = certificate_row(engine, "CC-000000")

    stored = store(engine, keyring_of(MASTER)).by_id(record.id)

    assert (stored.id, stored.number, stored.citizen_id) == (record.id, "CC-000000", record.citizen_id)
    assert stored.certificate.claims == rows[0].claims
    assert stored.certificate.header.type_id == contribution.type_id


def test_no_identity_number_or_name_is_stored_in_the_clear(
    engine: Engine, database_url: str, pension: CertificateType, contribution: CertificateType
) -> None:
    keyring = keyring_of(MASTER)
    hasher = KeyedHasher(os.urandom(32))
    pension_rows = [pension_row(index) for index in range(10)]
    contribution_rows = [contribution_row(index) for index in range(10, 20)]
    issue(engine, keyring, hasher, pension_rows, pension)
    issue(engine, keyring, hasher, contribution_rows, contribution)
    rotate_master_key(engine, keyring_of(OTHER_MASTER, MASTER))

    dump = bytearray()
    with engine.connect() as connection:
        for table in tables(engine).values():
            for row in connection.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        dump += bytes(value)
                    elif value is not None:
                        dump += str(value).encode("utf-8")
                    dump += b"\x00"
    if database_url.startswith("sqlite:///"):
        database = Path(database_url.removeprefix("sqlite:///"))
        for path in (database, Path(f"{database}-wal")):
            if path.exists():
                dump += path.read_bytes()

    secrets: list[str] = []
    for index in range(20):
        secrets += [identity_number(index), identity_number(index).lower(), holder_name(index)]
    assert [secret for secret in secrets if secret.encode("utf-8") in dump] == []
    # The dump is what it seems: certificate numbers are stored in the clear and are found.
    assert all(row.number.encode("ascii") in dump for row in pension_rows + contribution_rows)
    assert_readable(engine, keyring_of(OTHER_MASTER), pension_rows + contribution_rows)


def test_a_running_safe_follows_a_rotation_made_by_another_process(
    engine: Engine, tmp_path: Path, pension: CertificateType
) -> None:
    directory = tmp_path / "master"
    long_running = Safe(MasterKeyring.from_directory(directory))
    before = long_running.keyring.current
    rotate_master_key(engine, MasterKeyring.from_directory(directory))  # another process rotates
    after = MasterKeyring.from_directory(directory).current
    assert after != before
    wrapped = long_running.wrap("citizen-1", os.urandom(32))
    assert wrapped.master_key_id == after  # new data keys go under the new key at once


def test_a_key_creation_interrupted_by_a_crash_is_settled(tmp_path: Path) -> None:
    directory = tmp_path / "master"
    keyring = MasterKeyring.from_directory(directory)
    (directory / "pending.key").write_text(
        os.urandom(32).hex() + "\n", encoding="ascii"
    )  # crash before rename
    reloaded = MasterKeyring.from_directory(directory)
    assert reloaded.current == keyring.current
    assert len(reloaded.keys) == 2
    assert not (directory / "pending.key").exists()
    (directory / "pending.key").write_text("half a ke", encoding="ascii")  # crash while writing
    assert set(MasterKeyring.from_directory(directory).keys) == set(reloaded.keys)
    assert not (directory / "pending.key").exists()
