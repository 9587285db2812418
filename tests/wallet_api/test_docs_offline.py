"""The API reference at /docs works offline: Swagger UI comes from the pinned swagger-ui-dist in
node_modules, started by a script of this origin, under a CSP without inline scripts; and in
real Chromium, with every request outside the service refused, it draws the operations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from ledger import NODE_MODULES
from tests.pages.conftest import browser  # noqa: F401 — the module-scoped headless chromium
from tests.wallet_api.conftest import WalletWorld, module_world


@pytest.fixture(scope="module", params=["sqlite"])
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """One populated service for the module."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.styled = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(str(values[name]))
        if tag == "script":
            self._in_script = "src" not in values
        if "style" in values or tag == "style":
            self.styled += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def test_the_pinned_package_is_in_the_lockfile(project_root: Path) -> None:
    declared = json.loads((project_root / "package.json").read_text(encoding="utf-8"))["dependencies"]
    locked = json.loads((project_root / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", declared["swagger-ui-dist"])  # pinned exactly
    assert locked["node_modules/swagger-ui-dist"]["version"] == declared["swagger-ui-dist"]
    installed = json.loads((NODE_MODULES / "swagger-ui-dist" / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == declared["swagger-ui-dist"]


def test_docs_reference_only_local_assets_and_each_is_served(world: WalletWorld) -> None:
    page = world.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp and "http" not in csp
    references = _References()
    references.feed(page.text)
    assert references.inline_scripts == 0 and references.styled == 0
    assert sorted(references.urls) == [
        "/docs/assets/favicon-32x32.png",
        "/docs/assets/init.js",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
    ]
    kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in references.urls:
        asset = world.client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(kinds[Path(url).suffix]), url
        assert len(asset.content) > 100, url
    bundle = world.client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle and "cdn.jsdelivr" not in page.text
    assert '"/openapi.json"' in world.client.get("/docs/assets/init.js").text


def test_only_the_listed_assets_are_served(world: WalletWorld) -> None:
    for name in ("package.json", "..%2F..%2Fpackage.json", "index.html", "swagger-initializer.js"):
        assert world.client.get(f"/docs/assets/{name}").status_code == 404, name
    assert world.client.get("/docs/oauth2-redirect").status_code == 404  # FastAPI's inline page is off


def test_swagger_ui_draws_the_operations_offline(world: WalletWorld, browser: Any) -> None:  # noqa: F811
    """Chromium sees only the service (through the test client); anything else is refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    def serve(route: Any) -> None:
        url = route.request.url
        if not url.startswith("http://certledger.test/"):
            outside.append(url)
            route.abort()
            return
        answer = world.client.request(route.request.method, url.removeprefix("http://certledger.test"))
        route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.content)

    page.route("**/*", serve)
    try:
        page.goto("http://certledger.test/docs")
        page.wait_for_selector(".opblock-tag", timeout=30_000)
        tags = page.eval_on_selector_all(".opblock-tag", "nodes => nodes.map(n => n.textContent)")
        assert any("auth" in tag for tag in tags), tags
        page.click(".opblock-tag[data-tag='auth']")  # a section opens on its operations
        page.wait_for_selector(".opblock-summary-path[data-path='/v1/auth/login']")
        assert "certledger wallet API" in str(page.text_content(".info .title"))
    finally:
        context.close()
    assert outside == []
    assert problems == []
