"""The staff audit trail, for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from wallet_api._http import problem_responses
from wallet_api._staff_trail import StaffActionKind, StaffTrail
from wallet_api.deps import Auditor, PageSize, ServicesDep
from wallet_api.schemas import HEX_ID, StaffActionOut, StaffActionPage

router = APIRouter(
    prefix="/v1/audit/staff-actions", tags=["audit"], responses=problem_responses(401, 403, 404)
)
Before = Annotated[str | None, Query(pattern=HEX_ID, description="actions older than this one")]
Kind = Annotated[StaffActionKind | None, Query(description="only this kind of action")]
Username = Annotated[str | None, Query(min_length=1, max_length=64, description="only this member of staff")]


@router.get("", summary="What the bureau's staff did, newest first")
def staff_actions(
    auditor: Auditor,
    services: ServicesDep,
    *,
    limit: PageSize = 50,
    before: Before = None,
    action: Kind = None,
    username: Username = None,
) -> StaffActionPage:
    """Enrolment codes and resets issued, units registered, re-keyed and disabled, certificates'
    status changed and files issued."""
    del auditor
    entries = StaffTrail(services.context).page(limit=limit, before=before, action=action, username=username)
    return StaffActionPage(
        actions=[StaffActionOut.model_validate(entry, from_attributes=True) for entry in entries],
        next=entries[-1].id if len(entries) == limit else None,
    )
