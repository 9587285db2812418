"""Response bodies of the auditor's chain routes (`routers/chain_audit.py`): the envelopes around
audit's own rows (`audit.ChainBatchOut`, …). camelCase JSON names, like every other response."""

from __future__ import annotations

from typing import Literal

from audit import (
    ChainAnchorOut,
    ChainBatchOut,
    ChainReachOut,
    IssuanceRowOut,
    StatusChangeOut,
    StatusCountOut,
)
from wallet_api.schemas import Out


class IssuanceTotal(Out):
    """Everything anchored in the period."""

    batches: int
    certificates: int


class IssuanceOut(Out):
    """Issuance over a period, grouped."""

    indexed_to: int
    chain: ChainReachOut
    by: Literal["office", "type", "day", "month"]
    rows: list[IssuanceRowOut]
    total: IssuanceTotal


class ChainBatchesOut(Out):
    """A page of the batches anchored in a period, oldest (or newest) first, and how many there are."""

    indexed_to: int
    chain: ChainReachOut
    total: int
    offset: int
    order: Literal["asc", "desc"]
    batches: list[ChainBatchOut]


class StatusOut(Out):
    """Status changes in a period, and their counts per action and reason."""

    indexed_to: int
    chain: ChainReachOut
    changes: list[StatusChangeOut]
    summary: list[StatusCountOut]


class ChainAnchorsOut(Out):
    """The access logs' checkpoints on chain, oldest first."""

    indexed_to: int
    chain: ChainReachOut
    anchors: list[ChainAnchorOut]
