"""Verification: one pipeline that checks a document against the chain and says why.

Exceptions raised here all derive from `VerifierError`::

    VerifierError
    ├── VerifierConfigError (ValueError)    no trusted ledger configured
    ├── ChainReadError                    the chain could not answer (becomes INDETERMINATE)
    ├── UnreadableDocumentError (ValueError)     a file, link or QR code holds no readable document
    │   ├── GrantLinkError                a grant link, which only its unit may redeem, with its key
    │   └── RedemptionRefusedError        the wallet refused to redeem a grant link (its code)
    └── AuditError                        the chain index or an audit report cannot answer
        └── AuditQueryError (ValueError)  a block beyond the index, a period ending before it starts

A unit redeems a grant link at its wallet with its API key (`redeem_grant_link`) and checks
what it is handed as any document (`verify_redemption`).

The chain index (`ChainIndex`) and the audit reports (`ChainAudit`) answer an auditor's questions
from the chain alone, in a database of their own.

Verification itself never raises for a bad document: it returns a `Verification` whose checks
say what failed.
"""

from verifier._audit import (
    GROUPINGS,
    AnchorRow,
    BatchRow,
    ChainAudit,
    IssuanceRow,
    ProofCheck,
    StatusRow,
    TrustState,
    period_bounds,
    reason_label,
)
from verifier._chain import ChainView
from verifier._config import trusted_ledger, verifier_from_settings
from verifier._errors import (
    AuditError,
    AuditQueryError,
    ChainReadError,
    GrantLinkError,
    RedemptionRefusedError,
    UnreadableDocumentError,
    VerifierConfigError,
    VerifierError,
)
from verifier._grants import GRANT_CHECK_TITLES, GRANT_CHECKS, grant_checks, verify_redemption, with_checks
from verifier._indexer import (
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
from verifier._results import CHECK_TITLES, CHECKS, Check, CheckStatus, Verdict, Verification, verdict_of
from verifier._settings import VerifierSettings
from verifier._sources import (
    GrantLink,
    Redeemed,
    bytes_from,
    bytes_from_file,
    bytes_from_qr,
    bytes_from_url,
    grant_link,
    parse_document,
    redeem_grant_link,
    text_from_qr,
)
from verifier._verify import Verifier, read_document

__all__ = [
    "CHECKS",
    "CHECK_TITLES",
    "DEFAULT_PAGE_SIZE",
    "GRANT_CHECKS",
    "GRANT_CHECK_TITLES",
    "GROUPINGS",
    "SCHEMA_VERSION",
    "AnchorRow",
    "AuditError",
    "AuditQueryError",
    "BatchRow",
    "ChainAudit",
    "ChainIndex",
    "ChainReadError",
    "ChainView",
    "Check",
    "CheckStatus",
    "GrantLink",
    "GrantLinkError",
    "IssuanceRow",
    "ProofCheck",
    "Redeemed",
    "RedemptionRefusedError",
    "StatusRow",
    "SyncReport",
    "TrustState",
    "UnreadableDocumentError",
    "Verdict",
    "Verification",
    "Verifier",
    "VerifierConfigError",
    "VerifierError",
    "VerifierSettings",
    "bytes_from",
    "bytes_from_file",
    "bytes_from_qr",
    "bytes_from_url",
    "chain_batches",
    "chain_log_anchors",
    "chain_registry_changes",
    "chain_status_changes",
    "default_index_url",
    "grant_checks",
    "grant_link",
    "index_cursor",
    "indexed_blocks",
    "parse_document",
    "period_bounds",
    "read_document",
    "reason_label",
    "redeem_grant_link",
    "text_from_qr",
    "trusted_ledger",
    "unpack_indexes",
    "verdict_of",
    "verifier_from_settings",
    "verify_redemption",
    "with_checks",
]
