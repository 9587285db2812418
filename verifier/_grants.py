"""The checks a grant adds to a presentation's verification: consent, recipient and term.

1. consent — the grant is for this deployment and this certificate, discloses exactly the fields
   the presentation shows, and was signed by the wallet key the certificate names as its holder;
2. recipient — the grant is addressed to the unit redeeming it;
3. term — the grant has not expired.

Whether a grant was revoked or used up is the wallet service's record, not the grant's: the
service refuses those before verifying, and adds its own check saying how many uses are left.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from ledger import GrantDomain, GrantFormatError, Presentation, SignedGrant
from verifier._results import Check, CheckStatus, Verification, verdict_of

GRANT_CHECKS = ("consent", "recipient", "term")
GRANT_CHECK_TITLES = {
    "consent": "Signed by the holder",
    "recipient": "Addressed to this unit",
    "term": "Within the grant's term",
    "uses": "Not revoked, uses left",
}


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
    until = datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds")
    details = {"expires": until}
    if now >= expires:
        return Check("term", CheckStatus.FAILED, f"expired at {until}", details)
    return Check("term", CheckStatus.PASSED, f"valid until {until}", details)
