"""The console's search card in a real browser: an operator finds certificates by the lower-case
start of a number and by an identity number, sees the holders masked, opens one, and the status
dialogs offer only the reasons that fit — on a phone and on a 360-pixel screen."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from ledger import mask
from scripts.demo_wallet import DemoCitizen
from tests.pages.conftest import Site, Tab
from wallet_api._certificate_desk import mask_name

MASKED_IDENTITY = re.compile(r"^[0-9]{3}\*{13}[0-9X]{2}$")


def _log_in(tab: Tab, site: Site) -> None:
    page = tab.page
    operator = next(member for member in site.world.population.staff if member.role == "operator")
    page.goto(f"{site.url}/console")
    page.fill("#username", operator.username)
    page.fill("#password", operator.password)
    page.click("form button[type=submit]")
    page.wait_for_selector("form[role=search]")


def _search(tab: Tab, query: str) -> list[dict[str, str]]:
    """Types `query` into the one box and returns the cards found: number, holder, identity."""
    page = tab.page
    page.fill("#number", query)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_function(
        "(q) => document.querySelector('#number').value === q"
        " && (document.querySelector('#hits') || document.querySelector('#not-found'))"
        " && !document.querySelector('form[role=search] button[aria-busy]')",
        arg=query,
    )
    cards: list[dict[str, str]] = page.eval_on_selector_all(
        "#hits button[data-number]",
        """cards => cards.map(card => ({
            number: card.dataset.number,
            name: card.querySelector('.holder-name')?.textContent ?? '',
            identity: card.querySelector('.identity')?.textContent ?? '',
        }))""",
    )
    return cards


def _anchored(site: Site, citizen: DemoCitizen) -> DemoCitizen:
    """`citizen`, once the service's anchoring worker has anchored all their certificates."""
    headers = site.world.staff_headers("operator")
    deadline = time.monotonic() + 90
    for number in citizen.certificates:
        while not site.world.client.get(f"/v1/office/certificates/{number}", headers=headers).json()[0][
            "anchored"
        ]:
            assert time.monotonic() < deadline, f"{number} was not anchored"
            time.sleep(0.2)
    return citizen


def _holder(site: Site) -> DemoCitizen:
    return _anchored(site, next(citizen for citizen in site.world.citizens if len(citizen.certificates) > 1))


def _fits_the_screen(tab: Tab) -> None:
    page = tab.page
    wide, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, f"the console is {wide}px wide on a {inner}px screen"


def _reasons_offered(tab: Tab, action: str) -> tuple[list[str], str]:
    """Opens the `action` dialog and returns the reasons it offers and its text, then cancels."""
    page = tab.page
    page.click(f"#action-{action}")
    page.wait_for_selector(f"dialog#status-dialog[data-action={action}][open]")
    values = page.eval_on_selector_all(
        "#status-dialog #reason option", "o => o.map(e => e.value).filter(Boolean)"
    )
    text = page.inner_text("#status-dialog")
    return values, text


def _cancel(tab: Tab) -> None:
    page = tab.page
    page.click("#status-dialog button[value=cancel]")
    page.wait_for_selector("#status-dialog", state="detached")


@pytest.mark.parametrize("width", [390, 360])
def test_an_operator_finds_by_number_prefix_and_identity_and_sees_holders_masked(
    tabs: Any, site: Site, width: int
) -> None:
    tab = tabs(width=width, height=800)
    page = tab.page
    _log_in(tab, site)
    holder = _holder(site)
    everyone = {mask(citizen.identity_number) for citizen in site.world.citizens}

    # The start of a number, typed in lower case.
    prefix = holder.certificates[0][:5].lower()
    cards = _search(tab, prefix)
    numbers = [card["number"] for card in cards]
    assert numbers and all(number.startswith(prefix.upper()) for number in numbers)
    assert set(holder.certificates) & set(numbers)
    assert all(MASKED_IDENTITY.match(card["identity"]) for card in cards), cards
    assert {card["identity"] for card in cards} <= everyone
    assert page.get_attribute("#found-count", "data-matched-by") == "number"
    body = page.inner_text("body")
    for citizen in site.world.citizens:
        assert citizen.identity_number not in body and citizen.name not in body
    _fits_the_screen(tab)
    tab.shoot(f"console-search-prefix-{width}")

    # An identity number: that person's certificates, and nobody else's.
    cards = _search(tab, holder.identity_number.lower())
    assert sorted(card["number"] for card in cards) == sorted(holder.certificates)
    assert {card["identity"] for card in cards} == {mask(holder.identity_number)}
    assert {card["name"] for card in cards} == {mask_name(holder.name)}
    assert page.get_attribute("#found-count", "data-matched-by") == "identity"
    assert holder.identity_number not in page.inner_text("#results")
    _fits_the_screen(tab)

    # Choosing one shows its revisions and the actions its status allows.
    page.click(f"#hits button[data-number='{holder.certificates[0]}']")
    page.wait_for_selector(f"#revisions[data-number='{holder.certificates[0]}'] #action-revoke")
    _fits_the_screen(tab)
    tab.shoot(f"console-search-identity-{width}")

    revoke, text = _reasons_offered(tab, "revoke")
    assert "review-cleared" not in revoke and "复核通过" not in text
    assert "under-review" not in revoke
    assert {"issued-in-error", "fraud", "court-order", "other"} <= set(revoke)
    _fits_the_screen(tab)
    tab.shoot(f"console-revoke-dialog-{width}")
    _cancel(tab)

    suspend, text = _reasons_offered(tab, "suspend")
    assert set(suspend) == {"under-review", "disputed", "court-order", "other"}
    assert "欺诈" not in text
    _cancel(tab)
    assert page.get_attribute("#revisions td[data-status]", "data-status") == "valid"  # cancelled: unchanged


def test_a_suspension_through_the_dialog_reaches_the_chain(tabs: Any, site: Site) -> None:
    tab = tabs()
    page = tab.page
    _log_in(tab, site)
    holder = _anchored(site, site.world.citizens[-1])
    number = holder.certificates[-1]
    cards = _search(tab, number.lower())
    assert [card["number"] for card in cards] == [number]  # one: opened at once
    page.wait_for_selector(f"#revisions[data-number='{number}'] #action-suspend")
    page.click("#action-suspend")
    page.wait_for_selector("dialog#status-dialog[open]")
    page.select_option("#reason", "disputed")
    page.click("#status-confirm")
    page.wait_for_selector("#revisions td[data-status=suspended]")
    page.wait_for_selector(f"#hits button[data-number='{number}'][data-status=suspended]")
    assert page.locator("#action-reinstate").count() == 1 and page.locator("#action-suspend").count() == 0
    reinstate, _ = _reasons_offered(tab, "reinstate")
    assert set(reinstate) == {"review-cleared", "court-order", "other"}
    _cancel(tab)
    tab.shoot("console-suspended-by-dialog")
    assert site.world.context.certificates.by_number(number).status == "suspended"
