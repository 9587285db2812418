"""The scan stand (扫码墩) in a real browser: a unit's clerk at a desk (1280 px) asks for fields,
the citizen's phone (390 px, and 360) scans the QR code from a picture, sees who asks for what
and why, signs on the device, and the clerk's screen shows the verdict by itself — in Chinese,
then in English through the stand's link and a login in between."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.pages.conftest import ARTIFACTS, Site, Tab
from tests.pages.test_pages import contribution_holder, image_screenshot, log_in

DESK = {"width": 1280, "height": 800}
NARROW = {"width": 360, "height": 740}


def _fits(tab: Tab, where: str) -> None:
    fits = tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, f"{where} scrolls sideways at {tab.page.viewport_size['width']} px"


def _open_stand(tab: Tab, site: Site) -> None:
    """The clerk signs in at the verifier with the unit's key and opens the stand."""
    page = tab.page
    page.goto(f"{site.url}/verify")
    page.fill("#api-key", site.world.units[0].api_key)
    page.click("form button[type=submit]")
    page.click("#open-stand")
    page.wait_for_selector("#stand-form #stand-fields input")


def _ask(tab: Tab, purpose: str) -> str:
    """The clerk asks for the certificate number and the pension record (the holder's name and
    identity number come with every request); the request's id."""
    page = tab.page
    page.select_option("#stand-type", "contribution-certificate/v1")
    page.check("#stand-fields input[value=pension]")
    page.fill("#stand-purpose", purpose)
    page.select_option("#stand-term", "86400")
    page.click("#stand-create")
    page.wait_for_selector("#stand-request[data-state=pending] #stand-qr")
    return str(page.get_attribute("#stand-request", "data-request"))


def _consent(tab: Tab, password: str) -> float:
    """The citizen signs; the moment the wallet says it is done."""
    page = tab.page
    page.click("#wreq-consent")
    page.fill("#passphrase", password)
    page.click("dialog button[value=ok]")
    page.wait_for_selector("#wreq-done")
    return time.monotonic()


def _verdict_after(desk: Tab, consented: float) -> float:
    """Waits for the desk's verdict; the seconds it took after the consent (a figure, printed)."""
    desk.page.wait_for_selector("#stand-result #verdict[data-verdict=VALID]")
    return time.monotonic() - consented


def test_the_unit_asks_and_the_citizen_consents_from_a_scan(tabs: Any, site: Site) -> None:
    world = site.world
    unit = world.units[0]
    citizen, _certificate = contribution_holder(site)
    desk = tabs(**DESK)
    _open_stand(desk, site)
    # Whose record it is goes with every request: ticked, and not to be unticked.
    for always in ("holder_name", "holder_id"):
        assert desk.page.is_checked(f"#stand-fields input[value={always}]")
        assert desk.page.is_disabled(f"#stand-fields input[value={always}]")
    # The first request's wait ends as if it had expired: the stand makes a new one by itself.
    expired: list[str] = []

    def expire(route: Any) -> None:
        expired.append(route.request.url)
        route.fulfill(json={"request": {"state": "expired"}, "result": None})

    polls = re.compile(r"/v1/presentation-requests/([0-9a-f]{32})\?wait=")
    desk.page.route(polls, expire, times=1)
    _ask(desk, "入职核验参保情况")
    while not expired:
        desk.page.wait_for_timeout(50)
    found = polls.search(expired[0])
    assert found is not None
    gone = found.group(1)
    desk.page.wait_for_function(
        "(gone) => { const card = document.querySelector('#stand-request[data-state=pending]');"
        " return Boolean(card) && card.dataset.request !== gone; }",
        arg=gone,
    )
    request_id = str(desk.page.get_attribute("#stand-request", "data-request"))
    assert request_id != gone
    assert desk.page.is_enabled("#stand-create"), "the form is free while the stand waits"
    assert desk.page.text_content("#stand-asked-fields") == "证明编号、公民身份号码、姓名、养老保险"
    qr = ARTIFACTS / "stand-qr.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    qr.write_bytes(image_screenshot(desk.page, "#stand-qr"))
    desk.shoot("stand-desk-zh")

    # The phone scans a picture of the stand's code (jsQR: this chromium has no BarcodeDetector).
    phone = tabs()
    log_in(phone, site, citizen)
    page = phone.page
    page.click("#tab-scan")
    page.wait_for_selector("#wreq-photo")
    page.set_input_files("#wreq-photo", str(qr))
    page.wait_for_selector("#wreq-unit")
    assert page.url.endswith(f"/wallet#/q/{request_id}")
    # Who asks comes from the service's records: the registered name and credit code.
    assert page.text_content("#wreq-unit") == unit.name
    assert unit.credit_code in str(page.text_content("#wreq-code"))
    assert page.locator("#wreq-fields li").all_text_contents() == [
        "证明编号",
        "公民身份号码",
        "姓名",
        "养老保险",
    ]
    assert page.text_content("#wreq-purpose") == "入职核验参保情况"
    assert page.locator("#wreq-form input[name=certificate]").count() >= 1
    _fits(phone, "the request on a phone")
    phone.shoot("stand-phone-zh")
    page.set_viewport_size(NARROW)
    _fits(phone, "the request on a narrow phone")
    page.set_viewport_size({"width": 390, "height": 844})

    waited = _verdict_after(desk, _consent(phone, citizen.password))
    print(f"\nconsent → verdict on the desk: {waited:.2f} s")
    assert desk.page.get_attribute("#stand-request", "data-state") == "collected"
    assert desk.page.locator("#stand-qr").count() == 0, "the spent code is gone"
    desk.shoot("stand-verdict-zh")
    # What the desk saw went the ordinary way: the citizen's grant is spent, and named by the nonce.
    grants = world.client.get("/v1/grants", headers=world.citizen_headers(citizen)).json()
    spent = [g for g in grants if g["purpose"] == "入职核验参保情况"]
    assert [(g["usesLeft"], g["state"], g["unit"]["id"]) for g in spent] == [(0, "used_up", unit.id)]
    _fits(desk, "the stand on a desk")

    # In English: the clerk's next request; a phone that is not logged in opens the stand's link,
    # logs in, and lands on the request; at 360 px.
    desk.page.goto(f"{site.url}/verify?lang=en#stand")
    desk.page.wait_for_selector("#stand-form #stand-fields input")
    _ask(desk, "Checking contributions")
    link = desk.page.input_value("#stand-link")
    assert (
        desk.page.text_content("#stand-asked-fields")
        == "Certificate no., Identity number, Name, Pension insurance"
    )
    second = tabs(**NARROW)
    second.page.goto(f"{site.url}/wallet?lang=en")
    second.page.goto(link)
    second.page.fill("#login", citizen.identity_number)
    second.page.fill("#password", citizen.password)
    second.page.click("form button[type=submit]")
    second.page.wait_for_selector("#wreq-consent")
    assert str(second.page.text_content("#wreq-consent")).startswith("Consent and sign for")
    assert second.page.locator("#wreq-fields li").all_text_contents() == [
        "Certificate no.",
        "Identity number",
        "Name",
        "Pension insurance",
    ]
    _fits(second, "the request in English on a narrow phone")
    second.shoot("stand-phone-en")
    waited = _verdict_after(desk, _consent(second, citizen.password))
    print(f"consent → verdict on the desk (English): {waited:.2f} s")
    desk.shoot("stand-verdict-en")
    desk.page.set_viewport_size(NARROW)
    _fits(desk, "the stand and its verdict on a narrow screen")
    desk.page.set_viewport_size(DESK)

    # The same link again: answered already, said before any form.
    second.page.goto(link)
    second.page.wait_for_selector("#wreq-closed")
    assert second.page.locator("#wreq-consent").count() == 0
