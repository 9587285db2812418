"""Issuance: the core system's records become certificates, sealed, encrypted and anchored.

Exceptions raised here all derive from `IssuerError`::

    IssuerError
    ├── IssuerConfigError (ValueError)               a setting or key is missing or unusable
    ├── IntakeError (ValueError)                     an input file cannot be read, or holds no records
    ├── SafeError                                    the safe cannot give a certificate's content
    │   ├── ErasedError                              the citizen's data key was destroyed
    │   └── SafeIntegrityError                       a body or data key does not decrypt
    ├── CertificateNotFoundError (LookupError)
    └── CitizenNotFoundError (LookupError)

Single bad input rows are not exceptions: they come back as `Rejection` with line and reason.
"""

from issuer._context import IssuerContext
from issuer._errors import (
    CertificateNotFoundError,
    CitizenNotFoundError,
    ErasedError,
    IntakeError,
    IssuerConfigError,
    IssuerError,
    SafeError,
    SafeIntegrityError,
)
from issuer._holders import BindReport, HolderBinding
from issuer._intake import INPUT_SUFFIXES, InputRow, Rejection, read_csv, read_documents, read_json_lines
from issuer._issuing import CitizenKey, IssuanceService, IssueReport, citizens_for
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
from issuer._safe import (
    KeyedHasher,
    MasterKeyring,
    Safe,
    WrappedKey,
    decrypt_body,
    encrypt_body,
    key_id,
)
from issuer._settings import IssuerSettings
from issuer._status import SUPERSEDED, StatusReport, StatusService
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
    AnchoringWorker,
    StepOutcome,
    acquire_lease,
    anchoring_alongside,
    batch_metadata_hash,
    release_lease,
)
from ledger import Reason  # the issuer's commands and callers name reasons; the table is the kernel's

__all__ = [
    "INPUT_SUFFIXES",
    "SUPERSEDED",
    "AnchoringWorker",
    "BatchRecord",
    "BindReport",
    "CertificateNotFoundError",
    "CertificateRecord",
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
    "MasterKeyring",
    "OutboxEntry",
    "PreparedRow",
    "Reason",
    "Rejection",
    "RotationReport",
    "Safe",
    "SafeError",
    "SafeIntegrityError",
    "StatusChangeRecord",
    "StatusReport",
    "StatusService",
    "StepOutcome",
    "StoredCertificate",
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
    "data_keys",
    "decrypt_body",
    "documents_from_file",
    "encrypt_body",
    "erase_citizen",
    "erase_data_key",
    "find_citizen",
    "key_id",
    "new_id",
    "prepared_documents",
    "read_csv",
    "read_documents",
    "read_json_lines",
    "release_lease",
    "rotate_master_key",
    "status_changes",
    "time_field",
    "worker_leases",
]
