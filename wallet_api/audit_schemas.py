"""Response bodies of the auditor's chain routes (`routers/chain_audit.py`): what the chain index
and the last reconciliation say. camelCase JSON names, like every other response."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wallet_api.schemas import Out


class IssuanceRowOut(Out):
    """Batches and certificates anchored in one group."""

    group: str
    label: str
    batches: int
    certificates: int


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


class ChainBatchOut(Out):
    """A batch anchored on chain."""

    batch_id: int
    root: str
    office_id: int
    type_id: int
    count: int
    key: str
    block: int
    time: str
    transaction: str


class ChainBatchesOut(Out):
    """Batches anchored in a period, oldest first."""

    indexed_to: int
    batches: list[ChainBatchOut]


class StatusChangeOut(Out):
    """A revocation, suspension or reinstatement on chain."""

    block: int
    time: str
    action: Literal["revoked", "suspended", "reinstated"]
    reason: int
    reason_label: str
    batch_id: int
    office_id: int | None
    certificates: int
    root: str
    by: str
    transaction: str


class StatusCountOut(Out):
    """Status changes of one action and reason."""

    action: str
    reason: int
    reason_label: str
    changes: int
    certificates: int


class StatusOut(Out):
    """Status changes in a period, and their counts per action and reason."""

    indexed_to: int
    changes: list[StatusChangeOut]
    summary: list[StatusCountOut]


class TypeWindowOut(Out):
    """A window in which an office could issue a type; `until` None while open."""

    type_id: int
    start: str | None = Field(alias="from")
    until: str | None


class OfficeOut(Out):
    """An office as the registry knew it."""

    office_id: int
    region_code: int
    display_name: str
    registered_block: int
    registered_at: str | None
    suspended_from: str | None
    types: list[TypeWindowOut]


class KeyOut(Out):
    """A signing key as the registry knew it."""

    key: str
    office_id: int
    key_id: int
    valid_from: str | None
    valid_until: str | None
    added_block: int


class LogOperatorsOut(Out):
    """Who may append to one access log."""

    log_id: str
    operators: list[str]


class RegistryEventOut(Out):
    """One change of the registry."""

    block: int
    time: str | None
    event: str
    subject: str
    detail: str


class TrustOut(Out):
    """The issuer registry as of a block, and its history up to it."""

    block: int
    block_time: str | None
    governor: str
    offices: list[OfficeOut]
    keys: list[KeyOut]
    log_operators: list[LogOperatorsOut]
    history: list[RegistryEventOut]


class ChainAnchorOut(Out):
    """A checkpoint of an access log anchored on chain."""

    log_id: str
    size: int
    root: str
    sequence: int
    operator: str
    block: int
    time: str
    transaction: str


class ChainAnchorsOut(Out):
    """The access logs' checkpoints on chain, oldest first."""

    indexed_to: int
    anchors: list[ChainAnchorOut]


class DifferenceOut(Out):
    """One difference between the database and the chain."""

    kind: str
    subject: str
    detail: str
    repaired: bool


class ReconciliationOut(Out):
    """The stored result of the last reconciliation."""

    id: str
    started_at: str
    finished_at: str
    repair: bool
    indexed_to: int
    batches_checked: int
    certificates_checked: int
    log_entries_checked: int
    differences: int
    repaired: int
    counts: dict[str, int]
    details: list[DifferenceOut]
