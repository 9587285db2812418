"""A populated wallet service for demonstrations and tests: staff, citizens with certificates
bound to their wallet keys, and receiving units.

Everything a person needs to try the service — passwords, the citizens' wallet keys (standing in
for their phones), the units' API keys — is written to ``<data>/demo/population.json``, owner-only.
Seeding again finds that file and changes nothing.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from eth_account import Account

from issuer import documents_from_file
from ledger import TypeCatalog, beijing_date, personal_message_digest, sign_digest
from scripts.demo_data import Holder, claims_for, credit_code, write_jsonl
from wallet_api import Accounts, Principal, Units, WalletContext, enrolment_message


@dataclass
class DemoCitizen:
    """A citizen with an enrolled wallet; `private_key` stands in for their phone."""

    name: str
    identity_number: str
    phone: str
    password: str
    private_key: str
    address: str
    account_id: str
    certificates: list[str] = field(default_factory=list)


@dataclass
class DemoUnit:
    """A receiving unit and its API key."""

    id: str
    name: str
    credit_code: str
    api_key: str


@dataclass
class DemoStaff:
    """An operator or auditor account."""

    username: str
    role: str
    password: str


@dataclass
class Population:
    """Who is in the demonstration."""

    staff: list[DemoStaff]
    citizens: list[DemoCitizen]
    units: list[DemoUnit]

    def to_json(self) -> dict[str, Any]:
        """The population as written to ``population.json``."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Population:
        """A population read back."""
        return cls(
            staff=[DemoStaff(**item) for item in value["staff"]],
            citizens=[DemoCitizen(**item) for item in value["citizens"]],
            units=[DemoUnit(**item) for item in value["units"]],
        )


# What each demo citizen holds: contribution records, a pension qualification, an injury decision.
_HOLDINGS = (
    ("contribution-certificate", "pension-qualification"),
    ("contribution-certificate",),
    ("work-injury-determination", "contribution-certificate"),
)
_UNITS = ("中国工商银行威海分行", "威海华信精密机械有限公司", "威海市住房公积金管理中心")


def population_path(data_dir: Path) -> Path:
    """Where the demonstration's secrets are written."""
    return data_dir / "demo" / "population.json"


def seed_demo(
    context: WalletContext,
    *,
    citizens: int = 3,
    units: int = 2,
    seed: int = 2026,
    drain_timeout: float = 120.0,
) -> Population:
    """Creates the demonstration (once: a second call reads it back) and anchors its certificates."""
    path = population_path(context.settings.data_dir)
    if path.is_file():
        return Population.from_json(json.loads(path.read_text(encoding="utf-8")))
    rng = random.Random(f"certledger-demo:{seed}")  # noqa: S311 — demonstration data
    accounts = Accounts(context)
    staff = [DemoStaff("operator", "operator", _password()), DemoStaff("auditor", "auditor", _password())]
    for member in staff:
        accounts.add_staff(member.username, member.role, member.password)
    operator = Principal("operator", "demo-seed")
    holdings = demo_holdings(context.catalog, today=beijing_date(context.clock()), citizens=citizens, rng=rng)
    people = [_enrol(accounts, operator, rng, documents) for documents in holdings]
    _issue_holdings(context, holdings)
    context.worker().drain(timeout=drain_timeout)
    registry = Units(context)
    demo_units = []
    for index in range(units):
        name = _UNITS[index % len(_UNITS)] + ("" if index < len(_UNITS) else f"{index}")
        unit, key = registry.register(name=name, credit_code=credit_code(rng), operator=operator)
        demo_units.append(DemoUnit(unit.id, unit.name, unit.credit_code, key))
    population = Population(staff, people, demo_units)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(population.to_json(), handle, ensure_ascii=False, indent=2)
    return population


def _password() -> str:
    return secrets.token_urlsafe(12)


# Which certificate says who a citizen is: a pensioner is of pension age, and an injured worker is
# the one the determination's narrative names; the others follow that person.
_DEFINING = ("pension-qualification", "work-injury-determination", "contribution-certificate")


def demo_holdings(
    catalog: TypeCatalog, *, today: date, citizens: int, rng: random.Random
) -> list[list[tuple[str, dict[str, Any]]]]:
    """Each citizen's certificates as the core system would export them: (type name, claims), in
    the order of `_HOLDINGS`.

    A citizen is the person their defining certificate is about (`_DEFINING`); their other
    certificates are theirs too, narratives included. The dates are drawn around `today` (the
    service's clock), so that each certificate's content agrees with its status as the service
    shows it that day (`scripts.demo_data`); a pensioner's contribution months end before the
    pension's qualification year begins."""
    people: list[list[tuple[str, dict[str, Any]]]] = []
    for index in range(citizens):
        held = _HOLDINGS[index % len(_HOLDINGS)]
        made: dict[str, dict[str, Any]] = {}
        holder: Holder | None = None
        paid_until = today  # contributions stop when a pension starts
        for type_name in sorted(held, key=_DEFINING.index):
            certificate_type = catalog.find(type_name)
            number = f"DEMO{certificate_type.type_id}{rng.randrange(10**9):09d}"
            dated = paid_until if type_name == "contribution-certificate" else today
            claims = claims_for(type_name, rng, number=number, today=dated, holder=holder)
            if holder is None:
                holder = Holder(
                    claims[certificate_type.holder_name_field], claims[certificate_type.holder_id_field]
                )
            if type_name == "pension-qualification":
                paid_until = date.fromisoformat(claims["qualification_period"]["from"])
            made[type_name] = claims
        people.append([(type_name, made[type_name]) for type_name in held])
    return people


def _enrol(
    accounts: Accounts, operator: Principal, rng: random.Random, documents: list[tuple[str, dict[str, Any]]]
) -> DemoCitizen:
    catalog = accounts.context.catalog
    first_type, first = documents[0]  # every one of them names the same person
    certificate_type = catalog.find(first_type)
    name = str(first[certificate_type.holder_name_field])
    number = str(first[certificate_type.holder_id_field])
    phone = "13" + "".join(str(rng.randrange(10)) for _ in range(9))
    password = _password()
    key = Account.create()
    code, _expires = accounts.new_enrolment_code(number, operator=operator)
    proof = sign_digest(personal_message_digest(enrolment_message(code, key.address)), bytes(key.key))
    # The demo's key backup opens with the citizen's password; a real device asks for its own.
    backup = Account.encrypt(bytes(key.key), password, kdf="scrypt", iterations=2**14)
    principal = accounts.enrol(
        identity_number=number,
        code=code,
        phone=phone,
        password=password,
        wallet_address=key.address,
        proof=proof,
        key_backup=dict(backup),
    )
    numbers = [str(claims[catalog.find(type_name).number_field]) for type_name, claims in documents]
    return DemoCitizen(
        name, number, phone, password, "0x" + bytes(key.key).hex(), key.address, principal.id, numbers
    )


def _issue_holdings(context: WalletContext, holdings: list[list[tuple[str, dict[str, Any]]]]) -> None:
    """Issues each citizen's certificates through the ordinary intake, as the core system's export."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for held in holdings:
        for type_name, claims in held:
            by_type.setdefault(type_name, []).append(claims)
    issuance = context.issuance()
    with tempfile.TemporaryDirectory(prefix="certledger-demo-") as folder:
        for type_name, documents in by_type.items():
            certificate_type = context.catalog.find(type_name)
            source = Path(folder) / f"{type_name}.jsonl"
            write_jsonl(source, documents)
            report = issuance.issue(documents_from_file(source, certificate_type), certificate_type)
            if report.refused:
                reasons = "; ".join(f"line {r.line}: {r.reason}" for r in report.rejected[:3])
                raise RuntimeError(f"the demonstration's {type_name} documents were refused: {reasons}")


__all__ = [
    "DemoCitizen",
    "DemoStaff",
    "DemoUnit",
    "Population",
    "demo_holdings",
    "population_path",
    "seed_demo",
]
