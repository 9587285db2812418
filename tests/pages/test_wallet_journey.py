"""The citizen's journey on the phone, in Chromium: enrolment with a code from the counter (the
wallet key made in the browser and never sent), a reset with a new code, Beijing time in a
browser abroad, the contribution certificate as cards with ¥ amounts, certificates that cannot be
shared, and the share form's limits — at 360, 390 and 1280 pixels, in Chinese and English."""

from __future__ import annotations

import itertools
import json
import random
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eth_account import Account

from issuer import documents_from_file
from ledger import beijing_time
from scripts.demo_data import claims_for, identity_number, write_jsonl
from tests.pages.conftest import Site, Tab
from wallet_api.pages import MESSAGES

ZH = MESSAGES["zh"]
EN = MESSAGES["en"]
PASSWORD = "柜台设的登录密码-2026"
PASSPHRASE = "海边的灯塔 每晚 亮到 三点"
WIDTHS = (360, 390, 1280)


def issue_for(
    site: Site, number: str, type_name: str = "contribution-certificate", *, serial: int = 0
) -> str:
    """Issues one certificate to the holder of identity `number` (who need not have enrolled)."""
    certificate_type = site.world.context.catalog.find(type_name)
    seed = random.Random(f"{number}/{type_name}/{serial}")
    claims = claims_for(type_name, seed, number=f"JR{seed.randrange(10**9)}")
    claims[certificate_type.holder_id_field] = number
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "one.jsonl"
        write_jsonl(source, [claims])
        report = site.world.context.issuance().issue(
            documents_from_file(source, certificate_type), certificate_type
        )
    assert report.issued == 1
    return str(claims["certificate_no"])


def wait_anchored(site: Site, number: str) -> None:
    """Waits for the service's own anchoring worker (the site runs it) to anchor `number`."""
    deadline = time.monotonic() + 60
    while site.world.context.certificates.by_number(number).certificate.anchor is None:
        assert time.monotonic() < deadline, f"{number} was not anchored"
        time.sleep(0.2)


def counter_code(site: Site, number: str, *, reset: bool = False) -> str:
    """The code an operator hands over at the counter."""
    path = "/v1/reset-codes" if reset else "/v1/enrolment-codes"
    response = site.world.client.post(
        path, json={"identityNumber": number}, headers=site.world.staff_headers("operator")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def no_sideways_scroll(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def fill_enrolment(page: Any, *, code: str, number: str, phone: str, password: str, passphrase: str) -> None:
    page.fill("#enrol-code", code)
    page.fill("#enrol-identity", number)
    page.fill("#enrol-phone", phone)
    page.fill("#enrol-password", password)
    page.fill("#enrol-password-again", password)
    page.fill("#enrol-passphrase", passphrase)
    page.fill("#enrol-passphrase-again", passphrase)


def test_a_citizen_enrols_on_the_phone_then_resets_with_a_new_code(tabs: Any, site: Site) -> None:
    number = identity_number(random.Random("wallet-journey"))
    certificate_no = issue_for(site, number)
    wait_anchored(site, certificate_no)
    tab: Tab = tabs()
    page = tab.page
    sent: list[tuple[str, str, str]] = []  # every request the page made: method, URL, body
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data or "")))

    page.goto(f"{site.url}/wallet")
    page.wait_for_selector("#login")
    assert page.locator("#wallet-nav").is_hidden(), "no tabs before logging in"
    page.click("#enrol-link")
    page.wait_for_selector("#enrol-form")
    tab.shoot("wallet-enrol")
    # The same screen in English, on a desk and on the narrowest phone.
    page.goto(f"{site.url}/wallet?lang=en#/enrol")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_selector("#enrol-form")
        assert page.inner_text("h1") == EN["wallet.enrol.title"]
        assert no_sideways_scroll(page) <= 0, f"the enrolment scrolls sideways at {width}px"
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.url}/wallet?lang=zh#/enrol")
    page.wait_for_selector("#enrol-form")

    # The passphrase may not be the password, nor trivially weak: refused on the page, nothing sent.
    code = counter_code(site, number)
    fill_enrolment(
        page, code=code, number=number, phone="13812345670", password=PASSWORD, passphrase=PASSWORD
    )
    page.click("#enrol-submit")
    assert page.inner_text("#enrol-problem") == ZH["wallet.enrol.passphrase_same"]
    for weak in ("aaaaaaaaaaaaaaaa", "12345678"):
        page.fill("#enrol-passphrase", weak)
        assert page.inner_text("#enrol-strength-text") == ZH["wallet.enrol.strength.0"]
        page.fill("#enrol-passphrase-again", weak)
        page.click("#enrol-submit")
        assert page.inner_text("#enrol-problem") == ZH["wallet.enrol.passphrase_weak"]
    # A weak one is warned (and must be confirmed), a long mixed one is strong.
    page.fill("#enrol-passphrase", "abcdefgh12")
    assert page.inner_text("#enrol-strength-text") == ZH["wallet.enrol.strength.1"]
    page.fill("#enrol-passphrase", PASSPHRASE)
    assert page.inner_text("#enrol-strength-text") == ZH["wallet.enrol.strength.3"]
    assert not [url for method, url, _ in sent if method == "POST" and url.endswith("/v1/citizens")]

    # Enrolled: the key is made here, its backup encrypted here, and the certificate appears.
    page.fill("#enrol-passphrase-again", PASSPHRASE)
    page.click("#enrol-submit")
    page.wait_for_selector(f".cards button[aria-label$='{certificate_no}']", timeout=60_000)
    first = enrolment_body(sent)
    assert first["code"] == code.replace("-", "")  # as typed, without the dashes
    key = opened_key(first)
    current = site.world.context.certificates.by_number(certificate_no).certificate
    assert current.header.holder == first["walletAddress"], "the certificate is bound to the new key"
    never_sent(sent, key)
    tab.shoot("wallet-enrolled")

    # A lost phone: a reset code from the counter, a new key, the same certificate bound to it.
    page.click("#logout")
    page.wait_for_selector("#reset-link")
    page.click("#reset-link")
    page.wait_for_selector("#enrol-form")
    assert page.inner_text("h1") == ZH["wallet.reset.title"]
    reset = counter_code(site, number, reset=True)
    fill_enrolment(
        page,
        code=reset,
        number=number,
        phone="13812345671",
        password=PASSWORD + "!",
        passphrase=PASSPHRASE + "!",
    )
    page.click("#enrol-submit")
    page.wait_for_selector(f".cards button[aria-label$='{certificate_no}']", timeout=60_000)
    second = enrolment_body(sent)
    assert second["walletAddress"] != first["walletAddress"]
    second_key = opened_key(second, PASSPHRASE + "!")
    assert (
        site.world.context.certificates.by_number(certificate_no).certificate.header.holder
        == second["walletAddress"]
    )
    never_sent(sent, second_key)
    # The old password no longer opens the account.
    refused = site.world.client.post("/v1/auth/login", json={"login": number, "password": PASSWORD})
    assert refused.status_code == 401


def enrolment_body(sent: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The last enrolment the page sent, holding exactly what the API asks for."""
    body: dict[str, Any] = json.loads(
        [data for method, url, data in sent if method == "POST" and url.endswith("/v1/citizens")][-1]
    )
    assert set(body) == {
        "identityNumber",
        "code",
        "phone",
        "password",
        "walletAddress",
        "walletProof",
        "keyBackup",
    }
    return body


def opened_key(body: dict[str, Any], passphrase: str = PASSPHRASE) -> str:
    """The private key inside the deposited backup, opened with the passphrase (never sent)."""
    backup = body["keyBackup"]
    assert backup["version"] == 3 and backup["Crypto"]["kdf"] == "scrypt"  # ethers writes "Crypto"
    key = bytes(Account.decrypt(backup, passphrase)).hex()
    assert Account.from_key(key).address == body["walletAddress"]
    return key


def never_sent(sent: list[tuple[str, str, str]], key: str) -> None:
    """Neither the private key nor the passphrase left the browser in any request."""
    for _, url, data in sent:
        for secret in (key, "0x" + key):
            assert secret not in url.lower() and secret not in data.lower()
        assert PASSPHRASE not in data and json.dumps(PASSPHRASE)[1:-1] not in data


def contribution_holder(site: Site) -> tuple[Any, dict[str, Any]]:
    for citizen in site.world.citizens:
        headers = site.world.citizen_headers(citizen)
        for item in site.world.client.get("/v1/certificates", headers=headers).json():
            if (
                item["type"].startswith("contribution-certificate")
                and item["anchored"]
                and item["status"] == "valid"
            ):
                return citizen, item
    raise AssertionError("the demonstration has no anchored contribution certificate")


def log_in(page: Any, site: Site, citizen: Any, *, language: str = "zh") -> None:
    page.goto(f"{site.url}/wallet?lang={language}")
    page.fill("#login", citizen.identity_number)
    page.fill("#password", citizen.password)
    page.click("form button[type=submit]")
    page.wait_for_selector(".cards")


def test_the_contribution_certificate_reads_on_a_phone_in_beijing_time(browser: Any, site: Site) -> None:
    citizen, item = contribution_holder(site)
    headers = site.world.citizen_headers(citizen)
    certificate = site.world.client.get(f"/v1/certificates/{item['id']}", headers=headers).json()
    grant = site.world.grant(
        citizen,
        headers,
        site.world.terms(
            item["id"], site.world.units[0], fields=["holder_name", "pension"], seconds=3 * 86400
        ),
    )
    expires = datetime.fromisoformat(grant["grant"]["expiresAt"])
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", timezone_id="America/New_York"
    )
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        log_in(page, site, citizen)
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
        # The heading focused for screen readers draws no box.
        page.wait_for_function("document.activeElement && document.activeElement.tagName === 'H1'")
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "none"
        records = {
            name: claims["records"]
            for name, claims in certificate["document"]["claims"].items()
            if isinstance(claims, dict) and "records" in claims
        }
        for language, words in (("zh", ZH), ("en", EN)):
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                page.goto(f"{site.url}/wallet?lang={language}#/c/{item['id']}")
                page.wait_for_selector("article.doc .record-cards")
                assert no_sideways_scroll(page) <= 0, (
                    f"the certificate scrolls sideways at {width}px ({language})"
                )
                for name, rows in records.items():
                    section = page.locator(f"article.doc section[data-field={name}]")
                    # Totals and months first, then one card per month, the employer once per run.
                    assert section.locator(".figures-list").count() == 1
                    totals = section.locator(".figures-list").inner_text()
                    assert re.search(r"¥\d{1,3}(,\d{3})*\.\d{2}", totals), totals
                    assert section.locator(".record-card").count() == len(rows)
                    runs = 1 + sum(
                        1 for a, b in itertools.pairwise(rows) if a["employer_code"] != b["employer_code"]
                    )
                    assert section.locator(".record-group").count() == runs
                    assert section.locator("table").count() == 0
                if language == "en":
                    assert words["wallet.share"] in page.inner_text("#share-link")
                if (language, width) in (("zh", 360), ("en", 1280)):
                    Tab(page).shoot(f"{language}-wallet-cards-{width}")
            # The lists on the narrowest phone in Chinese, on a desk in English.
            page.set_viewport_size({"width": 360 if language == "zh" else 1280, "height": 800})
            page.goto(f"{site.url}/wallet?lang={language}#/grants")
            page.wait_for_selector(f"[data-grant='{grant['grant']['id']}']")
            card = page.inner_text(f"[data-grant='{grant['grant']['id']}']")
            assert item["number"] in card and (item["titles"][language]) in card, (
                "the grant names the certificate"
            )
            local = beijing_time(expires)
            if language == "zh":
                assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in card
                new_york = expires.astimezone(ZoneInfo("America/New_York"))
                assert f"{new_york.month}月{new_york.day}日 {new_york:%H:%M}" not in card
            else:
                assert f"{local.day} {local:%b} {local.year}" in card and f"{local:%H:%M}" in card
            assert not re.search(r"\d{4}-\d{2}-\d{2}(T|\s\d)", card), "no ISO time beside it"
            page.goto(f"{site.url}/wallet?lang={language}#/history")
            page.wait_for_selector(".history-card")
            assert page.locator("table").count() == 0
            clipped = page.evaluate(
                "[...document.querySelectorAll('.history-card .unit-name')].filter(e => e.scrollWidth > e.clientWidth).length"
            )
            assert clipped == 0, "unit names are not cut off"
            assert no_sideways_scroll(page) <= 0
            if language == "zh":
                Tab(page).shoot(f"{language}-wallet-history-cards")
    finally:
        context.close()
    assert problems == []


def test_a_suspended_or_revoked_certificate_offers_neither_sharing_nor_printing(
    tabs: Any, site: Site
) -> None:
    operator = site.world.staff_headers("operator")
    citizen = site.world.citizens[-1]
    headers = site.world.citizen_headers(citizen)
    owned = [
        item for item in site.world.client.get("/v1/certificates", headers=headers).json() if item["anchored"]
    ]
    # Two certificates of the same person: one suspended, one revoked, by the operator on chain.
    numbers = [
        issue_for(site, citizen.identity_number, "pension-qualification", serial=serial)
        for serial in range(2)
    ]
    for number in numbers:
        wait_anchored(site, number)
    for number, action, reason in (
        (numbers[0], "suspend", "under-review"),
        (numbers[1], "revoke", "issued-in-error"),
    ):
        changed = site.world.client.post(
            f"/v1/office/certificates/{number}/status",
            json={"action": action, "reason": reason},
            headers=operator,
        )
        assert changed.status_code == 200, changed.text
    listed = {
        item["number"]: item for item in site.world.client.get("/v1/certificates", headers=headers).json()
    }
    assert [listed[number]["status"] for number in numbers] == ["suspended", "revoked"]
    # And a determination, valid with no end.
    lasting = issue_for(site, citizen.identity_number, "work-injury-determination")
    tab = tabs(width=390)
    page = tab.page
    log_in(page, site, citizen)
    card = page.locator(f".cards button[aria-label$='{lasting}']")
    assert f"{ZH['wallet.valid_until']} {ZH['time.long_term']}" in card.inner_text()
    for number, status in zip(numbers, ("suspended", "revoked"), strict=True):
        certificate_id = listed[number]["id"]
        for route in (f"#/c/{certificate_id}", f"#/c/{certificate_id}/share", f"#/c/{certificate_id}/print"):
            page.goto(f"{site.url}/wallet{route}")
            page.wait_for_selector("#blocked")
            assert page.inner_text("#blocked") == ZH[f"wallet.blocked.{status}"]
            assert page.locator("#share-link, #print-link, #share-form, #print-grant").count() == 0
        tab.shoot(f"wallet-{status}")
        # In English on a desk, the same refusal before any form.
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{site.url}/wallet?lang=en#/c/{certificate_id}/share")
        page.wait_for_selector("#blocked")
        assert page.inner_text("#blocked") == EN[f"wallet.blocked.{status}"]
        assert page.locator("#share-form").count() == 0
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{site.url}/wallet?lang=zh")
    assert owned, "the citizen has a valid certificate to share"


def test_the_share_form_shows_its_limits_and_refuses_more(tabs: Any, site: Site) -> None:
    citizen, item = contribution_holder(site)
    headers = site.world.citizen_headers(citizen)
    certificate = site.world.client.get(f"/v1/certificates/{item['id']}", headers=headers).json()
    tab = tabs(width=360, height=740)
    page = tab.page
    drafts: list[str] = []
    page.on(
        "request",
        lambda request: (
            drafts.append(request.url) if "/v1/grants" in request.url and request.method == "POST" else None
        ),
    )
    log_in(page, site, citizen)
    page.goto(f"{site.url}/wallet#/c/{item['id']}/share")
    page.wait_for_selector("#share-form")
    # The fields the certificate holds, in the schema's order; whose record it is always goes.
    offered = page.eval_on_selector_all(".fieldpick input[type=checkbox]", "boxes => boxes.map(b => b.value)")
    schema_order = list(site.world.context.catalog.find(certificate["type"]).schema["properties"])
    assert offered == [name for name in schema_order if name in certificate["document"]["claims"]]
    for name in ("holder_name", "holder_id"):
        assert page.is_checked(f"#field-{name}") and page.is_disabled(f"#field-{name}")
    assert page.inner_text("#holder-note") == ZH["wallet.share.holder_always"]
    # The limit is said before anything is typed, and more is refused where it was typed.
    assert "最长 30 天" in page.inner_text("#days-hint")
    assert "北京时间" in page.inner_text("#days-hint")
    page.select_option("#unit", site.world.units[0].id)
    page.check("#field-pension")
    page.fill("#purpose", "入职审核")
    page.fill("#days", "45")
    assert page.inner_text("#days-hint") == ZH["wallet.share.days_too_many"].format(max=30)
    assert page.get_attribute("#days", "aria-invalid") == "true"
    page.click("#share-form button[type=submit]")
    page.wait_for_selector("#toast.show")
    assert page.inner_text("#toast") == ZH["wallet.share.days_too_many"].format(max=30)
    assert drafts == [], "nothing was drafted"
    # The toast covers no button: it takes its own place above the content.
    covered = page.evaluate(
        """() => { const t = document.querySelector('#toast').getBoundingClientRect();
          return [...document.querySelectorAll('button, a.btn, input, select')].filter((b) => {
            const r = b.getBoundingClientRect();
            return r.width && r.height && r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top;
          }).length; }"""
    )
    assert covered == 0
    assert no_sideways_scroll(page) <= 0
    tab.shoot("wallet-share-limits")
    page.fill("#days", "30")
    assert "最长 30 天" in page.inner_text("#days-hint")
    page.click("#share-form button[type=submit]")
    page.fill("#passphrase", citizen.password)
    page.click("dialog button[value=ok]")
    page.wait_for_selector("#grant-qr")
    grant_id = page.url.rsplit("/", 1)[-1]
    stored = site.world.client.get(f"/v1/grants/{grant_id}", headers=headers).json()
    assert stored["fields"] == ["holder_id", "holder_name", "pension"]
    lasts = datetime.fromisoformat(stored["expiresAt"]) - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < lasts <= timedelta(days=30)
