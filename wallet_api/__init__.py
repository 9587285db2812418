"""The wallet service: citizens' safe, signed grants, QR sharing, unit redemption, the access log.

The services return domain objects and raise errors that all derive from `WalletError`, each with
a stable code and nothing of HTTP; the HTTP layer's one table (`wallet_api._problems`) gives each
the status it leaves with as RFC 9457 problem+json::

    WalletError
    ├── InvalidRequestError (ValueError)   422  the request asks for something impossible
    ├── AuthenticationError                401  no, wrong, expired or revoked credentials
    ├── PermissionDeniedError              403  this role may not do this
    ├── NotFoundError (LookupError)        404  no such object, or somebody else's
    ├── ConflictError                      409  exists already, or in the wrong state
    ├── GrantRefusedError                  403/410  a `GrantRefusal`: revoked, expired, used up,
    │                                               another unit's, or the key does not open it
    ├── RateLimitedError                   429  too many requests; Retry-After says when
    └── ServiceUnavailableError            503  the chain cannot be reached
"""

from wallet_api._accounts import AccountProfile, Accounts, Login, enrolment_message, normalize_code
from wallet_api._context import WalletContext
from wallet_api._errors import (
    AuthenticationError,
    ConflictError,
    GrantRefusal,
    GrantRefusedError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
    WalletError,
)
from wallet_api._grants import (
    CreatedGrant,
    Grants,
    GrantState,
    GrantTerms,
    GrantUnit,
    Redeemed,
    RedeemedTerms,
    StoredGrant,
    decode_key,
    encode_key,
)
from wallet_api._principal import Principal
from wallet_api._settings import WalletSettings
from wallet_api._units import Unit, Units
from wallet_api.app import create_app

__all__ = [
    "AccountProfile",
    "Accounts",
    "AuthenticationError",
    "ConflictError",
    "CreatedGrant",
    "GrantRefusal",
    "GrantRefusedError",
    "GrantState",
    "GrantTerms",
    "GrantUnit",
    "Grants",
    "InvalidRequestError",
    "Login",
    "NotFoundError",
    "PermissionDeniedError",
    "Principal",
    "RateLimitedError",
    "Redeemed",
    "RedeemedTerms",
    "ServiceUnavailableError",
    "StoredGrant",
    "Unit",
    "Units",
    "WalletContext",
    "WalletError",
    "WalletSettings",
    "create_app",
    "decode_key",
    "encode_key",
    "enrolment_message",
    "normalize_code",
]
