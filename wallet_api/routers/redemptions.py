"""Units redeem grants."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter

from wallet_api._errors import InvalidRequestError
from wallet_api._http import problem_responses
from wallet_api._principal import Principal
from wallet_api._unit_history import unit_view
from wallet_api.deps import AuthorizedUnit, Services, ServicesDep
from wallet_api.schemas import RedeemedGrant, RedeemRequest, Redemption, VerificationOut

router = APIRouter(
    prefix="/v1/redemptions", tags=["redemptions"], responses=problem_responses(401, 403, 404, 410, 429, 503)
)


def reference_and_key(body: RedeemRequest) -> tuple[str, str]:
    """The reference and key from a scanned link, or as given."""
    if body.link is not None:
        parts = urlsplit(body.link)
        reference = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if not parts.path.rstrip("/").endswith(f"/r/{reference}") or not reference or not parts.fragment:
            raise InvalidRequestError(
                "link: a grant link ends in /r/<reference>#<key>", code="grant.link_malformed"
            )
        return reference, parts.fragment
    if body.reference is None or body.key is None:
        raise InvalidRequestError(
            "give the scanned link, or the reference and the key", code="grant.link_malformed"
        )
    return body.reference, body.key


async def redeem_link(
    body: RedeemRequest, unit: Principal, services: Services, *, with_view: bool
) -> Redemption:
    """A unit's redemption of the grant `body` names, within the unit's rate limit; with
    `with_view`, the disclosed fields laid out for reading too (the verifier page's)."""
    await services.context.limiter.take_async(
        "redeem", unit.id, per_minute=services.context.settings.rate_redeem
    )
    reference, key = reference_and_key(body)
    redeemed = await services.grants.redeem(unit, reference=reference, key=key)
    verification = redeemed.verification.to_json()
    if with_view:
        verification["view"] = unit_view(verification, redeemed.presentation, services.context.catalog)
    return Redemption(
        grant=RedeemedGrant.model_validate(redeemed.grant, from_attributes=True),
        presentation=redeemed.presentation.to_json(),
        signed_grant=redeemed.signed_grant.to_json(),
        verification=VerificationOut.model_validate(verification),
    )


@router.post("", summary="Redeem a grant")
async def redeem(body: RedeemRequest, unit: AuthorizedUnit, services: ServicesDep) -> Redemption:
    """With the unit's API key: the presentation and the full verdict, spending one use."""
    return await redeem_link(body, unit, services, with_view=body.view)
