"""The keyed hash of a holder's name: how names are folded, that it is apart from identity hashes,
that issuance and binding write it, and that `certledger office index-names` fills it for older
revisions — once, from their sealed bodies, skipping what was erased."""

from __future__ import annotations

import copy
import os
import random
import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from certledger.cli import app
from issuer import (
    HolderBinding,
    InputRow,
    IssuanceService,
    IssuerContext,
    IssuerSettings,
    KeyedHasher,
    MasterKeyring,
    Safe,
    certificates,
    citizens,
    erase_citizen,
    index_holder_names,
    unindexed_names,
)
from ledger import FixedClock, TypeCatalog, certificate_type
from tests.conftest import NOW
from tests.issuing import identity_number, pension_claims

KEY = bytes(range(32))
CATALOG = TypeCatalog.load()
PENSION = CATALOG.find("pension-qualification")


def _issue(engine: Engine, hasher: KeyedHasher, safe: Safe, names: list[str], *, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    rows = []
    for line, name in enumerate(names, start=1):
        number = f"NAME{seed:02d}{line:06d}"
        claims = pension_claims(rng, number, holder_id=identity_number(rng))
        claims["holder_name"] = name
        rows.append(InputRow(line, number, claims))
    service = IssuanceService(engine, safe, hasher, office_id=1, clock=FixedClock(NOW))
    assert service.issue(rows, PENSION).issued == len(rows)
    return [row.number for row in rows]


def _hashes(engine: Engine) -> dict[str, bytes | None]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                sa.select(certificates.c.certificate_no, certificates.c.holder_name_hash).where(
                    certificates.c.revision == 1
                )
            ).all()
        )


def _forget_hashes(engine: Engine) -> None:
    """As the database was before migration 0008 filled anything."""
    with engine.begin() as connection:
        connection.execute(sa.update(certificates).values(holder_name_hash=None))


def _safe() -> Safe:
    return Safe(MasterKeyring({"k": bytes(range(1, 33))}, "k"))


# ------------------------------------------------------------------ the hash


def test_a_name_is_hashed_without_its_spaces_and_in_one_unicode_form() -> None:
    hasher = KeyedHasher(KEY)
    same = ["张三", "张 三", "张\u3000三", " 张三\t", "张\n三"]
    assert len({hasher.name(name) for name in same}) == 1
    assert hasher.name("Zoë Li") == hasher.name(unicodedata.normalize("NFD", "ZoëLi"))
    assert hasher.name("张三") != hasher.name("张三丰")
    assert hasher.name("张三") != KeyedHasher(bytes(range(1, 33))).name("张三")


@given(st.text(alphabet="0123456789X", min_size=1, max_size=18))
def test_a_name_hash_never_equals_an_identity_hash_of_the_same_text(text: str) -> None:
    hasher = KeyedHasher(KEY)
    assert hasher.name(text) != hasher.identity(text)
    assert len(hasher.name(text)) == 32


# ------------------------------------------------------------------ written at issuance


def test_issuance_writes_the_hash_of_the_holder_name_field(engine: Engine) -> None:
    hasher, safe = KeyedHasher(KEY), _safe()
    numbers = _issue(engine, hasher, safe, ["王芳", "李 娜"])
    assert _hashes(engine) == {numbers[0]: hasher.name("王芳"), numbers[1]: hasher.name("李娜")}


def test_a_type_without_a_holder_name_field_gets_no_hash(engine: Engine) -> None:
    schema = copy.deepcopy(PENSION.schema)
    del schema["x-certledger"]["holderNameField"]
    schema["x-certledger"] |= {"typeId": 4242, "name": "nameless-pension"}
    nameless = certificate_type(schema)
    rng = random.Random(3)
    row = InputRow(1, "NOHASH000001", pension_claims(rng, "NOHASH000001"))
    service = IssuanceService(engine, _safe(), KeyedHasher(KEY), office_id=1, clock=FixedClock(NOW))
    assert service.issue([row], nameless).issued == 1
    assert _hashes(engine) == {"NOHASH000001": None}


def test_binding_a_wallet_key_keeps_the_hash_on_the_new_revision(engine: Engine) -> None:
    hasher, safe = KeyedHasher(KEY), _safe()
    (number,) = _issue(engine, hasher, safe, ["赵六"])
    binding = HolderBinding(
        engine,
        safe,
        hasher,
        field_counts=lambda type_id, version: len(CATALOG.get(type_id, version).fields),
        clock=FixedClock(NOW),
    )
    with engine.connect() as connection:
        (citizen_id,) = connection.execute(sa.select(citizens.c.id)).scalars().all()
    assert binding.bind(citizen_id, Account.create().address).rebound == [number]
    with engine.connect() as connection:
        revisions = connection.execute(
            sa.select(certificates.c.revision, certificates.c.holder_name_hash).order_by(
                certificates.c.revision
            )
        ).all()
    assert revisions == [(1, hasher.name("赵六")), (2, hasher.name("赵六"))]


# ------------------------------------------------------------------ filled afterwards


def test_indexing_fills_older_revisions_once_and_skips_the_erased(engine: Engine) -> None:
    hasher, safe = KeyedHasher(KEY), _safe()
    names = ["陈静", "刘洋", "欧阳 娜娜", "周七", "吴八"]
    numbers = _issue(engine, hasher, safe, names)
    written = _hashes(engine)
    _forget_hashes(engine)
    with engine.connect() as connection:
        erased = connection.execute(
            sa.select(certificates.c.citizen_id).where(certificates.c.certificate_no == numbers[3])
        ).scalar_one()
    erase_citizen(engine, erased, clock=FixedClock(NOW))
    assert unindexed_names(engine) == 5

    seen: list[int] = []
    report = index_holder_names(engine, safe, hasher, CATALOG, chunk=2, progress=seen.append)

    assert (report.indexed, report.nameless, report.unreadable) == (4, 0, 1)
    assert seen == [2, 2, 1]
    assert _hashes(engine) == {
        number: written[number] if number != numbers[3] else None for number in numbers
    }
    again = index_holder_names(engine, safe, hasher, CATALOG)
    assert (again.indexed, again.unreadable) == (0, 1)
    assert unindexed_names(engine) == 1


def test_the_office_command_indexes_with_a_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = {
        "CERTLEDGER_DATA_DIR": str(tmp_path / "data"),
        "CERTLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'office.db'}",
        "CERTLEDGER_LOOKUP_KEY": os.urandom(32).hex(),
        "CERTLEDGER_MASTER_KEY": os.urandom(32).hex(),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    context = IssuerContext(IssuerSettings())
    numbers = _issue(context.engine, context.hasher, context.safe, ["孙九", "钱十", "郑十一"], seed=7)
    written = _hashes(context.engine)
    _forget_hashes(context.engine)

    first = CliRunner().invoke(app, ["office", "index-names"])
    assert first.exit_code == 0, first.output
    assert "indexing holder names" in first.output
    assert "indexed 3; without a holder name 0; unreadable (erased or altered) 0" in first.output
    assert _hashes(context.engine) == written and all(written[number] for number in numbers)
    second = CliRunner().invoke(app, ["office", "index-names"])
    assert "indexed 0;" in second.output
    context.engine.dispose()


def test_an_altered_body_is_counted_unreadable_and_the_rest_indexed(engine: Engine) -> None:
    hasher, safe = KeyedHasher(KEY), _safe()
    numbers = _issue(engine, hasher, safe, ["冯一", "卫二"], seed=5)
    _forget_hashes(engine)
    with engine.begin() as connection:
        body = connection.execute(
            sa.select(certificates.c.body).where(certificates.c.certificate_no == numbers[0])
        ).scalar_one()
        connection.execute(
            sa.update(certificates)
            .where(certificates.c.certificate_no == numbers[0])
            .values(body=body[:-1] + bytes([body[-1] ^ 1]))
        )
    report = index_holder_names(engine, safe, hasher, CATALOG)
    assert (report.indexed, report.nameless, report.unreadable) == (1, 0, 1)
    assert _hashes(engine) == {numbers[0]: None, numbers[1]: hasher.name("卫二")}
