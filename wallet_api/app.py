"""The FastAPI application: routers, error handling, and the workers that run beside it."""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from verifier import ChainReadError
from wallet_api._context import WalletContext
from wallet_api._http import RequestContext, install_error_handlers, problem_media_type, problem_responses
from wallet_api._reconcile import Reconciler, latest_reconciliation
from wallet_api.deps import Services
from wallet_api.pages import install_pages
from wallet_api.routers import audit, auth, certificates, citizens, grants, office, public, redemptions, units

log = logging.getLogger("certledger.api")


def _keep_head_fresh(context: WalletContext, stop: threading.Event) -> None:
    """Re-reads the chain's head in the background, so that requests find it fresh and none waits
    for the node; when the node is gone, the head ages and requests read (and fail) themselves."""
    chain = context.verifier.chain
    interval = max(chain.head_ttl / 2, 0.05)
    while not stop.wait(interval):
        # On failure verifications find the head stale, ask the node themselves, and fail closed.
        with contextlib.suppress(ChainReadError):
            chain.refresh()


def _age(stamp: str, now: datetime) -> float:
    """Seconds from an ISO 8601 time to `now`."""
    return (now - datetime.fromisoformat(stamp)).total_seconds()


def _reconcile_periodically(context: WalletContext, stop: threading.Event) -> None:
    """Compares the database with the chain soon after start and then every interval, storing
    each result for the auditor's view (nothing is repaired: that is `audit reconcile --repair`)."""
    interval = context.settings.reconcile_interval
    wait = min(30.0, interval)
    while not stop.wait(wait):
        wait = interval
        try:
            last = latest_reconciliation(context.reader)
            if last is not None and _age(last["finishedAt"], context.clock()) < 0.9 * interval:
                continue  # another API process has just done it
            report = Reconciler(
                context.engine, context.chain_index, reader=context.reader, clock=context.clock
            ).run()
        except Exception:  # the chain or a database away: the next round tries again
            log.warning("the periodic reconciliation failed", exc_info=True)
            continue
        found = {"differences": len(report.differences), "certificates": report.certificates_checked}
        log.info("reconciled with the chain", extra={"fields": found})


def create_app(context: WalletContext | None = None, *, background: bool = True) -> FastAPI:
    """The wallet service on `context`; with `background`, the anchoring worker and the access
    log's anchorer run in threads for the application's lifetime."""
    context = context or WalletContext()
    services = Services.build(context)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = []
        if background:
            worker = context.worker()
            threads = [
                threading.Thread(
                    target=worker.run,
                    args=(stop,),
                    kwargs={"poll": context.settings.worker_poll},
                    name="anchoring-worker",
                    daemon=True,
                ),
                threading.Thread(
                    target=context.log_anchorer.run,
                    args=(stop,),
                    kwargs={"interval": context.settings.log_anchor_interval},
                    name="log-anchorer",
                    daemon=True,
                ),
            ]
            if context.settings.reconcile_interval > 0:
                threads.append(
                    threading.Thread(
                        target=_reconcile_periodically,
                        args=(context, stop),
                        name="reconciler",
                        daemon=True,
                    )
                )
            threads.append(
                threading.Thread(
                    target=_keep_head_fresh,
                    args=(context, stop),
                    name="head-refresher",
                    daemon=True,
                )
            )
            for thread in threads:
                thread.start()
        # What start-up built lives as long as the process: keep the collector from walking it
        # again and again (its full collections were the slowest requests' pauses).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            context.writer.close()

    app = FastAPI(
        title="certledger wallet API",
        version="1.0.0",
        summary="Citizens' certificate safe, signed grants, QR sharing, unit redemption and the access log.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    everywhere = problem_responses(400, 413, 422, 500)
    # Redemptions first: the busiest route is matched without trying the others.
    for module in (redemptions, auth, citizens, certificates, units, grants, office, audit, public):
        app.include_router(module.router, responses=everywhere)
    app.include_router(audit.chain_router, responses=everywhere)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_media_type(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    install_pages(app)

    app.add_middleware(
        RequestContext,
        max_body=context.settings.max_body_bytes,
        max_upload=context.settings.max_upload_bytes,
    )
    return app


def app_from_environment() -> FastAPI:
    """The application on the settings of the environment: what each of several API processes
    runs (`certledger serve --workers N`)."""
    from wallet_api.cli import configure_logging  # noqa: PLC0415 — the CLI imports this module

    configure_logging()
    return create_app(WalletContext(), background=True)
