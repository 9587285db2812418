"""The auditor's view of the chain: issuance, status changes, the issuer registry, the log's anchors
— read from the chain index, brought up to the chain's head on each call — and the result of the
last reconciliation."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from audit import (
    AuditQueryError,
    ChainAudit,
    ReconciliationOut,
    TrustOut,
    latest_reconciliation,
    recent_reconciliations,
)
from wallet_api._errors import InvalidRequestError, NotFoundError
from wallet_api._http import problem_responses
from wallet_api.audit_schemas import (
    ChainAnchorsOut,
    ChainBatchesOut,
    IssuanceOut,
    IssuanceTotal,
    StatusOut,
)
from wallet_api.deps import Auditor, PageSize, Services, ServicesDep

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=problem_responses(401, 403, 422, 503))


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written_as_a_day(value: object) -> object:
    # Pydantic would read "0.0" or "1700000000" as a day (seconds since 1970): only YYYY-MM-DD is one.
    if not isinstance(value, str | date) or (isinstance(value, str) and not _DAY.fullmatch(value)):
        raise ValueError("a day written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_written_as_a_day)]
From = Query(default=None, alias="from", description="first day of the period (China time)")
To = Query(default=None, alias="to", description="last day of the period, included")
Offset = Query(default=0, ge=0, le=2**31, description="rows to skip")


def _audit(services: Services) -> ChainAudit:
    """The chain audit, its index brought up to the chain's head first."""
    audit = services.context.chain_audit
    audit.index.sync()
    return audit


def _bad_query(error: AuditQueryError) -> InvalidRequestError:
    return InvalidRequestError(str(error), code="audit.bad_query")


@router.get("/chain/issuance", summary="Batches and certificates anchored over a period, grouped")
def issuance(
    auditor: Auditor,
    services: ServicesDep,
    start: Day | None = From,
    end: Day | None = To,
    by: Literal["office", "type", "day", "month"] = Query(default="office", description="grouping"),
) -> IssuanceOut:
    """From the chain alone: the anchoring events, grouped per office, type, day or month."""
    del auditor
    audit = _audit(services)
    try:
        rows = audit.issuance(start=start, end=end, by=by)
    except AuditQueryError as error:
        raise _bad_query(error) from None
    return IssuanceOut(
        indexed_to=audit.index.indexed_to(),
        by=by,
        rows=rows,
        total=IssuanceTotal(
            batches=sum(row.batches for row in rows), certificates=sum(row.certificates for row in rows)
        ),
    )


@router.get("/chain/batches", summary="Batches anchored over a period")
def chain_batches(
    auditor: Auditor,
    services: ServicesDep,
    *,
    start: Day | None = From,
    end: Day | None = To,
    office: int | None = Query(default=None, ge=1, le=2**32 - 1, description="only this office"),
    limit: PageSize = 50,
    offset: int = Offset,
) -> ChainBatchesOut:
    """Oldest first."""
    del auditor
    audit = _audit(services)
    try:
        rows = audit.batches(start=start, end=end, office_id=office, limit=limit, offset=offset)
    except AuditQueryError as error:
        raise _bad_query(error) from None
    return ChainBatchesOut(indexed_to=audit.index.indexed_to(), batches=rows)


@router.get("/chain/status", summary="Revocations and suspensions over a period, with reasons")
def status_changes(
    auditor: Auditor,
    services: ServicesDep,
    *,
    start: Day | None = From,
    end: Day | None = To,
    limit: PageSize = 50,
    offset: int = Offset,
) -> StatusOut:
    """The changes oldest first (a page of them), and every change of the period counted per
    action and reason code."""
    del auditor
    audit = _audit(services)
    try:
        changes = audit.status_changes(start=start, end=end, limit=limit, offset=offset)
        summary = audit.status_summary(start=start, end=end)
    except AuditQueryError as error:
        raise _bad_query(error) from None
    return StatusOut(indexed_to=audit.index.indexed_to(), changes=changes, summary=summary)


@router.get("/chain/trust", summary="The issuer registry as of a block")
def trust(
    auditor: Auditor,
    services: ServicesDep,
    block: int | None = Query(default=None, ge=0, le=2**53, description="the block; the head by default"),
) -> TrustOut:
    """Offices, keys, validity windows, suspensions and log operators, and the history up to it."""
    del auditor
    audit = _audit(services)
    try:
        return audit.trust(block=block)
    except AuditQueryError as error:
        raise _bad_query(error) from None


@router.get("/chain/log-anchors", summary="The access log's checkpoints on chain")
def log_anchors(auditor: Auditor, services: ServicesDep) -> ChainAnchorsOut:
    """Every anchored size and root, oldest first; the proofs are at ``/v1/audit/log``."""
    del auditor
    audit = _audit(services)
    return ChainAnchorsOut(indexed_to=audit.index.indexed_to(), anchors=audit.log_anchors())


@router.get("/reconciliations", summary="The latest reconciliations, newest first")
def reconciliations(auditor: Auditor, services: ServicesDep, limit: PageSize = 1) -> list[ReconciliationOut]:
    """An empty list until ``certledger audit reconcile`` has run."""
    del auditor
    return recent_reconciliations(services.context.reader, limit)


@router.get(
    "/reconciliations/latest",
    summary="The result of the last reconciliation",
    responses=problem_responses(404),
)
def latest(auditor: Auditor, services: ServicesDep) -> ReconciliationOut:
    """What ``certledger audit reconcile`` found last: counts per kind and the first differences."""
    del auditor
    found = latest_reconciliation(services.context.reader)
    if found is None:
        raise NotFoundError("no reconciliation has run yet", code="audit.no_reconciliation")
    return found
