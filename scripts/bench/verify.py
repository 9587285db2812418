"""Verification figures for the reference document of design.md §5.

Verifications run in this process against the benchmark's own deployment, on a local chain of
its own or on the node ``CERTLEDGER_RPC_URL`` names (see `scripts.bench._node`). "Cached" reads
the chain's head at most once a second and keeps what it read until the head moves — the way a
verification service runs; "uncached status" asks the node for the head and the certificate's
status on every verification; "batched" verifies a thousand at a time with one status read for
all of them. On a remote node the uncached figure is mostly the network's round trips.
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ledger import CertificateStatus
from scripts.bench._node import ANCHOR_GAS, DEPLOY_GAS, bench_node, bench_settings, ensure_funded
from scripts.bench._report import Figures
from scripts.bench.issue import REFERENCE
from scripts.demo_data import generate, write_jsonl

if TYPE_CHECKING:
    from issuer import IssuerContext


class _UncachedStatus:
    """Wraps a chain view so that every status is read from the node."""

    def __init__(self, chain: Any) -> None:
        self._chain = chain

    def status(self, root: bytes, index: int) -> CertificateStatus:
        return cast(CertificateStatus, self._chain.client.status_of(root, index))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)


BATCH_SIZE = 1000


def measure_verify(*, certificates: int = 2000, rounds: int = 20_000) -> Figures:
    """Issues `certificates` reference documents on a fresh deployment, then verifies them."""
    from issuer import IssuerContext, IssuerSettings  # noqa: PLC0415

    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="certledger-bench-") as folder:
        data = Path(folder)
        source = data / "reference.jsonl"
        write_jsonl(source, generate(REFERENCE, certificates, seed=11))
        context = IssuerContext(bench_settings(IssuerSettings, data, batch_size=BATCH_SIZE))
        anchors = -(-certificates // BATCH_SIZE)
        try:
            with bench_node(context.chain) as node:
                figures.node = node
                ensure_funded(context.chain, {"governor": DEPLOY_GAS, "issuer": anchors * ANCHOR_GAS})
                documents = _issue(context, source)
                _measure(context, documents, rounds=rounds, figures=figures)
        finally:
            context.engine.dispose()
    return figures


def _issue(context: IssuerContext, source: Path) -> list[dict[str, Any]]:
    """The certificates of `source`, issued and anchored."""
    from issuer import documents_from_file  # noqa: PLC0415
    from ledger import bootstrap_devnet  # noqa: PLC0415

    bootstrap_devnet(context.chain)
    certificate_type = context.catalog.find(REFERENCE)
    report = context.issuance().issue(documents_from_file(source, certificate_type), certificate_type)
    context.worker().drain()
    store = context.store()
    return [store.by_number(str(number)).certificate.to_json() for number in _numbers(source, report.issued)]


def _measure(
    context: IssuerContext, documents: list[dict[str, Any]], *, rounds: int, figures: Figures
) -> None:
    from verifier import ChainView, Verifier  # noqa: PLC0415

    deployment = context.chain.deployment()
    w3 = context.chain.w3
    cached = Verifier(ChainView(w3, ledger=deployment.ledger, chain_id=deployment.chain_id, head_ttl=1.0))
    rate = _rate(cached.verify, documents, rounds, warm=cached.verify_many)
    figures.add("verify_per_second_cached", round(rate), "verifications/s", target=">= 10000")
    batched = Verifier(ChainView(w3, ledger=deployment.ledger, chain_id=deployment.chain_id, head_ttl=0.0))
    figures.add(
        "verify_per_second_batched_status",
        round(_batched_rate(batched, documents, rounds)),
        "verifications/s",
    )
    fresh = Verifier(ChainView(w3, ledger=deployment.ledger, chain_id=deployment.chain_id, head_ttl=0.0))
    fresh.chain = _UncachedStatus(fresh.chain)  # type: ignore[assignment]
    figures.add(
        "verify_per_second_uncached_status",
        round(_rate(fresh.verify, documents, min(rounds, 2000))),
        "verifications/s",
    )


def _numbers(source: Path, count: int) -> list[str]:
    import json  # noqa: PLC0415

    with source.open(encoding="utf-8") as handle:
        return [json.loads(line)["certificate_no"] for _, line in zip(range(count), handle, strict=False)]


def _rate(verify: Any, documents: list[dict[str, Any]], rounds: int, *, warm: Any = None) -> float:
    if warm is not None:
        warm(documents)  # every status and batch read once, in batched calls
    for document in documents[:50]:  # and the schema validators built
        if str(verify(document).verdict) != "VALID":
            raise RuntimeError("a reference certificate did not verify")
    gc.collect()
    start = time.perf_counter()
    for index in range(rounds):
        verify(documents[index % len(documents)])
    return rounds / (time.perf_counter() - start)


def _batched_rate(verifier: Any, documents: list[dict[str, Any]], rounds: int) -> float:
    verifier.verify_many(documents[:50])
    start = time.perf_counter()
    done = 0
    while done < rounds:
        results = verifier.verify_many(documents[:1000])
        done += len(results)
    return done / (time.perf_counter() - start)
