"""The pages end to end: the real application on a free loopback port, the real chain, and Debian's
chromium driven by Playwright (headless; it never downloads a browser).

Every page a test opens is checked for console errors and uncaught exceptions when the test ends,
and its screenshots at 390×844 go to ``test-artifacts/screenshots/`` (or ``$CERTLEDGER_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from web3 import Web3

from ledger import ManagedChain, system_clock
from tests.conftest import free_port
from tests.wallet_api.conftest import WalletWorld, build_world
from wallet_api import create_app

PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = (
    Path(os.environ.get("CERTLEDGER_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")) / "screenshots"
)


def chromium_path() -> str | None:
    """Debian's chromium, or another Chromium named by ``CERTLEDGER_CHROMIUM``."""
    named = os.environ.get("CERTLEDGER_CHROMIUM")
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Site:
    """The wallet service on a loopback port, with its population."""

    url: str
    world: WalletWorld


@pytest.fixture(scope="module")
def site(w3: Web3, chain: ManagedChain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The full service (API, pages, anchoring worker, log anchorer) served by uvicorn."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    world = _world(w3, chain, tmp_path_factory, url)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(world.context, background=True),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, name="pages-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield Site(url, world)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        world.context.engine.dispose()


def _world(w3: Web3, chain: ManagedChain, factory: pytest.TempPathFactory, url: str) -> WalletWorld:
    folder = factory.mktemp("site")
    return build_world(
        w3,
        chain.rpc_url,
        f"sqlite:///{folder / 'wallet.db'}",
        folder,
        clock=system_clock,  # the browser is a real phone: it signs grants by its own clock
        public_url=url,
        head_ttl=0.5,
        log_anchor_interval=1.0,
        reconcile_interval=0,  # the audit test reconciles when it wants a result
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium for a module. Not for the session: Playwright's synchronous API keeps an
    event loop running in the main thread while it is open, which other tests' asyncio.run refuses."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("the page tests need Debian's chromium (`make test` installs it with apt)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 — only when there is a browser

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Tab:
    """A page with what it logged; fails the test on console errors and uncaught exceptions."""

    page: Any
    problems: list[str] = field(default_factory=list)

    def shoot(self, name: str) -> Path:
        """A screenshot of the whole page, saved as a test artifact, after an accessibility check."""
        check_accessible(self.page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tabs(browser: Any) -> Iterator[Any]:
    """Opens phone-sized tabs (one browser context each: separate storage, like two phones)."""
    opened: list[tuple[Any, Tab]] = []

    def open_tab(*, width: int = PHONE["width"], height: int = PHONE["height"]) -> Tab:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(30_000)
        tab = Tab(page)
        page.on(
            "console",
            lambda message: (
                tab.problems.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: tab.problems.append(f"uncaught: {error}"))
        page.on("dialog", lambda dialog: dialog.accept())
        opened.append((context, tab))
        return tab

    yield open_tab
    problems = [problem for _, tab in opened for problem in tab.problems]
    for context, _ in opened:
        context.close()
    assert problems == [], "the pages logged errors"


def check_accessible(page: Any) -> None:
    """Every form control has a name a screen reader can say, and every image a text alternative."""
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button, img')]
            .filter((node) => node.offsetParent !== null || node.type === 'file')
            .filter((node) => {
              if (node.tagName === 'IMG') return !node.hasAttribute('alt');
              if (node.getAttribute('aria-label') || node.getAttribute('aria-labelledby')) return false;
              if (node.tagName === 'BUTTON') return !node.textContent.trim();
              return !(node.id && document.querySelector(`label[for="${node.id}"]`)) && !node.closest('label');
            })
            .map((node) => node.outerHTML.slice(0, 120))"""
    )
    assert unnamed == [], f"controls without a label: {unnamed}"
