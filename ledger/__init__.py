"""The shared kernel: contracts, chain access, the Merkle tree and the managed local node.

Exceptions raised here all derive from `LedgerError`::

    LedgerError
    ├── LedgerConfigError (ValueError)       settings, key files, manifests
    ├── CanonicalJSONError (ValueError)      JSON that canonical JSON cannot hold
    │   └── JSONTooDeepError                 nested past MAX_JSON_DEPTH, refused before parsing
    ├── CompilerError (RuntimeError)         solc missing or refusing the sources
    ├── MerkleError (ValueError)             impossible tree or proof arguments
    ├── LogTreeError (ValueError)            impossible log sizes or proofs, a missing subtree
    ├── CertificateTypeError (ValueError)    an unusable type schema, or a type not found
    ├── DocumentFormatError (ValueError)     a document without the certledger format
    │   └── GrantFormatError                 a malformed grant or signature
    ├── DeploymentError                      the contracts could not be deployed
    ├── ChainError
    │   ├── ChainUnavailableError (ConnectionError)   unreachable, timed out, not JSON-RPC
    │   ├── ChainMismatchError                         another chain than expected
    │   └── ChainProcessError (RuntimeError)           the managed node failed to start or stop
    └── TransactionError
        ├── ContractRevertError              a contract's named custom error and its arguments
        ├── TransactionTimeoutError (TimeoutError)
        │   └── TransactionUnconfirmedError  mined and successful, not yet confirmed enough
        └── TransactionReplacedError         another transaction took our nonce
"""

from ledger import _limits  # noqa: F401  (puts back the recursion limit py_ecc raises)
from ledger._canonical import (
    MAX_JSON_DEPTH,
    CanonicalJSONError,
    JSONTooDeepError,
    canonical_json,
    canonical_pairs,
    check_json_depth,
    parse_json,
)
from ledger._chain import ChainStatus, ManagedChain
from ledger._clients import (
    OPEN_END,
    AccessLogAnchorClient,
    Anchored,
    Batch,
    CertificateLedgerClient,
    CertificateStatus,
    KeyInfo,
    LogHead,
    Office,
    Window,
)
from ledger._clock import BEIJING, Clock, FixedClock, beijing_date, beijing_time, system_clock
from ledger._compiler import Artifact, build_artifacts, compile_contracts, load_artifact, stale_artifacts
from ledger._database import (
    UTCDateTime,
    bulk_insert,
    bulk_update,
    create_database_engine,
    default_database_url,
    migrate,
    schema_revision,
)
from ledger._deploy import (
    Deployment,
    DeploymentOutcome,
    deploy_contracts,
    deployment_problems,
    ensure_deployment,
    genesis_hash,
    load_manifest,
    manifest_path,
    write_manifest,
)
from ledger._devnet import ACCESS_LOG_ID, DevnetReport, DevOffice, bootstrap_devnet, is_development_chain
from ledger._document import (
    CERTIFICATE_FORMAT,
    PRESENTATION_FORMAT,
    SALT_BYTES,
    Anchor,
    Certificate,
    DocumentFormatError,
    Header,
    Presentation,
    document_root,
    encode_claims,
    field_commitment,
    hex0x,
    is_checksum_address,
    refuse_integral_floats,
    seal,
)
from ledger._errors import (
    ChainError,
    ChainMismatchError,
    ChainProcessError,
    ChainUnavailableError,
    CompilerError,
    ContractRevertError,
    DeploymentError,
    LedgerConfigError,
    LedgerError,
    MerkleError,
    TransactionError,
    TransactionReplacedError,
    TransactionTimeoutError,
    TransactionUnconfirmedError,
    describe_failure,
)
from ledger._events import Event, EventReader
from ledger._grant import (
    EIP712_TYPES,
    GRANT_FORMAT,
    MAX_USES,
    Grant,
    GrantDomain,
    GrantFormatError,
    SignedGrant,
    personal_message_digest,
    recover_signer,
    sign_digest,
    sign_grant,
)
from ledger._hashing import keccak256
from ledger._identifiers import (
    credit_code_problem,
    date_problem,
    identity_number_problem,
    mask,
    year_month_problem,
)
from ledger._keys import ROLES, KeyStore
from ledger._logtree import (
    EMPTY_LOG_ROOT,
    LogTreeError,
    MemorySubtreeStore,
    SubtreeStore,
    completed_subtrees,
    consistency_proof,
    inclusion_proof,
    log_leaf_hash,
    log_node_hash,
    log_root,
    verify_consistency,
    verify_inclusion,
)
from ledger._merkle import (
    EMPTY_NODE,
    BatchTree,
    batch_depth,
    batch_leaf_hash,
    batch_root_from_proof,
    node_hash,
    verify_batch_proof,
)
from ledger._paths import NODE_MODULES
from ledger._reasons import Reason
from ledger._revert import RevertDecoder
from ledger._rpc import connect, redact
from ledger._runtime import ChainContext
from ledger._sender import Receipt, TransactionSender, max_fee_per_gas, sender_for
from ledger._settings import DEFAULT_CHAIN_ID, LedgerSettings
from ledger._types import (
    BUILTIN_SCHEMAS,
    CertificateType,
    CertificateTypeError,
    FieldProblem,
    RepeatedKey,
    TypeCatalog,
    certificate_type,
    load_type,
)
from ledger._vc import VC_CONTEXT, certificate_from_vc, certificate_to_vc, is_vc, office_urn

__all__ = [
    "ACCESS_LOG_ID",
    "BEIJING",
    "BUILTIN_SCHEMAS",
    "CERTIFICATE_FORMAT",
    "DEFAULT_CHAIN_ID",
    "EIP712_TYPES",
    "EMPTY_LOG_ROOT",
    "EMPTY_NODE",
    "GRANT_FORMAT",
    "MAX_JSON_DEPTH",
    "MAX_USES",
    "NODE_MODULES",
    "OPEN_END",
    "PRESENTATION_FORMAT",
    "ROLES",
    "SALT_BYTES",
    "VC_CONTEXT",
    "AccessLogAnchorClient",
    "Anchor",
    "Anchored",
    "Artifact",
    "Batch",
    "BatchTree",
    "CanonicalJSONError",
    "Certificate",
    "CertificateLedgerClient",
    "CertificateStatus",
    "CertificateType",
    "CertificateTypeError",
    "ChainContext",
    "ChainError",
    "ChainMismatchError",
    "ChainProcessError",
    "ChainStatus",
    "ChainUnavailableError",
    "Clock",
    "CompilerError",
    "ContractRevertError",
    "Deployment",
    "DeploymentError",
    "DeploymentOutcome",
    "DevOffice",
    "DevnetReport",
    "DocumentFormatError",
    "Event",
    "EventReader",
    "FieldProblem",
    "FixedClock",
    "Grant",
    "GrantDomain",
    "GrantFormatError",
    "Header",
    "JSONTooDeepError",
    "KeyInfo",
    "KeyStore",
    "LedgerConfigError",
    "LedgerError",
    "LedgerSettings",
    "LogHead",
    "LogTreeError",
    "ManagedChain",
    "MemorySubtreeStore",
    "MerkleError",
    "Office",
    "Presentation",
    "Reason",
    "Receipt",
    "RepeatedKey",
    "RevertDecoder",
    "SignedGrant",
    "SubtreeStore",
    "TransactionError",
    "TransactionReplacedError",
    "TransactionSender",
    "TransactionTimeoutError",
    "TransactionUnconfirmedError",
    "TypeCatalog",
    "UTCDateTime",
    "Window",
    "batch_depth",
    "batch_leaf_hash",
    "batch_root_from_proof",
    "beijing_date",
    "beijing_time",
    "bootstrap_devnet",
    "build_artifacts",
    "bulk_insert",
    "bulk_update",
    "canonical_json",
    "canonical_pairs",
    "certificate_from_vc",
    "certificate_to_vc",
    "certificate_type",
    "check_json_depth",
    "compile_contracts",
    "completed_subtrees",
    "connect",
    "consistency_proof",
    "create_database_engine",
    "credit_code_problem",
    "date_problem",
    "default_database_url",
    "deploy_contracts",
    "deployment_problems",
    "describe_failure",
    "document_root",
    "encode_claims",
    "ensure_deployment",
    "field_commitment",
    "genesis_hash",
    "hex0x",
    "identity_number_problem",
    "inclusion_proof",
    "is_checksum_address",
    "is_development_chain",
    "is_vc",
    "keccak256",
    "load_artifact",
    "load_manifest",
    "load_type",
    "log_leaf_hash",
    "log_node_hash",
    "log_root",
    "manifest_path",
    "mask",
    "max_fee_per_gas",
    "migrate",
    "node_hash",
    "office_urn",
    "parse_json",
    "personal_message_digest",
    "recover_signer",
    "redact",
    "refuse_integral_floats",
    "schema_revision",
    "seal",
    "sender_for",
    "sign_digest",
    "sign_grant",
    "stale_artifacts",
    "system_clock",
    "verify_batch_proof",
    "verify_consistency",
    "verify_inclusion",
    "write_manifest",
    "year_month_problem",
]
