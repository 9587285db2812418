"""Nothing scrolls sideways on a 360-pixel phone: every page, signed out and signed in, in both
languages — one tab, re-navigated, the findings gathered so that one run names every page that
overflows."""

from __future__ import annotations

from typing import Any

from tests.pages.conftest import Site

NARROW = {"width": 360, "height": 740}


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _widest(page: Any) -> str:
    """The element that sticks out furthest to the right, for the failure message."""
    return str(
        page.evaluate(
            """() => {
              let worst = null, right = document.documentElement.clientWidth;
              for (const node of document.querySelectorAll('body *')) {
                const box = node.getBoundingClientRect();
                if (box.width && box.right > right + 0.5) { right = box.right; worst = node; }
              }
              return worst ? `${worst.tagName.toLowerCase()}#${worst.id}.${[...worst.classList].join('.')} to ${Math.round(right)}px` : '';
            }"""
        )
    )


def _sign_in_staff(page: Any, site: Site, role: str, path: str, ready: str) -> None:
    member = next(m for m in site.world.population.staff if m.role == role)
    page.goto(f"{site.url}{path}")
    page.fill("#username", member.username)
    page.fill("#password", member.password)
    page.click("form button[type=submit]")
    page.wait_for_selector(ready)


def test_no_page_scrolls_sideways_at_360_pixels(tabs: Any, site: Site) -> None:
    world = site.world
    citizen = world.citizens[0]
    certificate_id = world.certificate_ids(world.citizen_headers(citizen))[0]
    page = tabs(**NARROW).page
    wide: list[str] = []

    def look(path: str, ready: str, language: str) -> None:
        base, _, route = path.partition("#")
        page.goto(f"{site.url}{base}?lang={language}" + (f"#{route}" if route else ""))
        page.wait_for_selector(ready)
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        if _overflow(page) > 0:
            wide.append(f"{path} ({language}): {_overflow(page)}px wider, {_widest(page)}")

    # Signed out.
    for language in ("zh", "en"):
        look("/", "main a", language)
        look("/wallet", "#login", language)
        look("/wallet#/enrol", "main form", language)
        look("/verify", "#api-key", language)
        look("/console", "#username", language)
        look("/audit", "#username", language)

    # Signed in: the citizen, the unit, the operator, the auditor (their sessions outlive a reload).
    page.goto(f"{site.url}/wallet")
    page.fill("#login", citizen.identity_number)
    page.fill("#password", citizen.password)
    page.click("form button[type=submit]")
    page.wait_for_selector(".cards")
    page.goto(f"{site.url}/verify")
    page.fill("#api-key", world.units[0].api_key)
    page.click("form button[type=submit]")
    page.wait_for_selector("#history-title")
    _sign_in_staff(page, site, "operator", "/console", "#view h1")
    _sign_in_staff(page, site, "auditor", "/audit", "svg.chart")
    for language in ("zh", "en"):
        look("/wallet#/", ".cards", language)
        look(f"/wallet#/c/{certificate_id}", "article.doc", language)
        look("/wallet#/grants", "h1", language)
        look("/wallet#/history", "h1", language)
        look("/verify", "#history-title", language)
        look("/console", "#view h1", language)
        look("/audit", "svg.chart", language)

    assert wide == [], "pages scroll sideways at 360 px:\n" + "\n".join(wide)
