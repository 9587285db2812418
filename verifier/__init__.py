"""Verification: one pipeline that checks a document against the chain and says why.

Exceptions raised here all derive from `VerifierError`::

    VerifierError
    ├── VerifierConfigError (ValueError)    no trusted ledger configured
    ├── ChainReadError                    the chain could not answer (becomes INDETERMINATE)
    └── UnreadableDocumentError (ValueError)     a file, link or QR code holds no readable document
        ├── GrantLinkError                a grant link, which only its unit may redeem, with its key
        └── RedemptionRefusedError        the wallet refused to redeem a grant link (its code)

A unit redeems a grant link at its wallet with its API key (`redeem_grant_link`) and checks
what it is handed as any document (`verify_redemption`).

Verification itself never raises for a bad document: it returns a `Verification` whose checks
say what failed.
"""

from verifier._chain import ChainView
from verifier._config import trusted_ledger, verifier_from_settings
from verifier._errors import (
    ChainReadError,
    GrantLinkError,
    RedemptionRefusedError,
    UnreadableDocumentError,
    VerifierConfigError,
    VerifierError,
)
from verifier._grants import GRANT_CHECK_TITLES, GRANT_CHECKS, grant_checks, verify_redemption, with_checks
from verifier._links import GrantLink
from verifier._results import CHECK_TITLES, CHECKS, Check, CheckStatus, Verdict, Verification, verdict_of
from verifier._settings import VerifierSettings
from verifier._sources import (
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
    "GRANT_CHECKS",
    "GRANT_CHECK_TITLES",
    "ChainReadError",
    "ChainView",
    "Check",
    "CheckStatus",
    "GrantLink",
    "GrantLinkError",
    "Redeemed",
    "RedemptionRefusedError",
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
    "grant_checks",
    "grant_link",
    "parse_document",
    "read_document",
    "redeem_grant_link",
    "text_from_qr",
    "trusted_ledger",
    "verdict_of",
    "verifier_from_settings",
    "verify_redemption",
    "with_checks",
]
