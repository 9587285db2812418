"""The auditor's page in a real browser, on a desktop and on a 360-pixel phone: a reconciliation
that no longer covers the chain is amber with its reason, never green; "reconcile now" runs one and
the differences read in Chinese with what they mean; the chart axes have round ticks and labels
inside the chart; the batch table pages over every batch with full, copyable hashes and each
batch's certificates; nothing scrolls sideways; and with the chain stopped the page says so."""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from audit import KINDS, Reconciler
from issuer import Reason
from ledger import ManagedChain, connect, system_clock
from tests.conftest import free_port
from tests.pages.conftest import Site, Tab
from tests.wallet_api.conftest import build_world
from wallet_api import create_app

BY_HAND = 21  # batches anchored behind the database's back: more than one page of the table
DESKTOP = {"width": 1280, "height": 900}
PHONE_360 = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def drifted(site: Site) -> Site:
    """The site with a revocation, reconciled once, then 21 batches anchored on chain by hand: the
    last result no longer covers the chain."""
    context = site.world.context
    number = site.world.citizens[-1].certificates[-1]
    assert context.statuses().change([number], "revoke", Reason.ISSUED_IN_ERROR).changed == [number]
    Reconciler(context.engine, context.chain_index, reader=context.reader, clock=context.clock).run()
    ledger = context.chain.ledger("issuer")
    for _ in range(BY_HAND):
        ledger.anchor(os.urandom(32), count=2, type_id=2)
    return site


def sign_in(tab: Tab, site: Site) -> Any:
    page = tab.page
    auditor = next(member for member in site.world.population.staff if member.role == "auditor")
    page.goto(f"{site.url}/audit")
    page.fill("#username", auditor.username)
    page.fill("#password", auditor.password)
    page.click("form button[type=submit]")
    page.wait_for_selector("#chart-issuance text.tick-y")
    page.wait_for_selector("#batches tbody tr")
    return page


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def is_round(step: float) -> bool:
    """1, 2 or 5 times a power of ten."""
    exponent = math.floor(math.log10(step))
    return round(step / 10**exponent, 9) in {1.0, 2.0, 5.0}


def check_charts(page: Any) -> None:
    # Each chart draws itself when its resize observer first reports a width.
    page.wait_for_selector("#chart-status text.tick-y")
    charts = page.eval_on_selector_all("svg.chart", "charts => charts.map(chart => chart.id)")
    assert {"chart-issuance", "chart-status"} <= set(charts)
    for chart in charts:
        ticks = page.eval_on_selector_all(
            f"#{chart} text.tick-y", "ts => ts.map(t => Number(t.dataset.value))"
        )
        assert ticks[0] == 0 and len(ticks) >= 2, (chart, ticks)
        steps = {b - a for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1 and is_round(steps.pop()), (chart, ticks)
        days = page.eval_on_selector_all(f"#{chart} text.tick-x", "ts => ts.map(t => t.textContent)")
        assert days and all(len(day) == 5 and day[2] == "/" for day in days), (chart, days)
        outside = page.evaluate(
            """(id) => { const svg = document.getElementById(id); const box = svg.getBoundingClientRect();
                return [...svg.querySelectorAll('text')].filter((label) => { const r = label.getBoundingClientRect();
                  return r.width === 0 || r.left < box.left - 0.5 || r.right > box.right + 0.5
                    || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5; }).map((label) => label.textContent); }""",
            chart,
        )
        assert outside == [], (chart, outside)


@pytest.mark.parametrize("size", [DESKTOP, PHONE_360], ids=["desktop", "360px"])
def test_a_result_short_of_the_chain_is_amber_and_the_page_reads_on_any_screen(
    tabs: Any, drifted: Site, size: dict[str, int]
) -> None:
    tab = tabs(**size)
    page = sign_in(tab, drifted)
    verdict = page.locator("#reconciliation-verdict")
    assert verdict.get_attribute("data-stale") == "true"
    assert "warn" in (verdict.get_attribute("class") or "")
    assert "数据库与链上一致" not in page.inner_text("#reconciliation")
    assert page.locator("#reconciliation-verdict [data-reason=batches_not_covered]").count() == 1
    assert f"链上现有 {drifted_total(page)} 个批次" in verdict.inner_text()
    assert page.inner_text("#reconciliation-started") != "—"
    check_charts(page)
    no_sideways_scroll(page)

    # Every batch, 20 a page, newest first, with the full root and transaction.
    assert page.locator("#batches tbody tr").count() == 20
    first = page.locator("#batches tbody tr").first
    hashes = first.locator(".hash-text").all_inner_texts()
    assert [len(value) for value in hashes] == [66, 66]
    assert page.inner_text("#batches-range").startswith("第 1–20 个")
    page.click("#batches-older")
    page.wait_for_function("() => document.querySelector('#batches-range').textContent.startsWith('第 21–')")
    assert page.is_enabled("#batches-newer")
    no_sideways_scroll(page)
    # The oldest batches are the database's own: their certificates, by number, leaf and status.
    page.locator("#batches tbody tr").last.locator("button[data-batch]").click()
    page.wait_for_selector("#certificates tbody tr")
    rows = page.locator("#certificates tbody tr")
    assert rows.count() >= 1
    assert rows.first.get_attribute("data-leaf") == "0"
    assert "有效" in rows.first.inner_text()
    for citizen in drifted.world.citizens:
        assert citizen.name not in page.inner_text("#batch-certificates")
    no_sideways_scroll(page)
    tab.shoot(f"audit-batch-certificates-{size['width']}")
    page.click("#batch-certificates button[value=close]")
    tab.shoot(f"audit-stale-{size['width']}")


def drifted_total(page: Any) -> int:
    """The chain's batch count as the batch table's heading states it."""
    heading = page.inner_text("#batches-title")
    return int(heading.split("共 ")[1].split(" ")[0].replace(",", ""))


def test_reconcile_now_runs_and_the_differences_read_in_chinese(tabs: Any, drifted: Site) -> None:
    tab = tabs(**DESKTOP)
    page = sign_in(tab, drifted)
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=drifted.url)
    root = page.locator("#batches tbody tr").first.locator("button.copy").first
    root.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == root.get_attribute("data-copy") and len(copied) == 66

    page.click("#reconcile-now")
    page.wait_for_function(
        "() => document.querySelector('#reconcile-state').textContent.includes('对账已完成')", timeout=60_000
    )
    verdict = page.locator("#reconciliation-verdict")
    assert verdict.get_attribute("data-verdict") == "differences"
    assert verdict.get_attribute("data-stale") == "false"
    assert page.locator("#reconciliation-stale").count() == 0
    text = page.inner_text("#reconciliation")
    assert not [kind for kind in KINDS if kind in text], "raw kinds shown"
    explained = page.inner_text("[data-explain=batch_not_in_database]")
    assert "链上" in explained and explained.endswith("。")
    assert page.locator("#differences tbody tr[data-kind=batch_not_in_database]").count() == BY_HAND
    assert "链上有、数据库中没有的批次" in page.inner_text("#differences")
    no_sideways_scroll(page)
    tab.shoot("audit-reconciled")


# ------------------------------------------------------------------ the chain stopped


@pytest.fixture
def own_site(own_chain: ManagedChain, tmp_path: Path) -> Iterator[Site]:
    """The full service on a node of the test's own, which the test may stop."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    world = build_world(
        connect(own_chain.rpc_url),
        own_chain.rpc_url,
        f"sqlite:///{tmp_path / 'wallet.db'}",
        tmp_path,
        clock=system_clock,
        public_url=url,
        head_ttl=0.5,
        reconcile_interval=0,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(world.context, background=False), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, name="audit-down-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    try:
        yield Site(url, world)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        world.context.engine.dispose()


def test_with_the_chain_stopped_the_page_says_so_rather_than_spinning(
    tabs: Any, own_site: Site, own_chain: ManagedChain
) -> None:
    tab = tabs(**PHONE_360)
    page = sign_in(tab, own_site)
    assert page.get_attribute("#chain-state", "data-state") == "reachable"
    page.wait_for_selector("#batches tbody tr", timeout=30_000)  # the index holds the batches
    own_chain.down()
    page.reload()
    # Bounded by the page's own limit on each call (5 s) and the server's wait for the chain.
    page.wait_for_selector("#chain-state[data-state=unreachable]", timeout=15_000)
    assert "链上节点无法连接" in page.inner_text("#chain-state")
    assert "warn" in (page.get_attribute("#log-check", "class") or "")
    page.wait_for_selector("#batches tbody tr", timeout=15_000)  # from the index, as it stands
    no_sideways_scroll(page)
    tab.shoot("audit-chain-down")
