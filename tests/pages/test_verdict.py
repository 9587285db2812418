"""The unit's verdict, document first, in real Chromium: banner, issuer, holder (masked), the
disclosed data as the certificate with what was kept back, then the checks folded away; the
unit's history as cards and its receipt PDF. At 390 px and 360 px and on a desktop, in Chinese
and in English, in one tab."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from ledger import mask
from tests.pages.conftest import Site
from tests.wallet_api.conftest import WalletWorld

OFFICE_NAME = "威海市社会保险事业中心"
FIELDS = ["certificate_no", "holder_id", "holder_name", "pension"]


def _contribution_grant(world: WalletWorld, *, uses: int) -> tuple[Any, str, str]:
    """A grant of `FIELDS` of a contribution certificate to the first unit: the citizen, the
    certificate's type key and the link."""
    for citizen in world.citizens:
        headers = world.citizen_headers(citizen)
        for item in world.client.get("/v1/certificates", headers=headers).json():
            if item["type"].startswith("contribution-certificate") and item["anchored"]:
                created = world.grant(
                    citizen, headers, world.terms(item["id"], world.units[0], fields=FIELDS, uses=uses)
                )
                return citizen, item["type"], created["link"]
    raise AssertionError("the demonstration has no anchored contribution certificate")


def _fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than {page.viewport_size['width']} px"


def _verify(page: Any, url: str, link: str) -> None:
    page.goto(url)
    page.fill("#link", link)
    page.click("#verify-link")
    page.wait_for_selector("#verdict[data-verdict]")


def test_the_verdict_puts_the_document_first_and_the_unit_keeps_a_receipt(
    tabs: Any, site: Site, tmp_path: Any
) -> None:
    world = site.world
    citizen, type_key, link = _contribution_grant(world, uses=2)
    unit = world.units[0]
    tab = tabs()
    page = tab.page
    page.goto(f"{site.url}/verify")
    page.fill("#api-key", unit.api_key)
    page.click("form button[type=submit]")
    page.wait_for_selector("#history-title")
    _verify(page, f"{site.url}/verify", link)

    # In this order: the banner, who issued it and whose it is, the document, the checks.
    order = page.eval_on_selector_all("#verdict > *", "nodes => nodes.map(n => n.id)")
    assert order == ["verdict-banner", "verdict-identity", "disclosed", "grant-terms", "verdict-checks"]
    assert page.get_attribute("#verdict", "data-verdict") == "VALID"
    assert page.inner_text("#verdict-banner .verdict-word") == "有效"
    assert page.inner_text("#office") == OFFICE_NAME
    assert page.inner_text("#holder-name") == citizen.name
    assert page.inner_text("#holder-id") == mask(citizen.identity_number)
    assert citizen.identity_number not in page.inner_text("body"), "the identity number is shown masked"
    assert page.inner_text("#valid-until") in {"长期"} or "年" in page.inner_text("#valid-until")
    schema_fields = len(world.context.catalog.find(type_key).fields)
    assert page.inner_text("#undisclosed") == f"另有 {schema_fields - len(FIELDS)} 项内容未披露。"
    assert page.locator("#disclosed section[data-field=pension]").count() == 1
    # The checks are there, folded: eleven, all passed, out of sight until opened.
    assert page.get_attribute("#verdict-checks", "open") is None
    assert page.locator("#verdict-checks ol.checks li").count() == 11
    assert page.inner_text("#verdict-checks summary") == "核验步骤：11 项中 11 项通过"
    assert not page.is_visible("#verdict-checks ol.checks")
    page.click("#verdict-checks summary")
    assert page.is_visible("li[data-check=status]")
    tab.shoot("verify-verdict-document-first")
    _fits(page)

    # The unit's history: a card for this verification, with its receipt.
    card = page.locator("#history-list article").first
    card.wait_for()
    assert card.get_attribute("data-outcome") == "VALID"
    assert "有效" in card.inner_text() and OFFICE_NAME in card.inner_text()
    with page.expect_download() as download:
        card.locator("button[data-receipt]").click()
    saved = tmp_path / "receipt.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert unit.name in text and "电子证照核验回执" in text and citizen.name not in text

    page.set_viewport_size({"width": 360, "height": 740})
    _fits(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    _fits(page)
    tab.shoot("verify-verdict-desktop")

    # English, on the desktop: the last use of the grant.
    _verify(page, f"{site.url}/verify?lang=en", link)
    assert page.inner_text("#verdict-banner .verdict-word") == "Valid"
    assert (
        page.inner_text("#undisclosed") == f"{schema_fields - len(FIELDS)} more field(s) were not disclosed."
    )
    assert page.inner_text("#verdict-checks summary") == "Checks: 11 of 11 passed"
    page.locator("#history-list article").nth(1).wait_for()
    assert page.locator("#history-list article").count() == 2
    _fits(page)
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    tab.shoot("en-verify-verdict")
