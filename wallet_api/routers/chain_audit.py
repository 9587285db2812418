"""The auditor's view of the chain: issuance, status changes, the issuer registry, the log's anchors
— read from the chain index, brought up to the chain's head on each call — and the reconciliations:
the last one judged against now, one run on request, a batch's certificates beside the chain's.

A call waits at most `CHAIN_WAIT` seconds for the chain: when the chain is away (or slow), the
answer comes from the index as it stands, and says so in its ``chain`` part, rather than making the
auditor's page wait for the node's timeout."""

from __future__ import annotations

import re
import threading
from datetime import date
from typing import Annotated, Literal
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Path, Query
from pydantic import BeforeValidator

from audit import (
    AuditQueryError,
    BatchCertificatesOut,
    ChainAudit,
    ChainReachOut,
    Reconciler,
    ReconcileRunner,
    ReconcileRunningError,
    ReconcileRunOut,
    ReconciliationOut,
    ReconciliationStandingOut,
    TrustOut,
    batch_certificates,
    latest_reconciliation,
    recent_reconciliations,
    reconciliation_standing,
)
from wallet_api._context import WalletContext
from wallet_api._errors import ConflictError, InvalidRequestError, NotFoundError
from wallet_api._http import problem_responses
from wallet_api.audit_schemas import (
    ChainAnchorsOut,
    ChainBatchesOut,
    IssuanceOut,
    IssuanceTotal,
    StatusOut,
)
from wallet_api.deps import Auditor, PageSize, Services, ServicesDep

CHAIN_WAIT = 3.0
"""Seconds an auditor's call waits for the chain before it answers from the index as it stands:
with the page's own 5-second limit on each call, a chain that is away is said within 5 seconds."""

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


def _audit(services: Services) -> tuple[ChainAudit, ChainReachOut]:
    """The chain audit, its index brought up to the chain's head first (waiting `CHAIN_WAIT`
    seconds at most), and whether the chain was reached."""
    audit = services.context.chain_audit
    return audit, audit.refresh(within=CHAIN_WAIT)


_runners: WeakKeyDictionary[WalletContext, ReconcileRunner] = WeakKeyDictionary()
_runners_lock = threading.Lock()


def _runner(services: Services) -> ReconcileRunner:
    """The application's runner of reconciliations on request (one per context, built on first use)."""
    context = services.context
    with _runners_lock:
        runner = _runners.get(context)
        if runner is None:
            # The factory holds the context's parts, not the context: the entry goes with it.
            engine, reader, clock = context.engine, context.reader, context.clock
            index = context.chain_audit.index
            runner = ReconcileRunner(
                lambda: Reconciler(engine, index, reader=reader, clock=clock), engine, clock=clock
            )
            _runners[context] = runner
    return runner


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
    audit, chain = _audit(services)
    try:
        rows = audit.issuance(start=start, end=end, by=by)
    except AuditQueryError as error:
        raise _bad_query(error) from None
    return IssuanceOut(
        indexed_to=chain.indexed_to,
        chain=chain,
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
    order: Literal["asc", "desc"] = Query(default="asc", description="oldest first, or newest first"),
) -> ChainBatchesOut:
    """A page of the batches, oldest first (or newest first), and how many the period holds."""
    del auditor
    audit, chain = _audit(services)
    try:
        rows = audit.batches(
            start=start, end=end, office_id=office, limit=limit, offset=offset, newest_first=order == "desc"
        )
        total = audit.batch_count(start=start, end=end, office_id=office)
    except AuditQueryError as error:
        raise _bad_query(error) from None
    return ChainBatchesOut(
        indexed_to=chain.indexed_to,
        chain=chain,
        total=total,
        offset=offset,
        order=order,
        batches=rows,
    )


@router.get(
    "/chain/batches/{batch_id}/certificates",
    summary="A batch's certificates: number, leaf, status in the database and on chain",
    responses=problem_responses(404),
)
def batch_certificate_statuses(
    auditor: Auditor,
    services: ServicesDep,
    *,
    batch_id: int = Path(ge=0, le=2**63 - 1, description="the batch's id on chain"),
    limit: PageSize = 50,
    offset: int = Offset,
) -> BatchCertificatesOut:
    """In leaf order; nothing personal (no name, no identity number, no content)."""
    del auditor
    audit, _ = _audit(services)
    found = batch_certificates(services.context.reader, audit, batch_id, limit=limit, offset=offset)
    if found is None:
        raise NotFoundError(f"the chain index has no batch {batch_id}", code="audit.no_batch")
    return found


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
    audit, chain = _audit(services)
    try:
        changes = audit.status_changes(start=start, end=end, limit=limit, offset=offset)
        summary = audit.status_summary(start=start, end=end)
    except AuditQueryError as error:
        raise _bad_query(error) from None
    return StatusOut(indexed_to=chain.indexed_to, chain=chain, changes=changes, summary=summary)


@router.get("/chain/trust", summary="The issuer registry as of a block")
def trust(
    auditor: Auditor,
    services: ServicesDep,
    block: int | None = Query(default=None, ge=0, le=2**53, description="the block; the head by default"),
) -> TrustOut:
    """Offices, keys, validity windows, suspensions and log operators, and the history up to it."""
    del auditor
    audit, _ = _audit(services)
    try:
        return audit.trust(block=block)
    except AuditQueryError as error:
        raise _bad_query(error) from None


@router.get("/chain/log-anchors", summary="The access log's checkpoints on chain")
def log_anchors(auditor: Auditor, services: ServicesDep) -> ChainAnchorsOut:
    """Every anchored size and root, oldest first; the proofs are at ``/v1/audit/log``."""
    del auditor
    audit, chain = _audit(services)
    return ChainAnchorsOut(indexed_to=chain.indexed_to, chain=chain, anchors=audit.log_anchors())


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


@router.get("/reconciliations/standing", summary="The last reconciliation judged against now")
def standing(auditor: Auditor, services: ServicesDep) -> ReconciliationStandingOut:
    """When it ran and what it covered, and whether it is stale: older than the periodic
    reconciliation's interval, or covering fewer batches than the chain has now, or the chain
    cannot be reached to tell. ``latest`` is null before the first."""
    del auditor
    context = services.context
    return reconciliation_standing(
        context.reader, context.chain_audit, interval=context.settings.reconcile_interval, within=CHAIN_WAIT
    )


@router.post(
    "/reconciliations/run",
    status_code=202,
    summary="Reconcile now",
    responses=problem_responses(409),
)
def run_reconciliation(auditor: Auditor, services: ServicesDep) -> ReconcileRunOut:
    """Starts a reconciliation (nothing is repaired) and answers at once; poll
    ``GET /v1/audit/reconciliations/run``. One at a time across every process: while one runs,
    ``409 audit.reconcile_running``."""
    del auditor
    try:
        return _runner(services).start()
    except ReconcileRunningError as error:
        raise ConflictError(
            f"{error}: wait for it to finish, then look at its result", code="audit.reconcile_running"
        ) from None


@router.get("/reconciliations/run", summary="Where the requested reconciliation stands")
def reconciliation_run(auditor: Auditor, services: ServicesDep) -> ReconcileRunOut:
    """This process's run (its step, or how it ended), else whether another process runs one."""
    del auditor
    return _runner(services).status()
