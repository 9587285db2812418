"""The pages in a real browser: a citizen shares two fields by QR code, a unit scans a screenshot of
it and sees the verdict, a revocation is refused on the next scan, an operator issues a file with
a bad row — and every page is photographed at 390×844 and checked for errors and labels."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from audit import Reconciler
from issuer import Reason, batches, certificates
from scripts.demo_data import generate
from scripts.demo_wallet import DemoCitizen
from tests.pages.conftest import CHROMIUM_ARGS, PHONE, Site, Tab, chromium_path

OFFICE_NAME = "威海市社会保险事业中心"  # as build_world registers it on chain
DISCLOSED = ["holder_id", "holder_name", "pension"]  # whose record it is always goes


def decode_qr(path: Path) -> str:
    """The text of the one QR code in an image, decoded by zxing-cpp (not by the page)."""
    found = zxingcpp.read_barcodes(Image.open(path))
    assert len(found) == 1, f"{len(found)} codes in {path.name}"
    return str(found[0].text)


def contribution_holder(site: Site) -> tuple[DemoCitizen, str]:
    """A demonstration citizen with a contribution certificate, and that certificate's id."""
    for citizen in site.world.citizens:
        headers = site.world.citizen_headers(citizen)
        for item in site.world.client.get("/v1/certificates", headers=headers).json():
            if item["type"].startswith("contribution-certificate") and item["anchored"]:
                return citizen, item["id"]
    raise AssertionError("the demonstration has no anchored contribution certificate")


def log_in(tab: Tab, site: Site, citizen: DemoCitizen) -> None:
    page = tab.page
    page.goto(f"{site.url}/wallet")
    page.fill("#login", citizen.identity_number)
    page.fill("#password", citizen.password)
    page.click("form button[type=submit]")
    page.wait_for_selector(".cards")


@dataclass
class SharedGrant:
    """A grant made in the browser: its id, its link, and a screenshot of its QR code."""

    grant_id: str
    link: str
    screenshot: Path
    citizen: DemoCitizen
    certificate_id: str


def wait_for_image(page: Any, selector: str) -> None:
    """Waits until the image `selector` names is loaded, asking afresh each time: the view may be
    drawn again meanwhile, replacing the element."""
    page.wait_for_function(
        "async (selector) => { const img = document.querySelector(selector);"
        " if (img === null || !img.complete || img.naturalWidth === 0) return false;"
        " try { await img.decode(); } catch { return false; }"  # decoded: the next frame paints it
        " return img.isConnected; }",
        arg=selector,
    )


def image_screenshot(page: Any, selector: str) -> bytes:
    """A screenshot of the loaded image `selector` names. The view may be drawn again between the
    wait and the shot, detaching the element: then the new one is waited for and shot."""
    deadline = time.monotonic() + 30
    while True:
        wait_for_image(page, selector)
        try:
            return bytes(page.locator(selector).screenshot())
        except PlaywrightError as error:
            if "not attached" not in str(error) or time.monotonic() > deadline:
                raise


def share_in_browser(tab: Tab, site: Site, name: str) -> SharedGrant:
    """The citizen logs in, ticks two fields, signs on the device, and gets the QR code."""
    citizen, certificate_id = contribution_holder(site)
    unit = site.world.units[0]
    page = tab.page
    log_in(tab, site, citizen)
    page.goto(f"{site.url}/wallet#/c/{certificate_id}/share")
    page.wait_for_selector("#unit")
    page.select_option("#unit", unit.id)
    for field in DISCLOSED:
        page.check(f"#field-{field}")
    # The preview shows exactly what the unit will see: the two fields, and the rest as hidden.
    assert page.locator("#preview section[data-field=pension]").count() == 1
    assert page.locator("#preview dd[data-field=holder_name]").count() == 1
    assert page.locator("#preview section[data-field=medical]").count() == 0
    page.fill("#purpose", "办理住房贷款")
    page.fill("#uses", "5")
    tab.shoot(f"{name}-share")
    page.click("form button[type=submit]")
    page.fill("#passphrase", citizen.password)  # the demonstration's backup opens with it
    page.click("dialog button[value=ok]")
    page.wait_for_selector("#grant-qr")
    wait_for_image(page, "#grant-qr")
    grant_id = page.url.rsplit("/", 1)[-1]
    shot = tab.shoot(f"{name}-qr")
    return SharedGrant(grant_id, page.input_value("#grant-link"), shot, citizen, certificate_id)


def unit_scans(tab: Tab, site: Site, screenshot: Path) -> Any:
    """The unit signs in with its API key and uploads the screenshot of the QR code."""
    page = tab.page
    page.goto(f"{site.url}/verify")
    page.fill("#api-key", site.world.units[0].api_key)
    page.click("form button[type=submit]")
    page.wait_for_selector("#photo")
    page.set_input_files("#photo", str(screenshot))
    page.wait_for_selector("[data-verdict]")
    return page


def test_a_citizen_shares_two_fields_and_the_qr_code_decodes_to_the_link(tabs: Any, site: Site) -> None:
    phone = tabs()
    shared = share_in_browser(phone, site, "wallet")
    grant = site.world.client.get(
        f"/v1/grants/{shared.grant_id}", headers=site.world.citizen_headers(shared.citizen)
    ).json()
    assert grant["fields"] == DISCLOSED
    assert grant["state"] == "active"
    assert shared.link.startswith(f"{site.url}/r/{grant['reference']}#")
    qr_only = image_screenshot(phone.page, "#grant-qr")
    path = shared.screenshot.with_name("wallet-qr-code.png")
    path.write_bytes(qr_only)
    assert decode_qr(path) == shared.link
    assert decode_qr(shared.screenshot) == shared.link  # the whole phone screen scans too

    # The print view carries the same grant's QR code, under the certificate.
    phone.page.goto(f"{site.url}/wallet#/c/{shared.certificate_id}/print?grant={shared.grant_id}")
    # The share view's QR code stays on screen until the print view replaces it: wait for the
    # print view itself (its grant chooser) before looking for an image.
    phone.page.wait_for_selector("#print-grant")
    phone.page.wait_for_load_state("networkidle")
    printed = path.with_name("wallet-print-qr-code.png")
    printed.write_bytes(image_screenshot(phone.page, ".qr img"))
    assert decode_qr(printed) == shared.link
    phone.shoot("wallet-print-with-qr")


def test_the_unit_uploads_a_screenshot_and_sees_valid_with_the_two_fields(tabs: Any, site: Site) -> None:
    shared = share_in_browser(tabs(), site, "scan")
    scanner = tabs()
    page = unit_scans(scanner, site, shared.screenshot)
    scanner.shoot("verify-valid")
    assert page.get_attribute("[data-verdict]", "data-verdict") == "VALID"
    assert page.inner_text("#office") == OFFICE_NAME
    assert page.inner_text("#verdict-reason").startswith("全部核验通过")
    page.click("#verdict-checks summary")  # the checks are folded away beneath the document
    assert page.inner_text("li[data-check=status] .plain") == "没有被撤销或暂停。"
    shown = set(
        page.eval_on_selector_all("#disclosed section[data-field]", "s => s.map(e => e.dataset.field)")
    )
    shown |= set(
        page.eval_on_selector_all("#disclosed section[data-field=''] dd", "d => d.map(e => e.dataset.field)")
    )
    assert shown - {""} == set(DISCLOSED)
    statuses = page.eval_on_selector_all(
        "ol.checks li", "l => l.map(e => [e.dataset.check, e.dataset.status])"
    )
    assert [name for name, _ in statuses] == [
        "format",
        "fields",
        "inclusion",
        "anchor",
        "issuer",
        "status",
        "validity",
        "consent",
        "recipient",
        "term",
        "uses",
    ]
    assert {status for _, status in statuses} == {"passed"}
    # Undisclosed values never reach the unit's page.
    holder = shared.citizen
    assert holder.identity_number not in page.content()


def test_after_the_citizen_revokes_the_same_scan_is_refused(tabs: Any, site: Site) -> None:
    phone = tabs()
    shared = share_in_browser(phone, site, "revoke")
    phone.page.click("text=撤回授权")
    phone.page.wait_for_selector("text=已撤回")
    phone.shoot("wallet-revoked")
    scanner = tabs()
    page = unit_scans(scanner, site, shared.screenshot)
    assert page.get_attribute("[data-verdict]", "data-verdict") == "REFUSED"
    assert page.get_attribute("[data-verdict]", "data-code") == "grant.revoked"
    assert page.inner_text("#refusal") == "持证人已撤回这项授权。"
    scanner.shoot("verify-refused")


def test_the_issuer_uploads_a_file_with_a_bad_row(tabs: Any, site: Site, tmp_path: Path) -> None:
    documents = list(generate("pension-qualification", 6, seed=random.randrange(10**6), prefix="YLPAGE"))
    numbers = [document["certificate_no"] for document in documents]
    bad = documents[3]
    bad["holder_id"] = bad["holder_id"][:-1] + ("1" if bad["holder_id"][-1] != "1" else "2")
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")

    console = tabs()
    page = console.page
    operator = next(member for member in site.world.population.staff if member.role == "operator")
    page.goto(f"{site.url}/console")
    page.fill("#username", operator.username)
    page.fill("#password", operator.password)
    page.click("form button[type=submit]")
    page.wait_for_selector("#records")
    page.select_option("#type", "pension-qualification/v1")
    page.set_input_files("#records", str(records))
    page.click("#issue")
    page.wait_for_selector("#issue-done", timeout=90_000)
    console.shoot("console-issued")

    rejected = page.eval_on_selector_all(
        "#rejections tbody tr", "r => r.map(e => [...e.cells].map(c => c.innerText))"
    )
    assert len(rejected) == 1
    line, number, reason = rejected[0]
    assert (line, number) == ("4", bad["certificate_no"])
    assert reason.startswith("公民身份号码 "), reason  # the column's label, in Chinese
    assert bad["holder_id"] not in reason, "the identity number is masked"
    assert "5" in page.inner_text("#issued-summary")
    assert page.get_attribute("#anchoring", "data-done") == "true"
    good = [n for n in numbers if n != bad["certificate_no"]]
    with site.world.context.engine.connect() as connection:
        anchored = (
            connection.execute(
                sa.select(certificates.c.certificate_no)
                .join(batches, batches.c.id == certificates.c.batch_id)
                .where(certificates.c.certificate_no.in_(numbers), batches.c.state == "anchored")
            )
            .scalars()
            .all()
        )
    assert sorted(anchored) == sorted(good)

    # A number that does not exist is an answer, not an error.
    page.fill("#number", "NOPE-404")
    page.click("form[role=search] button")
    page.wait_for_selector("#not-found")

    # The operator finds one and suspends it with a reason; the chain says so.
    page.fill("#number", good[0])
    page.click("form[role=search] button")
    page.wait_for_selector("#action-suspend")
    page.click("#action-suspend")
    page.select_option("#reason", "under-review")
    page.click("#status-confirm")
    page.wait_for_selector("#found td[data-status=suspended]")
    console.shoot("console-suspended")
    stored = site.world.context.certificates.by_number(good[0])
    assert stored.status == "suspended"
    verdict = site.world.context.verifier.verify(stored.certificate.to_json())
    assert verdict.check("status").status.value == "failed"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_renders_cleanly_at_phone_size(tabs: Any, site: Site, language: str) -> None:
    citizen, certificate_id = contribution_holder(site)
    tab = tabs()
    page = tab.page
    page.goto(f"{site.url}/?lang={language}")
    assert page.get_attribute("html", "lang") == ("zh-CN" if language == "zh" else "en")
    tab.shoot(f"{language}-home")
    log_in(tab, site, citizen)
    tab.shoot(f"{language}-wallet-certificates")
    for route, ready, name in [
        (f"#/c/{certificate_id}", "article.doc .record-cards", "wallet-certificate"),
        ("#/grants", "h1", "wallet-grants"),
        ("#/history", "h1", "wallet-history"),
        (f"#/c/{certificate_id}/print", "#print-grant", "wallet-print"),
    ]:
        page.goto(f"{site.url}/wallet{route}")
        page.wait_for_selector(ready)
        tab.shoot(f"{language}-{name}")
    # The contribution certificate's totals come first, with amounts in yuan.
    page.goto(f"{site.url}/wallet#/c/{certificate_id}")
    page.wait_for_selector(".figures-list")
    assert "¥" in page.inner_text(".figures-list")
    for path, ready, name in [
        ("/verify", "#api-key", "verify-sign-in"),
        ("/console", "#username", "console-sign-in"),
        ("/audit", "#username", "audit-sign-in"),
    ]:
        page.goto(f"{site.url}{path}")
        page.wait_for_selector(ready)
        tab.shoot(f"{language}-{name}")


def test_the_pages_fit_a_360_pixel_screen(tabs: Any, site: Site) -> None:
    citizen, certificate_id = contribution_holder(site)
    tab = tabs(width=360, height=740)
    page = tab.page
    log_in(tab, site, citizen)
    for url in [
        f"{site.url}/",
        f"{site.url}/wallet#/c/{certificate_id}",
        f"{site.url}/verify",
        f"{site.url}/console",
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} is {overflow}px wider than the screen"


def test_the_keyboard_alone_logs_in(tabs: Any, site: Site) -> None:
    citizen = site.world.citizens[0]
    page = tabs().page
    page.goto(f"{site.url}/wallet")
    page.wait_for_selector("#login")
    # The view puts focus on its heading, so the next Tab reaches the first field.
    assert page.evaluate("document.activeElement.tagName") == "H1"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "login"
    page.keyboard.type(citizen.identity_number)
    page.keyboard.press("Tab")
    page.keyboard.type(citizen.password)
    page.keyboard.press("Enter")
    page.wait_for_selector(".cards")


def test_the_citizen_revokes_from_the_list_of_grants(tabs: Any, site: Site) -> None:
    phone = tabs()
    shared = share_in_browser(phone, site, "list")
    page = phone.page
    page.goto(f"{site.url}/wallet#/grants")
    card = page.locator(f"[data-grant='{shared.grant_id}']")
    card.wait_for()
    assert card.get_attribute("data-state") == "active"
    assert "剩余 5/5 次" in card.inner_text()
    phone.shoot("wallet-grants-active")
    card.locator("button.danger").click()
    page.wait_for_selector(f"[data-grant='{shared.grant_id}'][data-state=revoked]")
    grant = site.world.client.get(
        f"/v1/grants/{shared.grant_id}", headers=site.world.citizen_headers(shared.citizen)
    ).json()
    assert grant["state"] == "revoked"


def test_the_auditor_sees_charts_batches_log_roots_and_the_last_reconciliation(tabs: Any, site: Site) -> None:
    world = site.world
    holder, _ = contribution_holder(site)
    other = next(citizen for citizen in world.citizens if citizen is not holder)
    headers = world.citizen_headers(other)
    created = world.grant(other, headers, world.terms(world.certificate_ids(headers)[0], world.units[0]))
    redeemed = world.client.post(
        "/v1/redemptions", json={"link": created["link"]}, headers=world.unit_headers(world.units[0])
    )
    assert redeemed.status_code == 200, redeemed.text
    revoked = world.context.statuses().change([other.certificates[-1]], "revoke", Reason.ISSUED_IN_ERROR)
    assert revoked.changed == [other.certificates[-1]]
    world.context.log_anchorer.step()
    # The page is green only for a result that covers every batch on chain: the worker first
    # anchors what the earlier tests issued.
    deadline = time.monotonic() + 60
    while True:
        with world.context.engine.connect() as connection:
            waiting = connection.execute(sa.select(sa.func.count()).select_from(sa.table("anchor_outbox")))
            sending = connection.execute(
                sa.select(sa.func.count()).select_from(batches).where(batches.c.state == "sending")
            )
            if waiting.scalar_one() == 0 and sending.scalar_one() == 0:
                break
        assert time.monotonic() < deadline, "the anchoring worker did not catch up"
        time.sleep(0.1)
    Reconciler(world.context.engine, world.context.chain_index).run()
    with world.context.engine.connect() as connection:
        anchored = connection.execute(
            sa.select(sa.func.sum(batches.c.count)).where(batches.c.state == "anchored")
        ).scalar_one()

    tab = tabs()
    page = tab.page
    auditor = next(member for member in world.population.staff if member.role == "auditor")
    page.goto(f"{site.url}/audit")
    page.fill("#username", auditor.username)
    page.fill("#password", auditor.password)
    page.click("form button[type=submit]")
    # The charts draw themselves when their resize observer first reports a width, after the
    # page is in place: wait for each one's bars rather than count them at once.
    for chart in ("#chart-issuance rect", "#chart-status rect[data-series='撤销']", "#chart-access rect"):
        page.wait_for_selector(chart)
    page.wait_for_selector("#batches tbody tr")
    tab.shoot("audit")
    assert page.inner_text("#figure-certificates").replace(",", "") == str(anchored)
    assert int(page.inner_text("#figure-revoked")) >= 1
    assert page.locator("#chart-issuance rect").count() >= 1
    assert page.locator("#chart-status rect[data-series='撤销']").count() >= 1
    assert page.locator("#chart-access rect").count() >= 1
    assert page.locator("#batches tbody tr").count() >= 1
    assert page.locator("#log-anchors tbody tr").count() >= 1
    assert "ok" in (page.get_attribute("#log-check", "class") or "")
    assert "数据库与链上一致" in page.inner_text("#reconciliation"), page.inner_text("#reconciliation")
    page.click("text=按出具机构")
    # The click replaces the chart with an empty one that draws itself on the next frame.
    page.wait_for_selector("#chart-issuance rect")
    assert set(page.eval_on_selector_all("#chart-issuance rect", "r => r.map(e => e.dataset.series)")) == {
        OFFICE_NAME
    }


def y4m_of(image: Image.Image, path: Path, *, size: tuple[int, int] = (640, 480)) -> Path:
    """A one-frame Y4M video of `image` centred on white, for chromium's fake camera."""
    frame = Image.new("L", size, 255)
    picture = image.convert("L")
    picture.thumbnail((size[1] - 40, size[1] - 40))
    frame.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    chroma = bytes([128]) * (size[0] // 2 * size[1] // 2)
    path.write_bytes(
        f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode()
        + b"FRAME\n"
        + frame.tobytes()
        + chroma
        + chroma
    )
    return path


def test_the_unit_scans_with_the_camera(tabs: Any, browser: Any, site: Site, tmp_path: Path) -> None:
    """Chromium's fake camera plays a video of the phone's screen; the page finds the code in it."""
    shared = share_in_browser(tabs(), site, "camera")
    video = y4m_of(Image.open(shared.screenshot), tmp_path / "qr.y4m")
    executable = chromium_path()
    assert executable is not None
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with_camera = browser.browser_type.launch(
        executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, *camera]
    )
    try:
        context = with_camera.new_context(viewport=PHONE, locale="zh-CN")
        context.grant_permissions(["camera"], origin=site.url)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{site.url}/verify")
        page.fill("#api-key", site.world.units[0].api_key)
        page.click("form button[type=submit]")
        page.click("#camera-button")
        page.wait_for_selector("[data-verdict]", timeout=30_000)
        assert page.get_attribute("[data-verdict]", "data-verdict") == "VALID"
        assert page.input_value("#link") == shared.link
        assert page.is_hidden("#camera"), "the camera stops once a code is read"
        assert errors == []
    finally:
        with_camera.close()
