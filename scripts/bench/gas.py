"""Gas figures of the contracts, measured on a fresh deployment of their own: on a throw-away
local chain, or on the node ``CERTLEDGER_RPC_URL`` names (see `scripts.bench._node`).

Revocations are measured on a batch of 10,000 certificates: one certificate, and 100 certificates
spread evenly (every hundredth, the worst case: 39 bitmap words touched) and at random.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from ledger import (
    ACCESS_LOG_ID,
    AccessLogAnchorClient,
    BatchTree,
    CertificateLedgerClient,
    ChainContext,
    LedgerSettings,
    deploy_contracts,
)
from scripts.bench._node import (
    ANCHOR_GAS,
    DEPLOY_GAS,
    LOG_APPEND_GAS,
    REVOKE_GAS,
    bench_node,
    bench_settings,
    ensure_funded,
)
from scripts.bench._report import Figures

BATCH_SIZE = 10_000
SPREAD = 100
GAS = {
    "governor": DEPLOY_GAS,
    # four anchors, a revocation of one certificate, two of 100 certificates (1.17 M each)
    "issuer": 4 * ANCHOR_GAS + REVOKE_GAS + 2 * 1_300_000,
    "operator": 2 * LOG_APPEND_GAS,
}
"""What each role's key may pay for, in gas."""


def measure_gas() -> Figures:
    """Deploys the contracts afresh, from a temporary folder, and measures each call."""
    with tempfile.TemporaryDirectory(prefix="certledger-bench-") as folder:
        context = ChainContext(bench_settings(LedgerSettings, Path(folder)))
        with bench_node(context) as node:
            ensure_funded(context, GAS)
            figures = _measure(context)
            figures.node = node
            return figures


def _measure(context: ChainContext) -> Figures:
    figures = Figures()
    w3 = context.w3
    issuer = context.account("issuer")
    operator = context.account("operator")
    governor_sender = context.sender("governor")
    deployment = deploy_contracts(w3, governor_sender)
    for name, contract in deployment.contracts.items():
        deployed = w3.eth.get_transaction_receipt(contract.transaction_hash)  # type: ignore[arg-type]
        figures.add(f"deploy_{_snake(name)}", deployed["gasUsed"], "gas")

    ledger = CertificateLedgerClient(w3, deployment.ledger, sender=governor_sender)
    ledger.register_office(1, region_code=371000, display_name="基准测试机构", type_ids=[1])
    ledger.add_key(1, issuer.address)
    issuing = ledger.with_sender(context.sender("issuer"))

    first = issuing.anchor(os.urandom(32), count=1, type_id=1, metadata_hash=os.urandom(32))
    figures.add("anchor_first_batch", first.receipt.gas_used, "gas")
    # Three batches of 10,000, so that every revocation below starts from untouched bitmaps.
    document_roots = [os.urandom(32) for _ in range(BATCH_SIZE)]
    tree = BatchTree.build(document_roots)
    anchored = issuing.anchor(tree.root, count=BATCH_SIZE, type_id=1, metadata_hash=os.urandom(32))
    figures.add("anchor_batch", anchored.receipt.gas_used, "gas", target="<= 60000")
    even_tree, random_tree = (BatchTree.build([os.urandom(32) for _ in range(BATCH_SIZE)]) for _ in range(2))
    for other in (even_tree, random_tree):
        issuing.anchor(other.root, count=BATCH_SIZE, type_id=1)

    figures.add("revoke_1", issuing.revoke(tree.root, [1], reason=1).gas_used, "gas")
    even = [index * (BATCH_SIZE // SPREAD) for index in range(SPREAD)]
    even_revoked = issuing.revoke(even_tree.root, even, reason=1)
    figures.add("revoke_100_even_per_certificate", even_revoked.gas_used / SPREAD, "gas", target="<= 10000")
    figures.add("revoke_100_even_total", even_revoked.gas_used, "gas")
    scattered = random.Random(2026).sample(range(BATCH_SIZE), SPREAD)
    scattered_revoked = issuing.revoke(random_tree.root, scattered, reason=1)
    figures.add(
        "revoke_100_random_per_certificate", scattered_revoked.gas_used / SPREAD, "gas", target="<= 10000"
    )

    proof = tree.proof(4242)
    call = ledger.contract.functions.verifyInclusion(
        document_roots[4242], 4242, list(proof), anchored.batch_id
    )
    figures.add("inclusion_check_depth_14", call.estimate_gas({"from": issuer.address}), "gas")

    access_log = AccessLogAnchorClient(w3, deployment.access_log, sender=governor_sender)
    access_log.authorize_operator(ACCESS_LOG_ID, operator.address)
    appending = access_log.with_sender(context.sender("operator"))
    appending.append(ACCESS_LOG_ID, root=os.urandom(32), size=10)
    figures.add("log_append", appending.append(ACCESS_LOG_ID, root=os.urandom(32), size=20).gas_used, "gas")
    return figures


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
