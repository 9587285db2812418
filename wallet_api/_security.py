"""Secrets: password hashes (Argon2id), access tokens (JWT, HS256 pinned) and unit API keys.

Tokens carry the session id; a token is honoured only while its session exists, has not expired
and was not revoked, so logging out takes effect at once. The verifier accepts exactly one
algorithm, one audience and one issuer, and requires every claim it checks.

Unit API keys are ``clu_<key id>_<secret>``: the key id finds the unit, and the secret (256
random bits) is compared as a keyed SHA-256 hash — a slow password hash would add nothing to a
secret that cannot be guessed, and would cost milliseconds on every redemption.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from wallet_api._errors import AuthenticationError, InvalidRequestError

# Names, not secrets.
TOKEN_ALGORITHM = "HS256"  # noqa: S105
TOKEN_AUDIENCE = "certledger-wallet"  # noqa: S105
TOKEN_ISSUER = "certledger"  # noqa: S105
TOKEN_LEEWAY = 5  # seconds of clock skew between API processes
ROLES = ("citizen", "operator", "auditor")
API_KEY_PREFIX = "clu_"
MIN_PASSWORD_CHARS = 10
_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "development", "test"}

# OWASP's second Argon2id configuration: 19 MiB, two passes, one lane.
_passwords = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A valid hash of a random password: verifying against it makes an unknown login cost the same.
_DUMMY_HASH = _passwords.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The Argon2id hash of a new password; refuses one that is too short."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidRequestError(
            f"a password has at least {MIN_PASSWORD_CHARS} characters", code="password.too_short"
        )
    return _passwords.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; takes as long when there is no stored hash."""
    try:
        return _passwords.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token says."""

    subject: str
    role: str
    session: str
    expires: datetime


class TokenService:
    """Issues and checks the service's access tokens."""

    def __init__(self, secret: bytes, *, lifetime: timedelta) -> None:
        if len(secret) < 32:
            raise ValueError("the token secret has at least 256 bits")
        self._secret = secret
        self.lifetime = lifetime

    def issue(self, *, subject: str, role: str, session: str, now: datetime) -> tuple[str, datetime]:
        """A signed token for `subject` in `role`, and when it expires."""
        expires = now + self.lifetime
        claims = {
            "iss": TOKEN_ISSUER,
            "aud": TOKEN_AUDIENCE,
            "sub": subject,
            "role": role,
            "sid": session,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self._secret, algorithm=TOKEN_ALGORITHM), expires

    def check(self, token: str, *, now: datetime) -> TokenClaims:
        """The claims of a genuine token of this service that is in force at `now`;
        AuthenticationError otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[TOKEN_ALGORITHM],
                audience=TOKEN_AUDIENCE,
                issuer=TOKEN_ISSUER,
                # The times are checked below against the service's clock, not the machine's calendar.
                options={
                    "require": ["exp", "iat", "nbf", "sub", "aud", "iss", "sid", "role"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"the token is not valid: {error}", code="auth.invalid_token") from None
        _check_times(claims, now)
        role = claims["role"]
        if role not in ROLES or not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
            raise AuthenticationError("the token is not valid: unknown role", code="auth.invalid_token")
        return TokenClaims(
            subject=claims["sub"],
            role=role,
            session=claims["sid"],
            expires=datetime.fromtimestamp(claims["exp"], UTC),
        )


def _check_times(claims: dict[str, Any], now: datetime) -> None:
    moment = now.timestamp()
    times = [claims[name] for name in ("exp", "nbf", "iat")]
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in times):
        raise AuthenticationError(
            "the token is not valid: its times are not whole seconds", code="auth.invalid_token"
        )
    expires, not_before, _ = times
    if moment > expires + TOKEN_LEEWAY:
        raise AuthenticationError("the token has expired: log in again", code="auth.expired")
    if moment < not_before - TOKEN_LEEWAY:
        raise AuthenticationError("the token is not valid yet", code="auth.invalid_token")


def load_token_secret(text: str | None, *, key_file: Path, production: bool) -> bytes:
    """The token secret from the settings, else from `key_file` (created owner-only when missing).

    In production the secret must be configured, at least 32 bytes, and not a placeholder.
    """
    if text is not None:
        if text.strip().lower() in _PLACEHOLDERS or len(text.encode()) < 32:
            raise ValueError("CERTLEDGER_TOKEN_SECRET is a placeholder or shorter than 32 bytes")
        return text.encode()
    if production:
        raise ValueError("CERTLEDGER_TOKEN_SECRET must be set in production")
    if key_file.exists():
        return key_file.read_bytes()
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = os.urandom(32)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secret)
    return secret


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A unit's API key, shown once, and what is stored of it."""

    key_id: str
    text: str
    key_hash: bytes


class ApiKeys:
    """Makes and checks unit API keys with a server-side key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def new(self) -> ApiKey:
        """A fresh API key."""
        key_id = secrets.token_hex(8)
        secret = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        return ApiKey(key_id, f"{API_KEY_PREFIX}{key_id}_{secret}", self._hash(secret))

    def split(self, text: str) -> tuple[str, str]:
        """The key id and secret of a presented key; AuthenticationError for a malformed one."""
        if not text.startswith(API_KEY_PREFIX) or text.count("_") < 2:
            raise AuthenticationError("the API key is malformed", code="auth.invalid_key", scheme="ApiKey")
        key_id, _, secret = text[len(API_KEY_PREFIX) :].partition("_")
        if len(key_id) != 16 or not secret:
            raise AuthenticationError("the API key is malformed", code="auth.invalid_key", scheme="ApiKey")
        return key_id, secret

    def matches(self, secret: str, stored: bytes) -> bool:
        """Whether `secret` hashes to `stored`, compared in constant time."""
        return hmac.compare_digest(self._hash(secret), stored)

    def _hash(self, secret: str) -> bytes:
        return hmac.new(self._key, b"certledger/unit-key|" + secret.encode(), hashlib.sha256).digest()
