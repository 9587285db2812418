"""Audit: what was issued, revoked and accessed, answered from the chain alone.

* the chain index (`ChainIndex`): the contracts' events, in a database of its own;
* the reports (`ChainAudit`): issuance, status changes, the registry's history, the log's anchors;
* the access log (`append_events`, `LogAnchorer`, `LogAudit`): every grant, revocation and
  redemption as an append-only Merkle log in the operators' database, its roots anchored on chain;
* reconciliation (`Reconciler`): the operators' database compared with the chain, the safe
  differences repaired by the issuer's own functions; the last run judged against now
  (`reconciliation_standing`), a run on request (`ReconcileRunner`), a batch's certificates side
  by side with the chain (`batch_certificates`);
* the ``certledger audit …`` commands (`audit.cli.audit_app`), set up by `AuditSettings`;
* the rows all of these hand out (`Out` and its subclasses: `ChainBatchOut`, `TrustOut`,
  `LogSummary`, `ReconciliationOut`, …): pydantic models with camelCase JSON names, printed by the
  commands and returned as they are by the wallet's routes.

Exceptions raised here all derive from `AuditError`, itself a `VerifierError`::

    AuditError (VerifierError)
    ├── AuditConfigError (VerifierConfigError)   the chain index is set up wrongly
    ├── IndexReadError (ChainReadError)          the chain could not answer the indexer
    ├── AuditQueryError (ValueError)             a block beyond the index, a period ending before
    │                                            it starts, a log size the log does not have
    ├── LogEntryNotFoundError (LookupError)      the access log has no such entry
    ├── LogNotAnchoredError (LookupError)        the access log has no anchor on chain yet
    └── ReconcileRunningError (RuntimeError)     a reconciliation asked for while one runs
"""

from audit._accesslog import (
    LOG_FORMAT,
    LogAnchorer,
    LogCheck,
    LogEvent,
    Pseudonyms,
    append_events,
    check_log,
    entry_proof,
    lock_log,
    log_size,
    root_at,
    sizes_proof,
)
from audit._context import AuditContext
from audit._errors import (
    AuditConfigError,
    AuditError,
    AuditQueryError,
    IndexReadError,
    LogEntryNotFoundError,
    LogNotAnchoredError,
)
from audit._indexer import (
    DEFAULT_PAGE_SIZE,
    SCHEMA_VERSION,
    ChainIndex,
    SyncReport,
    chain_batches,
    chain_log_anchors,
    chain_registry_changes,
    chain_status_changes,
    default_index_url,
    index_cursor,
    indexed_blocks,
    unpack_indexes,
)
from audit._logaudit import (
    CheckpointOut,
    ConsistencyOut,
    InclusionOut,
    LogActivityRow,
    LogAudit,
    LogEntryOut,
    LogSummary,
)
from audit._models import (
    AccessLogEntry,
    AccessLogNode,
    LogAnchorRecord,
    ReconciliationRecord,
    access_log,
    access_log_nodes,
    log_anchors,
    reconciliations,
)
from audit._out import Out
from audit._reconcile import (
    KINDS,
    PHASES,
    RECONCILE_NOW_LEASE,
    REPAIRABLE,
    STUCK_AFTER,
    BatchCertificateOut,
    BatchCertificatesOut,
    DifferenceOut,
    Reconciler,
    ReconcileReport,
    ReconcileRunner,
    ReconcileRunningError,
    ReconcileRunOut,
    ReconciliationOut,
    ReconciliationStandingOut,
    StalenessOut,
    batch_certificates,
    freshness_bound,
    judge_reconciliation,
    latest_reconciliation,
    recent_reconciliations,
    reconciliation_standing,
)
from audit._reports import (
    GROUPINGS,
    ChainAnchorOut,
    ChainAudit,
    ChainBatchOut,
    ChainReachOut,
    IssuanceRowOut,
    KeyOut,
    LogOperatorsOut,
    OfficeOut,
    ProofCheck,
    RegistryEventOut,
    StatusChangeOut,
    StatusCountOut,
    TrustOut,
    TypeWindowOut,
    period_bounds,
    reason_label,
)
from audit._settings import AuditSettings

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "GROUPINGS",
    "KINDS",
    "LOG_FORMAT",
    "PHASES",
    "RECONCILE_NOW_LEASE",
    "REPAIRABLE",
    "SCHEMA_VERSION",
    "STUCK_AFTER",
    "AccessLogEntry",
    "AccessLogNode",
    "AuditConfigError",
    "AuditContext",
    "AuditError",
    "AuditQueryError",
    "AuditSettings",
    "BatchCertificateOut",
    "BatchCertificatesOut",
    "ChainAnchorOut",
    "ChainAudit",
    "ChainBatchOut",
    "ChainIndex",
    "ChainReachOut",
    "CheckpointOut",
    "ConsistencyOut",
    "DifferenceOut",
    "InclusionOut",
    "IndexReadError",
    "IssuanceRowOut",
    "KeyOut",
    "LogActivityRow",
    "LogAnchorRecord",
    "LogAnchorer",
    "LogAudit",
    "LogCheck",
    "LogEntryNotFoundError",
    "LogEntryOut",
    "LogEvent",
    "LogNotAnchoredError",
    "LogOperatorsOut",
    "LogSummary",
    "OfficeOut",
    "Out",
    "ProofCheck",
    "Pseudonyms",
    "ReconcileReport",
    "ReconcileRunOut",
    "ReconcileRunner",
    "ReconcileRunningError",
    "Reconciler",
    "ReconciliationOut",
    "ReconciliationRecord",
    "ReconciliationStandingOut",
    "RegistryEventOut",
    "StalenessOut",
    "StatusChangeOut",
    "StatusCountOut",
    "SyncReport",
    "TrustOut",
    "TypeWindowOut",
    "access_log",
    "access_log_nodes",
    "append_events",
    "batch_certificates",
    "chain_batches",
    "chain_log_anchors",
    "chain_registry_changes",
    "chain_status_changes",
    "check_log",
    "default_index_url",
    "entry_proof",
    "freshness_bound",
    "index_cursor",
    "indexed_blocks",
    "judge_reconciliation",
    "latest_reconciliation",
    "lock_log",
    "log_anchors",
    "log_size",
    "period_bounds",
    "reason_label",
    "recent_reconciliations",
    "reconciliation_standing",
    "reconciliations",
    "root_at",
    "sizes_proof",
    "unpack_indexes",
]
