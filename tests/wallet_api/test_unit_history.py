"""The unit's side of a redemption: the verdict's document-first extras, the unit's history of
verifications (newest first, its own only, nothing personal stored) and the receipt PDF."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from audit import LogEvent, access_log
from ledger import mask
from tests.wallet_api.conftest import WalletWorld
from wallet_api._models import unit_verifications

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None


def _redeem(world: WalletWorld, link: str, unit: Any) -> dict[str, Any]:
    response = world.client.post(
        "/v1/redemptions", json={"link": link, "view": True}, headers=world.unit_headers(unit)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _history(world: WalletWorld, unit: Any, **params: Any) -> list[dict[str, Any]]:
    response = world.client.get("/v1/units/me/verifications", params=params, headers=world.unit_headers(unit))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def test_each_redemption_is_kept_for_the_unit_with_its_log_entry(wallet_on: WalletWorld) -> None:
    world = wallet_on
    citizen = world.citizens[0]
    unit_x, unit_y = world.units
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    with_number = world.grant(
        citizen,
        headers,
        world.terms(certificate_id, unit_x, fields=["certificate_no", "holder_name", "holder_id"]),
    )
    without_number = world.grant(
        citizen, headers, world.terms(certificate_id, unit_x, fields=["holder_name"])
    )
    first = _redeem(world, with_number["link"], unit_x)
    second = _redeem(world, with_number["link"], unit_x)
    third = _redeem(world, without_number["link"], unit_x)
    assert {body["verification"]["verdict"] for body in (first, second, third)} == {"VALID"}
    # Another unit's attempt is refused and kept out of both units' histories.
    refused = world.client.post(
        "/v1/redemptions", json={"link": without_number["link"]}, headers=world.unit_headers(unit_y)
    )
    assert refused.status_code == 403

    history = _history(world, unit_x)
    assert len(history) == 3
    assert [entry["logSeq"] for entry in history] == sorted(
        (entry["logSeq"] for entry in history), reverse=True
    )
    newest, middle, oldest = history
    number = first["verification"]["disclosed"]["certificate_no"]
    assert oldest["certificateNumber"] == middle["certificateNumber"] == number
    assert newest["certificateNumber"] is None, "a number the holder did not disclose is not kept"
    assert [field["name"] for field in oldest["fields"]] == ["certificate_no", "holder_id", "holder_name"]
    assert [field["label"]["zh"] for field in oldest["fields"]] == ["证明编号", "公民身份号码", "姓名"]
    assert oldest["verdict"] == "VALID" and oldest["decisive"] is None
    assert oldest["officeName"] == "威海市社会保险事业中心"
    assert oldest["at"].startswith("2026-11-29T02:00:00")  # the suite's clock, not the machine's
    assert _history(world, unit_y) == []

    # The sequence number names the log entry of the same redemption.
    with world.context.reader.connect() as connection:
        entries = {
            seq: json.loads(entry)
            for seq, entry in connection.execute(sa.select(access_log.c.seq, access_log.c.entry)).all()
        }
        rows = connection.execute(sa.select(unit_verifications)).mappings().all()
    for item, grant in ((oldest, with_number), (middle, with_number), (newest, without_number)):
        logged = entries[item["logSeq"]]
        assert logged["event"] == "grant.redeemed"
        assert logged["grant"] == grant["grant"]["id"]
        assert logged["unit"] == unit_x.id
        assert logged["certificate"] == item["documentRoot"]
        assert logged["outcome"] == "VALID"
    # Nothing personal in the unit's table: no name, identity number or masked form of either.
    stored = json.dumps([{key: str(value) for key, value in row.items()} for row in rows], ensure_ascii=False)
    for personal in (citizen.name, citizen.identity_number, mask(citizen.identity_number), citizen.phone):
        assert personal not in stored

    # Paging: newest first, `before` the last one's sequence number.
    page = _history(world, unit_x, limit=2)
    assert [entry["id"] for entry in page] == [newest["id"], middle["id"]]
    assert [entry["id"] for entry in _history(world, unit_x, limit=2, before=page[-1]["logSeq"])] == [
        oldest["id"]
    ]


def test_the_verdict_names_the_holder_masked_and_counts_what_was_not_disclosed(wallet: WalletWorld) -> None:
    world = wallet
    citizen = world.citizens[0]
    unit = world.units[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    grant = world.grant(
        citizen,
        headers,
        world.terms(certificate_id, unit, fields=["certificate_no", "holder_name", "holder_id"]),
    )
    verification = _redeem(world, grant["link"], unit)["verification"]
    view = verification["view"]
    certificate_type = world.context.catalog.find(verification["type"])
    assert view["holder"] == {"name": citizen.name, "id": mask(citizen.identity_number)}
    assert view["number"] == verification["disclosed"]["certificate_no"]
    assert view["undisclosed"] == view["hidden"] == len(certificate_type.fields) - 3
    assert "issued" in view and "validUntil" in view
    # The document shows the identity number masked too; the API's `disclosed` keeps it whole.
    assert citizen.identity_number not in json.dumps(view, ensure_ascii=False)
    assert verification["disclosed"]["holder_id"] == citizen.identity_number


def test_the_receipt_is_a_one_page_pdf_in_chinese_for_the_unit_alone(
    wallet: WalletWorld, tmp_path: Path
) -> None:
    if not POPPLER:
        pytest.skip("poppler-utils (pdftotext, pdftoppm) is not installed")
    world = wallet
    citizen = world.citizens[0]
    unit_x, unit_y = world.units
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    grant = world.grant(
        citizen, headers, world.terms(certificate_id, unit_x, fields=["certificate_no", "holder_name"])
    )
    _redeem(world, grant["link"], unit_x)
    (entry,) = _history(world, unit_x)
    path = f"/v1/units/me/verifications/{entry['id']}/receipt"

    response = world.client.get(path, headers=world.unit_headers(unit_x))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        "电子证照核验回执",
        unit_x.name,
        unit_x.credit_code,
        "2026年11月29日 10:00:00（北京时间）",  # 02:00 UTC
        entry["certificateNumber"],
        "威海市社会保险事业中心",
        "有效",
        "证明编号、公民身份号码、姓名",
        str(entry["logSeq"]),
    ):
        assert expected in text, (expected, text)
    assert citizen.name not in text and citizen.identity_number not in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert [page.name for page in sorted(tmp_path.glob("page*.png"))] == ["page-1.png"], "one A4 page"

    english = world.client.get(path, params={"lang": "en"}, headers=world.unit_headers(unit_x))
    pdf.write_bytes(english.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    assert "Certificate verification receipt" in text and "Valid" in text and "(Beijing time)" in text

    # Another unit's verification is not found, exactly like one that does not exist.
    other = world.client.get(path, headers=world.unit_headers(unit_y))
    assert other.status_code == 404 and other.json()["code"] == "verification.not_found"
    missing = world.client.get(
        f"/v1/units/me/verifications/{'0' * 32}/receipt", headers=world.unit_headers(unit_x)
    )
    assert missing.status_code == 404
    assert world.client.get(path).status_code == 401


def test_an_invalid_verdict_is_kept_with_the_check_that_decided_it(wallet: WalletWorld) -> None:
    world = wallet
    citizen = world.citizens[0]
    unit = world.units[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    grant = world.grant(citizen, headers, world.terms(certificate_id, unit, fields=["certificate_no"]))
    number = _redeem(world, grant["link"], unit)["verification"]["disclosed"]["certificate_no"]
    suspended = world.client.post(
        f"/v1/office/certificates/{number}/status",
        json={"action": "suspend", "reason": "under-review"},
        headers=world.staff_headers("operator"),
    )
    assert suspended.status_code == 200, suspended.text
    assert _redeem(world, grant["link"], unit)["verification"]["verdict"] == "INVALID"

    newest, oldest = _history(world, unit)
    assert (newest["verdict"], newest["decisive"]) == ("INVALID", "status")
    assert (oldest["verdict"], oldest["decisive"]) == ("VALID", None)
    assert newest["logSeq"] > oldest["logSeq"]


def test_the_writer_numbers_each_operations_own_entries_within_a_group(wallet: WalletWorld) -> None:
    """The history row's sequence number comes from the group's single append: each operation is
    told the numbers of its own events, whatever else shares the transaction."""
    writer = wallet.context.writer
    told: dict[str, list[int]] = {}

    def events(name: str, count: int) -> list[LogEvent]:
        return [
            LogEvent("grant.redeemed", "s" * 32, f"{name}{i}", "u" * 32, b"\x01" * 32) for i in range(count)
        ]

    def job(name: str, count: int) -> Future[None]:
        def operation(connection: sa.Connection) -> tuple[None, list[LogEvent]]:
            return None, events(name, count)

        def numbered(connection: sa.Connection, seqs: Sequence[int]) -> None:
            told[name] = list(seqs)

        return writer.submit(operation, numbered=numbered)

    futures = [job(name, count) for name, count in (("a", 2), ("b", 0), ("c", 1), ("d", 3))]
    for future in futures:
        future.result(timeout=30)
    with wallet.context.reader.connect() as connection:
        grant_of = dict(connection.execute(sa.select(access_log.c.seq, access_log.c.grant_id)).all())
    assert told["b"] == []
    for name, count in (("a", 2), ("c", 1), ("d", 3)):
        assert [grant_of[seq] for seq in told[name]] == [f"{name}{i}" for i in range(count)]
