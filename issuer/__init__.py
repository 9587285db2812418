"""Issuance: the core system's records become certificates, sealed, encrypted and anchored.

Exceptions raised here all derive from `IssuerError`::

    IssuerError
    ├── IssuerConfigError (ValueError)               a setting or key is missing or unusable
    ├── IntakeError (ValueError)                     an input file cannot be read, or holds no records
    ├── SafeError                                    the safe cannot give a certificate's content
    │   ├── ErasedError                              the citizen's data key was destroyed
    │   └── SafeIntegrityError                       a body or data key does not decrypt
    ├── LeaseLostError                               a worker's lease lapsed or was taken: it wrote nothing
    ├── ReasonMismatchError (ValueError)             a status change's reason does not fit its action
    ├── CertificateNotFoundError (LookupError)
    └── CitizenNotFoundError (LookupError)

Single bad input rows are not exceptions: they come back as `Rejection` with line and reason, in
English and Chinese (`RowProblem` for each reason: column, label, masked value, code), and
`RefusedRows` gives them back as a file to fix and upload again.
"""

from issuer._batches import complete_batch, requeue_batches, rewrite_proofs
from issuer._context import IssuerContext
from issuer._errors import (
    CertificateNotFoundError,
    CitizenNotFoundError,
    ErasedError,
    IntakeError,
    IssuerConfigError,
    IssuerError,
    LeaseLostError,
    SafeError,
    SafeIntegrityError,
)
from issuer._holders import BindReport, HolderBinding, NameIndexReport, index_holder_names, unindexed_names
from issuer._intake import (
    INPUT_SUFFIXES,
    InputRow,
    Rejection,
    read_csv,
    read_documents,
    read_json_lines,
    read_xlsx,
)
from issuer._issuing import CitizenKey, IssuanceService, IssueReport, citizens_for
from issuer._lease import Lease, acquire_lease, hold_lease, lease_held, process_holder, release_lease
from issuer._models import (
    BatchRecord,
    CertificateRecord,
    CitizenRecord,
    DataKeyRecord,
    OutboxEntry,
    StatusChangeRecord,
    WorkerLease,
    anchor_outbox,
    batches,
    bytes_field,
    certificates,
    citizens,
    data_keys,
    new_id,
    status_changes,
    time_field,
    worker_leases,
)
from issuer._pipeline import PreparedRow, documents_from_file, prepared_documents
from issuer._refusals import RefusedRows
from issuer._rejections import RowProblem
from issuer._safe import (
    KeyedHasher,
    MasterKeyring,
    Safe,
    WrappedKey,
    decrypt_body,
    encrypt_body,
    holder_name_hash,
    key_id,
)
from issuer._settings import IssuerSettings
from issuer._states import CHAIN_STATUS, BatchState, CertificateState
from issuer._status import (
    ACTION_REASONS,
    ReasonMismatchError,
    StatusReport,
    StatusService,
    operator_reasons,
    reason_actions,
    record_chain_status,
)
from issuer._store import (
    CertificateStore,
    RotationReport,
    StoredCertificate,
    erase_citizen,
    erase_data_key,
    find_citizen,
    rotate_master_key,
)
from issuer._worker import (
    ANCHORING_LEASE_PREFIX,
    AnchoringWorker,
    StepOutcome,
    WorkerHealth,
    anchoring_alongside,
    batch_metadata_hash,
)
from ledger import Reason  # the issuer's commands and callers name reasons; the table is the kernel's

__all__ = [
    "ACTION_REASONS",
    "ANCHORING_LEASE_PREFIX",
    "CHAIN_STATUS",
    "INPUT_SUFFIXES",
    "AnchoringWorker",
    "BatchRecord",
    "BatchState",
    "BindReport",
    "CertificateNotFoundError",
    "CertificateRecord",
    "CertificateState",
    "CertificateStore",
    "CitizenKey",
    "CitizenNotFoundError",
    "CitizenRecord",
    "DataKeyRecord",
    "ErasedError",
    "HolderBinding",
    "InputRow",
    "IntakeError",
    "IssuanceService",
    "IssueReport",
    "IssuerConfigError",
    "IssuerContext",
    "IssuerError",
    "IssuerSettings",
    "KeyedHasher",
    "Lease",
    "LeaseLostError",
    "MasterKeyring",
    "NameIndexReport",
    "OutboxEntry",
    "PreparedRow",
    "Reason",
    "ReasonMismatchError",
    "RefusedRows",
    "Rejection",
    "RotationReport",
    "RowProblem",
    "Safe",
    "SafeError",
    "SafeIntegrityError",
    "StatusChangeRecord",
    "StatusReport",
    "StatusService",
    "StepOutcome",
    "StoredCertificate",
    "WorkerHealth",
    "WorkerLease",
    "WrappedKey",
    "acquire_lease",
    "anchor_outbox",
    "anchoring_alongside",
    "batch_metadata_hash",
    "batches",
    "bytes_field",
    "certificates",
    "citizens",
    "citizens_for",
    "complete_batch",
    "data_keys",
    "decrypt_body",
    "documents_from_file",
    "encrypt_body",
    "erase_citizen",
    "erase_data_key",
    "find_citizen",
    "hold_lease",
    "holder_name_hash",
    "index_holder_names",
    "key_id",
    "lease_held",
    "new_id",
    "operator_reasons",
    "prepared_documents",
    "process_holder",
    "read_csv",
    "read_documents",
    "read_json_lines",
    "read_xlsx",
    "reason_actions",
    "record_chain_status",
    "release_lease",
    "requeue_batches",
    "rewrite_proofs",
    "rotate_master_key",
    "status_changes",
    "time_field",
    "unindexed_names",
    "worker_leases",
]
