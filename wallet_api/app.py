"""The FastAPI application: routers, error handling, and the background loops that run beside it."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from audit import Reconciler
from issuer import AnchoringWorker, StepOutcome, process_holder
from wallet_api._context import WalletContext
from wallet_api._docs import install_docs
from wallet_api._http import RequestContext, install_error_handlers, problem_media_type, problem_responses
from wallet_api._jobs import JobLease, LeaderJob, PeriodicJob
from wallet_api._logging import configure_logging
from wallet_api._supervisor import LongRunning, RoundReport, Supervisor
from wallet_api.deps import Services
from wallet_api.pages import install_pages
from wallet_api.routers import (
    audit,
    auth,
    certificates,
    citizens,
    grants,
    office,
    office_certificates,
    presentation_requests,
    prints,
    public,
    redemptions,
    staff_trail,
    units,
)

log = logging.getLogger("certledger.api")


def _reconcile(context: WalletContext) -> None:
    """Compares the database with the chain and stores the result for the auditor's view
    (nothing is repaired: that is `audit reconcile --repair`)."""
    report = Reconciler(context.engine, context.chain_index, reader=context.reader, clock=context.clock).run()
    found = {"differences": len(report.differences), "certificates": report.certificates_checked}
    log.info("reconciled with the chain", extra={"fields": found})


def _anchoring(context: WalletContext) -> LongRunning:
    """The anchoring worker's own loop, each step reported to the supervisor; the worker (and its
    chain connection) is built on the first start, so a chain away at start-up is waited out."""

    built: list[AnchoringWorker] = []

    def run(stop: threading.Event, report: RoundReport) -> None:
        def on_step(outcome: StepOutcome) -> None:
            if outcome.error is None:
                report.success()
            else:
                report.failure(f"anchoring step failed: {outcome.error.splitlines()[0][:200]}")

        # One worker for the process's lifetime: started again, it is the same lease holder, so
        # it leads again at once even if it could not give its lease up when it failed.
        if not built:
            built.append(context.worker())
        built[0].run(stop, poll=context.settings.worker_poll, on_step=on_step)

    return run


def background_loops(context: WalletContext) -> Supervisor:
    """The loops an API process runs beside its requests, supervised (not yet started):

    * ``anchoring-worker``: the outbox anchored on chain (one leader per key, by its own lease);
    * ``log-anchorer``: the access log's root anchored, by one process at a time (a job lease);
    * ``reconciler``: the database compared with the chain once per interval, by one process;
    * ``head-refresher``: this process's view of the chain's head kept fresh.
    """
    settings = context.settings
    supervisor = Supervisor(clock=context.clock, backoff_cap=settings.loop_backoff_cap)
    holder = process_holder()

    # The parts that talk to the chain are built on the loops' first rounds, not here: a chain
    # away at start-up is then a failing loop, waited out, not a service that cannot start.
    def anchor_log() -> None:
        context.log_anchorer.step()

    def refresh_head() -> None:
        # On failure verifications find the head stale, ask the node themselves, and fail closed.
        context.verifier.chain.refresh()

    supervisor.long_running("anchoring-worker", _anchoring(context))
    log_anchoring = LeaderJob(
        JobLease(context.engine, "access-log-anchor", holder=holder, clock=context.clock),
        anchor_log,
        lease_seconds=max(30.0, 3 * settings.log_anchor_interval),
    )
    supervisor.every(
        "log-anchorer",
        log_anchoring.step,
        interval=settings.log_anchor_interval,
        on_stop=log_anchoring.resign,
    )
    if settings.reconcile_interval > 0:
        reconciling = PeriodicJob(
            JobLease(context.engine, "reconcile", holder=holder, clock=context.clock),
            lambda: _reconcile(context),
            interval=settings.reconcile_interval,
        )
        # Due soon after the first start; afterwards once per interval, whichever process runs it.
        poll = min(30.0, settings.reconcile_interval)
        supervisor.every("reconciler", reconciling.step, interval=poll)
    supervisor.every("head-refresher", refresh_head, interval=max(settings.head_ttl / 2, 0.05))
    return supervisor


def create_app(context: WalletContext | None = None, *, background: bool = True) -> FastAPI:
    """The wallet service on `context`; with `background`, the `background_loops` run, supervised,
    for the application's lifetime."""
    context = context or WalletContext()
    supervisor = background_loops(context) if background else None
    services = Services.build(context, supervisor=supervisor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if supervisor is not None:
            supervisor.start()
        # What start-up built lives as long as the process: keep the collector from walking it
        # again and again (its full collections were the slowest requests' pauses).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if supervisor is not None:
                supervisor.stop(timeout=30)
            context.writer.close()

    app = FastAPI(
        title="certledger wallet API",
        version="1.0.0",
        summary="Citizens' certificate safe, signed grants, QR sharing, unit redemption and the access log.",
        lifespan=lifespan,
        docs_url=None,  # served by `install_docs` from the pinned swagger-ui-dist, not a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    everywhere = problem_responses(400, 413, 422, 500)
    # Redemptions first: the busiest route is matched without trying the others.
    for module in (
        redemptions,
        auth,
        citizens,
        certificates,
        units,
        grants,
        prints,
        office,
        office_certificates,
        audit,
        staff_trail,
        public,
    ):
        app.include_router(module.router, responses=everywhere)
    app.include_router(audit.chain_router, responses=everywhere)
    app.include_router(presentation_requests.router, responses=everywhere)  # the scan stand (扫码墩)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_media_type(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    install_pages(app)
    install_docs(app)

    app.add_middleware(
        RequestContext,
        max_body=context.settings.max_body_bytes,
        max_upload=context.settings.max_upload_bytes,
        max_piece=context.settings.max_piece_bytes,
    )
    return app


def app_from_environment() -> FastAPI:
    """The application on the settings of the environment: what each of several API processes
    runs (`certledger serve --processes N`)."""
    configure_logging()
    return create_app(WalletContext(), background=True)
