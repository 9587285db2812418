"""The auditor's view of the access log."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query

from audit import ConsistencyOut, InclusionOut, IndexReadError, LogEntryOut, LogSummary
from wallet_api._errors import InvalidRequestError
from wallet_api._http import problem_responses
from wallet_api.deps import Auditor, PageSize, ServicesDep
from wallet_api.routers.chain_audit import CHAIN_WAIT, Day, From, To
from wallet_api.routers.chain_audit import router as chain_router  # the chain's side, for app.py
from wallet_api.schemas import LogActivityOut, LogCheckOut

__all__ = ["chain_router", "router"]

router = APIRouter(prefix="/v1/audit/log", tags=["audit"], responses=problem_responses(401, 403, 404, 503))


@router.get("", summary="The access log's size, root and anchored checkpoints")
def summary(auditor: Auditor, services: ServicesDep) -> LogSummary:
    """Checkpoints newest first."""
    del auditor
    return services.audit.summary()


@router.get("/entries", summary="Log entries")
def entries(
    auditor: Auditor,
    services: ServicesDep,
    start: int = Query(default=0, ge=0, le=2**53, description="the first sequence number"),
    limit: PageSize = 50,
) -> list[LogEntryOut]:
    """Pseudonymous entries as stored, with their leaf hashes."""
    del auditor
    return services.audit.entries(start=start, limit=limit)


@router.get("/entries/{seq}/proof", summary="Inclusion proof of an entry")
def inclusion(
    auditor: Auditor,
    services: ServicesDep,
    seq: int = Path(ge=0, le=2**53),
    size: int | None = Query(
        default=None, ge=1, le=2**53, description="log size; the latest anchored by default"
    ),
) -> InclusionOut:
    """Checked against the root the chain holds for that size."""
    del auditor
    return services.audit.inclusion(seq, size)


@router.get("/consistency", summary="Consistency proof between two sizes")
def consistency(
    auditor: Auditor,
    services: ServicesDep,
    first: int = Query(ge=1, le=2**53),
    second: int = Query(ge=1, le=2**53),
) -> ConsistencyOut:
    """Checked against the roots the chain holds for both sizes."""
    del auditor
    return services.audit.consistency(first, second)


@router.get("/activity", summary="Log events per day and kind")
def activity(
    auditor: Auditor,
    services: ServicesDep,
    start: Day | None = From,
    end: Day | None = To,
) -> LogActivityOut:
    """Grants made, redeemed, revoked and refused, counted per day: the access chart's data."""
    del auditor
    if start is not None and end is not None and end < start:
        raise InvalidRequestError("to: the period ends before it starts", code="audit.bad_query")
    return LogActivityOut(rows=services.audit.activity(start=start, end=end))


@router.get("/check", summary="Recompute the log and compare it with the chain")
def check(auditor: Auditor, services: ServicesDep) -> LogCheckOut:
    """Finds entries altered or deleted in the database. Answers 503 within seconds when the
    chain cannot be reached (it asks the chain for each anchored root)."""
    del auditor
    chain = services.context.chain_audit.refresh(within=CHAIN_WAIT)
    if not chain.reachable:
        raise IndexReadError(f"the chain cannot be reached ({chain.error}): the log cannot be checked now")
    report = services.audit.check()
    return LogCheckOut(
        size=report.size,
        checked_anchors=report.checked_anchors,
        intact=report.intact,
        problems=report.problems,
    )
