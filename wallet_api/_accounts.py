"""Accounts: enrolment of citizens, staff, sessions, and who a request comes from.

A citizen enrols with a one-time code an operator gave them after checking their identity at a
counter (so knowing somebody's identity number is not enough), a phone number, a password, and
the address of a wallet key their device generated — proven by signing the enrolment message with
it. The service never sees the private key: it cannot sign a grant (see docs/wallet.md). The
device may deposit a backup of the key encrypted under a passphrase the service never receives.

Enrolling again with a new code (a lost phone, a forgotten password) replaces the password and
the wallet key, ends every session and revokes the grants signed with the old key; the citizen's
certificates are then re-bound to the new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from audit import LogEvent, append_events
from issuer import citizens, data_keys, decrypt_body, encrypt_body, erase_data_key, new_id
from ledger import GrantFormatError, identity_number_problem, personal_message_digest, recover_signer
from wallet_api._context import WalletContext
from wallet_api._errors import AuthenticationError, ConflictError, InvalidRequestError, NotFoundError
from wallet_api._models import citizen_accounts, enrolment_codes, grants, sessions, staff_accounts, units
from wallet_api._principal import Principal
from wallet_api._security import hash_password, password_matches
from wallet_api._staff_trail import StaffActionKind, record_staff_action

ENROLMENT_HOURS = 72
STAFF_ROLES = ("operator", "auditor")
_PHONE = re.compile(r"^1[3-9]\d{9}\Z")
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a counter
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,63}\Z")
_KEY_BACKUP_LIMIT = 8192


def enrolment_message(code: str, address: str) -> str:
    """The text a device signs (EIP-191) to prove it holds the wallet key it enrols."""
    return f"certledger wallet enrolment\ncode: {normalize_code(code)}\naddress: {address}"


def normalize_code(code: str) -> str:
    """An enrolment code as stored: upper case, no spaces or dashes."""
    return re.sub(r"[\s-]", "", code).upper()


@dataclass(frozen=True, slots=True)
class Login:
    """A new session's token."""

    token: str
    expires_at: datetime
    role: str


@dataclass(frozen=True, slots=True)
class AccountProfile:
    """A citizen's account as they see it: the phone masked, whether a key backup is deposited."""

    id: str
    phone: str
    wallet_address: str
    has_key_backup: bool
    enrolled_at: datetime


class Accounts:
    """Citizens, staff and sessions."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context
        self.engine: Engine = context.engine
        self.clock = context.clock

    # ---------------------------------------------------------------- staff

    def add_staff(self, username: str, role: str, password: str) -> str:
        """Creates an operator or auditor account; returns its id."""
        if role not in STAFF_ROLES:
            raise InvalidRequestError(f"a staff role is one of {', '.join(STAFF_ROLES)}", code="staff.role")
        if not _USERNAME.match(username):
            raise InvalidRequestError(
                "a username is 3 to 64 lower-case letters, digits, '.', '_' or '-'", code="staff.username"
            )
        account_id = new_id()
        with self.engine.begin() as connection:
            taken = connection.execute(
                sa.select(staff_accounts.c.id).where(staff_accounts.c.username == username)
            ).first()
            if taken is not None:
                raise ConflictError(f"the username {username} is taken", code="staff.exists")
            connection.execute(
                sa.insert(staff_accounts).values(
                    id=account_id,
                    username=username,
                    role=role,
                    password_hash=hash_password(password),
                    created_at=self.clock(),
                )
            )
        return account_id

    # ---------------------------------------------------------------- enrolment

    def new_enrolment_code(
        self, identity_number: str, *, operator: Principal, reset: bool = False
    ) -> tuple[str, datetime]:
        """A one-time enrolment code for the citizen with this identity number.

        For a citizen who has an account, the code resets it when used (a new password and wallet
        key); with `reset`, a citizen without one is refused. The staff trail records which it was,
        naming the citizen by their random id (none yet for a citizen the bureau has never seen),
        in the same transaction.
        """
        problem = identity_number_problem(identity_number)
        if problem:
            raise InvalidRequestError(f"identityNumber: {problem}", code="identity.invalid")
        code = "".join(_CODE_ALPHABET[byte % len(_CODE_ALPHABET)] for byte in os.urandom(12))
        now = self.clock()
        expires = now + timedelta(hours=ENROLMENT_HOURS)
        lookup = self.context.hasher.identity(identity_number)
        code_id = new_id()
        with self.engine.begin() as connection:
            citizen_id = connection.execute(
                sa.select(citizens.c.id).where(citizens.c.lookup_hash == lookup)
            ).scalar_one_or_none()
            enrolled = citizen_id is not None and (
                connection.execute(
                    sa.select(citizen_accounts.c.id).where(citizen_accounts.c.citizen_id == citizen_id)
                ).first()
                is not None
            )
            if reset and not enrolled:
                raise NotFoundError(
                    "nobody with this identity number has enrolled: issue an enrolment code instead",
                    code="citizen.not_enrolled",
                )
            connection.execute(
                sa.insert(enrolment_codes).values(
                    id=code_id,
                    lookup_hash=lookup,
                    code_hash=self._code_hash(code),
                    created_by=operator.id,
                    created_at=now,
                    expires_at=expires,
                )
            )
            record_staff_action(
                connection,
                operator,
                StaffActionKind.CITIZEN_RESET if enrolled else StaffActionKind.ENROLMENT_CODE_ISSUED,
                citizen_id,
                {"codeId": code_id, "expiresAt": expires.isoformat()},
                at=now,
            )
        return f"{code[:4]}-{code[4:8]}-{code[8:]}", expires

    def enrol(
        self,
        *,
        identity_number: str,
        code: str,
        phone: str,
        password: str,
        wallet_address: str,
        proof: bytes,
        key_backup: dict[str, object] | None = None,
    ) -> Principal:
        """Creates (or, with a new code, replaces) the citizen's account."""
        problem = identity_number_problem(identity_number)
        if problem:
            raise InvalidRequestError(f"identityNumber: {problem}", code="identity.invalid")
        if not _PHONE.match(phone):
            raise InvalidRequestError("phone: a mainland mobile number of 11 digits", code="phone.invalid")
        password_hash = hash_password(password)
        try:
            signer = recover_signer(personal_message_digest(enrolment_message(code, wallet_address)), proof)
        except GrantFormatError as error:
            raise InvalidRequestError(f"walletProof: {error}", code="wallet.proof_invalid") from None
        if signer != wallet_address:
            raise InvalidRequestError(
                "walletProof: not signed by the wallet key being enrolled", code="wallet.proof_invalid"
            )
        backup = None
        if key_backup is not None:
            backup = json.dumps(key_backup, separators=(",", ":"), ensure_ascii=False)
            if len(backup) > _KEY_BACKUP_LIMIT:
                raise InvalidRequestError("keyBackup: at most 8 KiB", code="wallet.backup_too_large")
        lookup = self.context.hasher.identity(identity_number)
        now = self.clock()
        citizen = self.context.binding.citizen(identity_number)
        phone_hash = hmac.new(self.context.phones, phone.encode(), hashlib.sha256).digest()
        with self.engine.begin() as connection:
            claimed = connection.execute(
                sa.update(enrolment_codes)
                .where(
                    enrolment_codes.c.code_hash == self._code_hash(code),
                    enrolment_codes.c.lookup_hash == lookup,
                    enrolment_codes.c.used_at.is_(None),
                    enrolment_codes.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if claimed.rowcount != 1:
                raise InvalidRequestError(
                    "the enrolment code is wrong, used or expired for this identity number; "
                    "ask at a service counter for a new one",
                    code="enrolment.code_invalid",
                )
            existing = connection.execute(
                sa.select(citizen_accounts.c.id).where(citizen_accounts.c.citizen_id == citizen.id)
            ).scalar_one_or_none()
            phone_owner = connection.execute(
                sa.select(citizen_accounts.c.id).where(citizen_accounts.c.phone_hash == phone_hash)
            ).scalar_one_or_none()
            if phone_owner is not None and phone_owner != existing:
                raise ConflictError("the phone number belongs to another account", code="phone.taken")
            account_id = existing or new_id()
            values = {
                "phone_hash": phone_hash,
                "phone_box": encrypt_body(
                    citizen.data_key, phone.encode(), record_id=f"phone:{account_id}", version=1
                ),
                "password_hash": password_hash,
                "wallet_address": wallet_address,
                "key_backup": backup,
                "disabled_at": None,  # a new code from the counter opens an account closed by erasure
            }
            if existing is None:
                connection.execute(
                    sa.insert(citizen_accounts).values(
                        id=account_id, citizen_id=citizen.id, created_at=now, **values
                    )
                )
            else:
                connection.execute(
                    sa.update(citizen_accounts).where(citizen_accounts.c.id == account_id).values(**values)
                )
                connection.execute(
                    sa.update(sessions)
                    .where(sessions.c.subject == account_id, sessions.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                self._revoke_grants(connection, account_id, citizen.id, now)
        self.context.binding.bind(citizen.id, wallet_address)
        return Principal("citizen", account_id, citizen_id=citizen.id, wallet_address=wallet_address)

    def _revoke_grants(
        self,
        connection: sa.Connection,
        account_id: str,
        citizen_id: str,
        now: datetime,
        *,
        outcome: str = "re-enrolled",
    ) -> None:
        active = connection.execute(
            sa.select(grants.c.id, grants.c.unit_id, grants.c.document_root).where(
                grants.c.account_id == account_id, grants.c.revoked_at.is_(None)
            )
        ).all()
        if not active:
            return
        connection.execute(
            sa.update(grants).where(grants.c.id.in_([row.id for row in active])).values(revoked_at=now)
        )
        subject = self.context.pseudonyms.of(citizen_id)
        append_events(
            connection,
            [
                LogEvent("grant.revoked", subject, row.id, row.unit_id, row.document_root, outcome=outcome)
                for row in active
            ],
            now=now,
        )

    def _code_hash(self, code: str) -> bytes:
        key = self.context.hasher.derive("enrolment-codes")
        return hmac.new(key, normalize_code(code).encode(), hashlib.sha256).digest()

    # ---------------------------------------------------------------- erasure

    def erase(self, citizen_id: str) -> int:
        """Destroys the citizen's data key and, in the same commit, closes their account: every
        session ends, login is refused and every grant is revoked (logged as "erased"). Returns
        how many certificates became unreadable. A new enrolment code from the counter opens the
        account again, for certificates issued after the erasure."""
        now = self.clock()
        with self.engine.begin() as connection:
            count = erase_data_key(connection, citizen_id, now=now)
            account_id = connection.execute(
                sa.select(citizen_accounts.c.id).where(citizen_accounts.c.citizen_id == citizen_id)
            ).scalar_one_or_none()
            if account_id is not None:
                connection.execute(
                    sa.update(citizen_accounts)
                    .where(citizen_accounts.c.id == account_id)
                    .values(disabled_at=now)
                )
                connection.execute(
                    sa.update(sessions)
                    .where(sessions.c.subject == account_id, sessions.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                self._revoke_grants(connection, account_id, citizen_id, now, outcome="erased")
        return count

    # ---------------------------------------------------------------- logging in and out

    def login_citizen(self, login: str, password: str) -> Login:
        """A session for the citizen whose identity number or phone is `login`."""
        login = login.strip()
        with self.engine.connect() as connection:
            query = sa.select(citizen_accounts.c.id, citizen_accounts.c.password_hash).where(
                citizen_accounts.c.disabled_at.is_(None), _not_erased(citizen_accounts.c.citizen_id)
            )
            if _PHONE.match(login):
                phone_hash = hmac.new(self.context.phones, login.encode(), hashlib.sha256).digest()
                query = query.where(citizen_accounts.c.phone_hash == phone_hash)
                row = connection.execute(query).first()
            elif identity_number_problem(login.upper()) is None:
                query = query.join(citizens, citizens.c.id == citizen_accounts.c.citizen_id).where(
                    citizens.c.lookup_hash == self.context.hasher.identity(login.upper())
                )
                row = connection.execute(query).first()
            else:
                row = None  # neither a phone nor an identity number: nobody, at the same cost
        if not password_matches(row.password_hash if row else None, password) or row is None:
            raise AuthenticationError("wrong identity number, phone or password", code="auth.bad_credentials")
        return self._session(row.id, "citizen")

    def login_staff(self, username: str, password: str) -> Login:
        """A session for an operator or auditor."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(staff_accounts.c.id, staff_accounts.c.role, staff_accounts.c.password_hash).where(
                    staff_accounts.c.username == username, staff_accounts.c.disabled_at.is_(None)
                )
            ).first()
        if not password_matches(row.password_hash if row else None, password) or row is None:
            raise AuthenticationError("wrong username or password", code="auth.bad_credentials")
        return self._session(row.id, row.role)

    def _session(self, subject: str, role: str) -> Login:
        now = self.clock()
        session_id = new_id()
        token, expires = self.context.tokens.issue(subject=subject, role=role, session=session_id, now=now)
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(sessions).values(
                    id=session_id, subject=subject, role=role, created_at=now, expires_at=expires
                )
            )
        return Login(token, expires, role)

    def logout(self, principal: Principal) -> None:
        """Ends the caller's session: its token is refused from now on."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(sessions)
                .where(sessions.c.id == principal.session, sessions.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    # ---------------------------------------------------------------- who is calling

    def from_token(self, token: str) -> Principal:
        """The principal of a bearer token whose session is live; AuthenticationError otherwise."""
        now = self.clock()
        claims = self.context.tokens.check(token, now=now)
        with self.context.reader.connect() as connection:
            session = connection.execute(
                sa.select(
                    sessions.c.subject, sessions.c.role, sessions.c.expires_at, sessions.c.revoked_at
                ).where(sessions.c.id == claims.session)
            ).first()
            if (
                session is None
                or session.subject != claims.subject
                or session.role != claims.role
                or session.revoked_at is not None
                or session.expires_at <= now
            ):
                raise AuthenticationError("the session has ended: log in again", code="auth.session_ended")
            if claims.role != "citizen":
                return Principal(claims.role, claims.subject, session=claims.session)
            account = connection.execute(
                sa.select(citizen_accounts.c.citizen_id, citizen_accounts.c.wallet_address).where(
                    citizen_accounts.c.id == claims.subject,
                    citizen_accounts.c.disabled_at.is_(None),
                    _not_erased(citizen_accounts.c.citizen_id),
                )
            ).first()
        if account is None:
            raise AuthenticationError("the account is closed", code="auth.session_ended")
        return Principal(
            "citizen",
            claims.subject,
            session=claims.session,
            citizen_id=account.citizen_id,
            wallet_address=account.wallet_address,
        )

    def from_api_key(self, text: str) -> Principal:
        """The unit that owns this API key; AuthenticationError for any other key.

        A unit's key record is kept for a few seconds (`UnitKeyCache`): redemptions come in
        bursts from the same scanners. The secret itself is checked on every request.
        """
        keys = self.context.api_keys
        key_id, secret = keys.split(text)
        cached = self.context.unit_keys.get(key_id)
        if cached is None:
            with self.context.reader.connect() as connection:
                row = connection.execute(
                    sa.select(units.c.id, units.c.key_hash, units.c.credit_code, units.c.name).where(
                        units.c.key_id == key_id, units.c.disabled_at.is_(None)
                    )
                ).first()
            if row is None:
                raise AuthenticationError(
                    "the API key is not valid", code="auth.invalid_key", scheme="ApiKey"
                )
            cached = (Principal("unit", row.id, unit_code=row.credit_code, unit_name=row.name), row.key_hash)
            self.context.unit_keys.put(key_id, cached)
        principal, key_hash = cached
        if not keys.matches(secret, key_hash):
            raise AuthenticationError("the API key is not valid", code="auth.invalid_key", scheme="ApiKey")
        return principal

    # ---------------------------------------------------------------- the citizen's own account

    def profile(self, principal: Principal) -> AccountProfile:
        """The citizen's account as they see it: masked phone, wallet address, whether a backup exists."""
        with self.context.reader.connect() as connection:
            row = connection.execute(
                sa.select(
                    citizen_accounts.c.phone_box,
                    citizen_accounts.c.wallet_address,
                    citizen_accounts.c.key_backup,
                    citizen_accounts.c.created_at,
                ).where(citizen_accounts.c.id == principal.id)
            ).first()
        if row is None or principal.citizen_id is None:
            raise NotFoundError("no such account")
        data_key = self.context.binding.data_key(principal.citizen_id)
        phone = decrypt_body(data_key, row.phone_box, record_id=f"phone:{principal.id}", version=1).decode()
        return AccountProfile(
            id=principal.id,
            phone=phone[:3] + "****" + phone[-4:],
            wallet_address=row.wallet_address,
            has_key_backup=row.key_backup is not None,
            enrolled_at=row.created_at,
        )

    def key_backup(self, principal: Principal) -> dict[str, object]:
        """The citizen's encrypted key backup, as their device deposited it."""
        with self.context.reader.connect() as connection:
            backup = connection.execute(
                sa.select(citizen_accounts.c.key_backup).where(citizen_accounts.c.id == principal.id)
            ).scalar_one_or_none()
        if backup is None:
            raise NotFoundError("no key backup was deposited", code="wallet.no_backup")
        value = json.loads(backup)
        if not isinstance(value, dict):
            raise NotFoundError("no key backup was deposited", code="wallet.no_backup")
        return value


def _not_erased(citizen_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The citizen's data key is not destroyed: however the erasure was made (the wallet's own
    `erase` closes the account too), an erased citizen's sessions and logins are refused."""
    return ~sa.exists().where(data_keys.c.citizen_id == citizen_id, data_keys.c.wrapped_key.is_(None))


def random_reference(length: int = 16) -> str:
    """A short random reference for links: `length` base32 characters (5 bits each)."""
    return base64.b32encode(os.urandom((length * 5 + 7) // 8)).decode().lower()[:length]
