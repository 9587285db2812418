"""The checks a grant adds to a presentation's verification: consent, recipient and term.

1. consent — the grant is for this deployment and this certificate, discloses exactly the fields
   the presentation shows, and was signed by the wallet key the certificate names as its holder;
2. recipient — the grant is addressed to the unit redeeming it;
3. term — the grant has not expired.

Whether a grant was revoked or used up is the wallet service's record, not the grant's: the
service refuses those before verifying, and adds its own check saying how many uses are left.

A unit that redeemed a grant link (`verify_redemption`) checks what the wallet handed it
against its own ledger, as any document, and takes from the wallet only what the wallet alone
knows: which unit its key belongs to, and the uses left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ledger import BEIJING, DocumentFormatError, GrantDomain, GrantFormatError, Presentation, SignedGrant
from verifier._results import Check, CheckStatus, Verification, verdict_of
from verifier._sources import Redeemed, shown_text
from verifier._verify import Verifier, read_document

GRANT_CHECKS = ("consent", "recipient", "term")
GRANT_CHECK_TITLES = {
    "consent": "Signed by the holder",
    "recipient": "Addressed to this unit",
    "term": "Within the grant's term",
    "uses": "Not revoked, uses left",
}
_STATUSES = frozenset(str(status) for status in CheckStatus)


def grant_checks(
    presentation: Presentation,
    signed: SignedGrant,
    *,
    domain: GrantDomain,
    unit: str,
    now: int,
) -> list[Check]:
    """The three grant checks for `presentation` redeemed by `unit` at Unix time `now`."""
    grant = signed.grant
    return [
        _consent(presentation, signed, domain),
        _recipient(grant.unit, unit),
        _term(grant.expires, now),
    ]


def with_checks(verification: Verification, checks: list[Check]) -> Verification:
    """`verification` with `checks` appended and the verdict recomputed over all of them."""
    every = (*verification.checks, *checks)
    return replace(verification, checks=every, verdict=verdict_of(every))


def verify_redemption(verifier: Verifier, redeemed: Redeemed) -> Verification:
    """The verdict on what a wallet handed a unit for a grant link, reached as for any document.

    The presentation is verified against `verifier`'s own ledger, and the grant's consent and
    term are checked here: the wallet's verdict is not trusted for them. Which unit the wallet's
    key belongs to and how many uses are left are the wallet's records, so its recipient and
    uses checks are taken as it reported them — unknown when it did not.
    """
    try:
        document, _kind = read_document(redeemed.presentation, catalog=verifier.catalog)
    except DocumentFormatError:
        return verifier.verify(redeemed.presentation)  # its format check fails, saying why
    verification = verifier.verify(document)
    recipient = _reported(redeemed.verification, "recipient")
    uses = _reported(redeemed.verification, "uses")
    if not isinstance(document, Presentation):
        refused = "the wallet handed over a whole certificate, not a presentation of the granted fields"
        return with_checks(verification, [Check("consent", CheckStatus.FAILED, refused), recipient, uses])
    try:
        signed = SignedGrant.from_json(redeemed.signed_grant)
    except GrantFormatError as error:
        unreadable = f"the wallet's signed grant cannot be read: {error}"
        return with_checks(verification, [Check("consent", CheckStatus.FAILED, unreadable), recipient, uses])
    domain = GrantDomain(verifier.chain.chain_id, verifier.chain.ledger)
    now = int(verifier.clock().timestamp())
    return with_checks(
        verification,
        [_consent(document, signed, domain), recipient, _term(signed.grant.expires, now), uses],
    )


def _reported(verification: Mapping[str, Any], name: str) -> Check:
    """The wallet's own check `name`, as it reported it; unknown when it did not."""
    checks = verification.get("checks")
    for item in checks if isinstance(checks, list) else []:
        if isinstance(item, Mapping) and item.get("name") == name:
            status, reason, details = (
                item.get("status"),
                shown_text(item.get("reason")),
                item.get("details", {}),
            )
            if isinstance(status, str) and status in _STATUSES and reason and isinstance(details, Mapping):
                return Check(name, CheckStatus(status), reason, details)
            break
    return Check(name, CheckStatus.UNKNOWN, f"the wallet did not report its {name} check")


def _consent(presentation: Presentation, signed: SignedGrant, domain: GrantDomain) -> Check:
    grant = signed.grant
    details = {
        "grant": "0x" + grant.grant_id.hex(),
        "holder": presentation.header.holder,
        "fields": list(grant.fields),
        "disclosed": sorted(presentation.claims),
    }
    problem = _terms_problem(presentation, signed, domain)
    if problem is not None:
        return Check("consent", CheckStatus.FAILED, problem, details)
    try:
        signer = signed.signer()
    except GrantFormatError as error:
        return Check("consent", CheckStatus.FAILED, f"the signature is unusable: {error}", details)
    details["signer"] = signer
    if signer != presentation.header.holder:
        reason = f"signed by {signer}, not by the certificate's holder {presentation.header.holder}"
        return Check("consent", CheckStatus.FAILED, reason, details)
    return Check("consent", CheckStatus.PASSED, f"signed by the holder's key {signer}", details)


def _terms_problem(presentation: Presentation, signed: SignedGrant, domain: GrantDomain) -> str | None:
    """Why the grant cannot be consent to this presentation, before looking at the signature."""
    grant = signed.grant
    if signed.domain != domain:
        return (
            f"the grant is for ledger {signed.domain.ledger} on chain {signed.domain.chain_id}, "
            f"not this verifier's ledger {domain.ledger} on chain {domain.chain_id}"
        )
    if grant.certificate != presentation.root:
        return "the grant is for another certificate"
    if grant.fields != tuple(sorted(presentation.claims)):
        return "the presentation discloses other fields than the grant consents to"
    if presentation.header.holder is None:
        return "the certificate is bound to no wallet key, so no grant can be checked against it"
    return None


def _recipient(addressed: str, unit: str) -> Check:
    details = {"addressedTo": addressed, "redeemedBy": unit}
    if addressed != unit:
        return Check("recipient", CheckStatus.FAILED, f"addressed to unit {addressed}, not {unit}", details)
    return Check("recipient", CheckStatus.PASSED, f"addressed to unit {unit}", details)


def _term(expires: int, now: int) -> Check:
    # In China Standard Time, the time every reader of a verdict lives in, with its offset.
    until = datetime.fromtimestamp(expires, BEIJING).isoformat(timespec="seconds")
    details = {"expires": until}
    if now >= expires:
        return Check("term", CheckStatus.FAILED, f"expired at {until}", details)
    return Check("term", CheckStatus.PASSED, f"valid until {until}", details)
