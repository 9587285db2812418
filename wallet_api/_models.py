"""The wallet service's tables. Personal data stays out of them: phones are encrypted under the
citizen's data key, identity numbers appear only as keyed hashes, and every id is random."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer import bytes_field, new_id, time_field


class CitizenAccount(SQLModel, table=True):
    """A citizen's wallet account: login secret, wallet key address, optional encrypted key backup."""

    __tablename__ = "citizen_accounts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    citizen_id: str = Field(foreign_key="citizens.id", unique=True, max_length=32)
    phone_hash: bytes = bytes_field(32, unique=True)
    phone_box: bytes = bytes_field()
    password_hash: str = Field(max_length=200)
    wallet_address: str = Field(max_length=42)
    key_backup: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    created_at: datetime = time_field()
    disabled_at: datetime | None = time_field(nullable=True)


class StaffAccount(SQLModel, table=True):
    """An operator or auditor of the bureau."""

    __tablename__ = "staff_accounts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    username: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=200)
    created_at: datetime = time_field()
    disabled_at: datetime | None = time_field(nullable=True)


class SessionRecord(SQLModel, table=True):
    """A login: a token is honoured while its session exists, has not expired and is not revoked."""

    __tablename__ = "sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    subject: str = Field(max_length=32, index=True)
    role: str = Field(max_length=16)
    created_at: datetime = time_field()
    expires_at: datetime = time_field()
    revoked_at: datetime | None = time_field(nullable=True)


class EnrolmentCode(SQLModel, table=True):
    """A one-time code an operator hands a citizen whose identity was checked at the counter."""

    __tablename__ = "enrolment_codes"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    lookup_hash: bytes = bytes_field(32)
    code_hash: bytes = bytes_field(32, unique=True)
    created_by: str = Field(max_length=32)
    created_at: datetime = time_field()
    expires_at: datetime = time_field()
    used_at: datetime | None = time_field(nullable=True)


class UnitRecord(SQLModel, table=True):
    """A receiving unit (employer, bank, department) with its API key's hash."""

    __tablename__ = "units"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    credit_code: str = Field(max_length=18, unique=True)
    key_id: str = Field(max_length=16, unique=True)
    key_hash: bytes = bytes_field(32)
    created_by: str = Field(max_length=32)
    created_at: datetime = time_field()
    disabled_at: datetime | None = time_field(nullable=True)


class GrantRecord(SQLModel, table=True):
    """A signed grant and its presentation, sealed under a key only the QR code carries."""

    __tablename__ = "grants"

    id: str = Field(primary_key=True, max_length=32)
    reference: str = Field(max_length=32, unique=True)
    account_id: str = Field(foreign_key="citizen_accounts.id", index=True, max_length=32)
    certificate_id: str = Field(foreign_key="certificates.id", index=True, max_length=32)
    document_root: bytes = bytes_field(32)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=32)
    fields: str = Field(max_length=4000)
    purpose: str = Field(max_length=200)
    expires_at: datetime = time_field()
    uses_total: int
    uses_left: int
    chain_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    ledger: str = Field(max_length=42)
    signature: bytes = bytes_field(65)
    sealed: bytes = bytes_field()
    created_at: datetime = time_field()
    revoked_at: datetime | None = time_field(nullable=True)
    last_used_at: datetime | None = time_field(nullable=True)


class RateBudget(SQLModel, table=True):
    """What is left of one client's budget for one kind of request, shared by every API process.

    `client` is a keyed hash of the address or id, so no address is stored. `tokens` is the
    count at `updated` (seconds since the epoch); the bucket refills from there. A row idle for a
    minute is full again, so rows are forgotten soon after.
    """

    __tablename__ = "rate_budgets"

    action: str = Field(primary_key=True, max_length=16)
    client: str = Field(primary_key=True, max_length=32)
    tokens: float
    updated: float


class StaffAction(SQLModel, table=True):
    """One entry of the staff audit trail: who did what, when (migration 0009).

    `subject` names what the action was about (a unit's id, a citizen's random id, a certificate
    number); `detail` is a JSON object of the rest. Nothing personal: no identity number, name or
    phone, and never an enrolment code or API key.
    """

    __tablename__ = "staff_actions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    at: datetime = time_field(index=True)
    staff_id: str = Field(foreign_key="staff_accounts.id", index=True, max_length=32)
    username: str = Field(max_length=64)
    action: str = Field(max_length=40)
    subject: str | None = Field(default=None, max_length=64)
    detail: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))


class PresentationRequest(SQLModel, table=True):
    """A unit's request at the scan stand (扫码墩), answered once by a citizen (migration 0010).

    `fields` is a JSON list of the field names asked for; `answer` is the grant's redemption
    token sealed to `collect_public` (only the unit's screen holds the private half), cleared once the unit
    has collected the verdict. Nothing personal.
    """

    __tablename__ = "presentation_requests"

    id: str = Field(primary_key=True, max_length=32)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=32)
    nonce: str = Field(max_length=64, unique=True)
    type_id: int | None = Field(default=None)
    fields: str = Field(max_length=4000)
    purpose: str = Field(max_length=200)
    grant_seconds: int
    uses: int
    collect_public: bytes = bytes_field(32)
    created_at: datetime = time_field()
    expires_at: datetime = time_field(index=True)
    answered_at: datetime | None = time_field(nullable=True)
    grant_id: str | None = Field(default=None, foreign_key="grants.id", max_length=32)
    answer: bytes | None = bytes_field(nullable=True)
    collected_at: datetime | None = time_field(nullable=True)


class UnitVerification(SQLModel, table=True):
    """One redemption a unit made, for its history and receipts (migration 0011).

    Nothing personal: the certificate by its document root and, when the holder disclosed it, its
    number; the disclosed fields by name only; the office by its registered name. `log_seq` is
    the access-log entry of the same redemption, written in the same transaction.
    """

    __tablename__ = "unit_verifications"
    __table_args__ = (sa.Index("ix_unit_verifications_unit_seq", "unit_id", "log_seq"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    unit_id: str = Field(foreign_key="units.id", max_length=32)
    at: datetime = time_field()
    grant_id: str = Field(foreign_key="grants.id", max_length=32)
    document_root: bytes = bytes_field(32)
    certificate_no: str | None = Field(default=None, max_length=40)
    type_key: str = Field(max_length=80)
    office_id: int
    office_name: str | None = Field(default=None, max_length=200)
    verdict: str = Field(max_length=16)
    decisive: str | None = Field(default=None, max_length=16)
    fields: str = Field(max_length=4000)
    log_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, unique=True))


class PrintCode(SQLModel, table=True):
    """A print grant: the citizen's signed consent that whoever holds the paper may read the
    printed fields by its 验证码 (migration 0012).

    The code is not stored: `id` is the grant id, the first 16 bytes of SHA-256 of the code, and
    `sealed` holds the presentation and the signed grant under a key derived from the code
    (`wallet_api._print_codes`). Nothing personal in clear.
    """

    __tablename__ = "print_codes"

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="citizen_accounts.id", index=True, max_length=32)
    certificate_id: str = Field(foreign_key="certificates.id", index=True, max_length=32)
    document_root: bytes = bytes_field(32)
    fields: str = Field(max_length=4000)
    expires_at: datetime = time_field()
    uses_left: int
    chain_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    ledger: str = Field(max_length=42)
    signature: bytes = bytes_field(65)
    sealed: bytes = bytes_field()
    created_at: datetime = time_field()
    revoked_at: datetime | None = time_field(nullable=True)
    last_used_at: datetime | None = time_field(nullable=True)


citizen_accounts: sa.Table = CitizenAccount.__table__  # type: ignore[attr-defined]
staff_accounts: sa.Table = StaffAccount.__table__  # type: ignore[attr-defined]
sessions: sa.Table = SessionRecord.__table__  # type: ignore[attr-defined]
enrolment_codes: sa.Table = EnrolmentCode.__table__  # type: ignore[attr-defined]
units: sa.Table = UnitRecord.__table__  # type: ignore[attr-defined]
grants: sa.Table = GrantRecord.__table__  # type: ignore[attr-defined]
rate_budgets: sa.Table = RateBudget.__table__  # type: ignore[attr-defined]
staff_actions: sa.Table = StaffAction.__table__  # type: ignore[attr-defined]
presentation_requests: sa.Table = PresentationRequest.__table__  # type: ignore[attr-defined]
unit_verifications: sa.Table = UnitVerification.__table__  # type: ignore[attr-defined]
print_codes: sa.Table = PrintCode.__table__  # type: ignore[attr-defined]
