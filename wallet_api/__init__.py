"""The wallet service: citizens' safe, signed grants, QR sharing, unit redemption, the access log.

Errors reported to clients all derive from `WalletError` and leave as RFC 9457 problem+json::

    WalletError
    ├── InvalidRequestError (ValueError)   422  the request asks for something impossible
    ├── AuthenticationError                401  no, wrong, expired or revoked credentials
    ├── PermissionDeniedError              403  this role may not do this
    ├── NotFoundError (LookupError)        404  no such object, or somebody else's
    ├── ConflictError                      409  exists already, or in the wrong state
    ├── GrantRefusedError                  403/410  revoked, expired, used up, another unit's
    ├── RateLimitedError                   429  too many requests; Retry-After says when
    └── ServiceUnavailableError            503  the chain cannot be reached
"""

from wallet_api._accesslog import LogCheck, LogEvent, Pseudonyms, append_events, check_log
from wallet_api._accounts import Accounts, Login, enrolment_message, normalize_code
from wallet_api._context import WalletContext
from wallet_api._errors import (
    AuthenticationError,
    ConflictError,
    GrantRefusedError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
    WalletError,
)
from wallet_api._grants import Grants, GrantTerms, decode_key, encode_key
from wallet_api._principal import Principal
from wallet_api._settings import WalletSettings
from wallet_api._units import Unit, Units
from wallet_api.app import create_app

__all__ = [
    "Accounts",
    "AuthenticationError",
    "ConflictError",
    "GrantRefusedError",
    "GrantTerms",
    "Grants",
    "InvalidRequestError",
    "LogCheck",
    "LogEvent",
    "Login",
    "NotFoundError",
    "PermissionDeniedError",
    "Principal",
    "Pseudonyms",
    "RateLimitedError",
    "ServiceUnavailableError",
    "Unit",
    "Units",
    "WalletContext",
    "WalletError",
    "WalletSettings",
    "append_events",
    "check_log",
    "create_app",
    "decode_key",
    "encode_key",
    "enrolment_message",
    "normalize_code",
]
