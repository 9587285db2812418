"""Printing with a 验证码 in a real browser: the citizen signs a print grant on the phone (390 px) and
gets the PDF; a stranger types the code at /verify (1280 px in Chinese, 360 px in English), uploads
the PDF and the downloaded JSON, and gets the verdict each time; once the citizen withdraws the
code, and for a wrong one, the refusal carries its exact code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.pages.conftest import Site, Tab
from tests.pages.test_pages import contribution_holder, log_in
from wallet_api._print_codes import code_in_pdf

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
NARROW = {"width": 360, "height": 740}


def _fits(tab: Tab, where: str) -> None:
    fits = tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, f"{where} scrolls sideways at {tab.page.viewport_size['width']} px"


def _verdict(tab: Tab, *, verdict: str, code: str | None = None) -> None:
    """Waits for the answer in the code card: a verdict, or a refusal with its stable code."""
    selector = f'#code-result #verdict[data-verdict="{verdict}"]'
    if code is not None:
        selector += f'[data-code="{code}"]'
    tab.page.wait_for_selector(selector)


def _clear(tab: Tab) -> None:
    tab.page.evaluate("document.querySelector('#code-result').replaceChildren()")


def test_a_printed_code_checks_at_verify_until_the_citizen_withdraws_it(
    tabs: Any, site: Site, tmp_path: Path
) -> None:
    citizen, certificate_id = contribution_holder(site)

    # The citizen prints with a code: the fields, the term, a signature on the device, the PDF.
    phone = tabs(**PHONE)
    page = phone.page
    log_in(phone, site, citizen)
    page.goto(f"{site.url}/wallet#/c/{certificate_id}/print")
    page.wait_for_selector("#print-code-form input[name=print-field]")
    page.wait_for_selector("#print-codes-none")
    assert page.input_value("#print-days") == "90"
    _fits(phone, "the print screen")
    phone.shoot("print-code-form")
    page.click("#print-sign")
    page.fill("#passphrase", citizen.password)
    with page.expect_download() as downloading:
        page.click("dialog button[value=ok]")
    pdf = tmp_path / "printed.pdf"
    downloading.value.save_as(pdf)
    code = str(page.text_content("#print-code-shown")).strip()
    assert code_in_pdf(pdf.read_bytes()) == code
    page.wait_for_selector("#print-codes li[data-state=active]")
    _fits(phone, "the print screen with its code")

    # A stranger at an HR desk types it, as people type: lower case, no dashes.
    desk = tabs(**DESK)
    clerk = desk.page
    clerk.goto(f"{site.url}/verify")
    clerk.fill("#print-code", code.lower().replace("-", ""))
    clerk.click("#check-code")
    _verdict(desk, verdict="VALID")
    assert clerk.is_visible("#printed-until")
    assert "核验打印件或文件" in str(clerk.text_content("#code-check-title"))
    _fits(desk, "/verify with a verdict")
    desk.shoot("verify-code-zh-1280")

    # The PDF and the downloaded JSON, uploaded.
    _clear(desk)
    clerk.set_input_files("#print-file", str(pdf))
    _verdict(desk, verdict="VALID")
    headers = site.world.citizen_headers(citizen)
    document = site.world.client.get(f"/v1/certificates/{certificate_id}/document", headers=headers).json()
    downloaded = tmp_path / "certificate.json"
    downloaded.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    _clear(desk)
    clerk.set_input_files("#print-file", str(downloaded))
    _verdict(desk, verdict="VALID")

    # On a narrow phone, in English, from the QR code's link: checked at once.
    clerk.set_viewport_size(NARROW)
    clerk.goto(f"{site.url}/verify?lang=en&code={code}")
    _verdict(desk, verdict="VALID")
    assert str(clerk.text_content("#code-check-title")).strip() == "Check a printout or a file"
    _fits(desk, "/verify in English")
    desk.shoot("verify-code-en-360")

    # A wrong code is refused with its code.
    clerk.fill("#print-code", "ABCD-EFGH-JKMN-PQRS")
    clerk.click("#check-code")
    _verdict(desk, verdict="REFUSED", code="print.code_unknown")

    # The citizen withdraws it (the page asks first); from then on it is refused.
    page.click("#print-codes li[data-state=active] button")
    page.wait_for_selector("#print-codes li[data-state=revoked]")
    clerk.goto(f"{site.url}/verify?lang=zh")
    clerk.fill("#print-code", code)
    clerk.click("#check-code")
    _verdict(desk, verdict="REFUSED", code="print.revoked")
    assert "撤回" in str(clerk.text_content("#code-result"))
