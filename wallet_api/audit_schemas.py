"""Response bodies of the auditor's chain routes (`routers/chain_audit.py`): the envelopes around
audit's own rows (`audit.ChainBatchOut`, …). camelCase JSON names, like every other response."""

from __future__ import annotations

from typing import Literal

from audit import ChainAnchorOut, ChainBatchOut, IssuanceRowOut, StatusChangeOut, StatusCountOut
from wallet_api.schemas import Out


class IssuanceTotal(Out):
    """Everything anchored in the period."""

    batches: int
    certificates: int


class IssuanceOut(Out):
    """Issuance over a period, grouped."""

    indexed_to: int
    by: Literal["office", "type", "day", "month"]
    rows: list[IssuanceRowOut]
    total: IssuanceTotal


class ChainBatchesOut(Out):
    """Batches anchored in a period, oldest first."""

    indexed_to: int
    batches: list[ChainBatchOut]


class StatusOut(Out):
    """Status changes in a period, and their counts per action and reason."""

    indexed_to: int
    changes: list[StatusChangeOut]
    summary: list[StatusCountOut]


class ChainAnchorsOut(Out):
    """The access logs' checkpoints on chain, oldest first."""

    indexed_to: int
    anchors: list[ChainAnchorOut]
