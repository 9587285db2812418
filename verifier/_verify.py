"""One pipeline for certificates, presentations and credentials: seven checks, in order.

1. format — the document parses, its type and schema version are known, its claims match;
2. fields — every disclosed field with its salt hashes to a commitment, and they hash to the root;
3. inclusion — the root at its index hashes up to the batch root by the proof;
4. anchor — that batch root is anchored on the configured ledger, as the batch the document names;
5. issuer — the key that anchored it could issue that type for that office at that time;
6. status — the certificate is neither revoked nor suspended at the latest block;
7. validity — today is within the certificate's validity period.

The first three and the last need only the document; four to six need the chain. A check that
fails makes the verdict INVALID; a chain that cannot answer makes it INDETERMINATE — never VALID,
and never INVALID for a certificate the chain would have confirmed. After a check fails or
cannot be decided, the checks that depend on it are reported as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ledger import (
    BEIJING,
    CERTIFICATE_FORMAT,
    PRESENTATION_FORMAT,
    Batch,
    CanonicalJSONError,
    Certificate,
    CertificateStatus,
    CertificateType,
    CertificateTypeError,
    Clock,
    DocumentFormatError,
    Presentation,
    TypeCatalog,
    batch_depth,
    batch_root_from_proof,
    beijing_date,
    certificate_from_vc,
    is_vc,
    parse_json,
    system_clock,
)
from verifier._chain import ChainView
from verifier._errors import ChainReadError
from verifier._results import CHECKS, Check, CheckStatus, Verification, verdict_of

Document = Certificate | Presentation

_CHAIN_CHECKS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class _Context:
    """What earlier checks learned, for later ones."""

    document: Document
    certificate_type: CertificateType
    batch: Batch | None = None


def read_document(value: Any, *, catalog: TypeCatalog) -> tuple[Document, str]:
    """A certificate, presentation or credential from parsed JSON, and which kind it is; a
    credential's envelope is checked against its certificate's type in `catalog`."""
    if is_vc(value):
        return certificate_from_vc(value, catalog=catalog), "credential"
    if isinstance(value, dict) and value.get("format") == PRESENTATION_FORMAT:
        return Presentation.from_json(value), "presentation"
    if isinstance(value, dict) and value.get("format") == CERTIFICATE_FORMAT:
        return Certificate.from_json(value), "certificate"
    raise DocumentFormatError(
        "not a certledger certificate, presentation or Verifiable Credential (no known format field)"
    )


class Verifier:
    """Checks documents against one ledger and one set of certificate types."""

    def __init__(
        self,
        chain: ChainView,
        catalog: TypeCatalog | None = None,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.chain = chain
        self.catalog = catalog or TypeCatalog.load()
        self.clock = clock
        # The anchor and issuer checks of a batch are the same for each of its certificates until
        # the head moves: kept per (head, batch, what the document claims), never across blocks.
        self._chain_checks: dict[tuple[Any, ...], tuple[Check, Any]] = {}

    def verify_many(self, values: list[Any]) -> list[Verification]:
        """Verdicts on many documents against one head, with all their statuses read in one call."""
        anchored = []
        for value in values:
            try:
                document = (
                    value
                    if isinstance(value, Certificate | Presentation)
                    else read_document(value, catalog=self.catalog)[0]
                )
            except DocumentFormatError:
                continue
            if document.anchor is not None:
                anchored.append((document.anchor.batch_root, document.anchor.index))
        try:
            with self.chain.pinned():
                batches = [self.chain.batch(root) for root in dict.fromkeys(root for root, _ in anchored)]
                known = {batch.root: batch.count for batch in batches if batch is not None}
                self.chain.prefetch_statuses([(r, i) for r, i in anchored if r in known and i < known[r]])
                return [self.verify(value) for value in values]
        except ChainReadError:
            return [self.verify(value) for value in values]  # each one reports it

    def verify_text(self, text: str | bytes) -> Verification:
        """The verdict on a document's JSON text; text that is not JSON fails the format check."""
        try:
            value = parse_json(text)
        except CanonicalJSONError as error:
            return self._finish(
                [Check("format", CheckStatus.FAILED, f"not a JSON document: {error}")], "unknown", {}
            )
        return self.verify(value)

    def verify(self, value: Any) -> Verification:
        """The verdict on `value`: a parsed certificate, presentation or credential (or one of
        those objects already read)."""
        checks: list[Check] = []
        kind = "unknown"
        disclosed: Mapping[str, Any] = {}
        try:
            if isinstance(value, Certificate | Presentation):
                document, kind = value, "certificate" if isinstance(value, Certificate) else "presentation"
            else:
                document, kind = read_document(value, catalog=self.catalog)
        except DocumentFormatError as error:
            checks.append(Check("format", CheckStatus.FAILED, str(error)))
            return self._finish(checks, kind, disclosed)
        disclosed = document.claims
        format_check, certificate_type = self._format(document, kind)
        checks.append(format_check)
        if certificate_type is None or format_check.status is not CheckStatus.PASSED:
            return self._finish(checks, kind, disclosed)
        context = _Context(document, certificate_type)
        for step in (self._fields, self._inclusion):
            check = step(context)
            checks.append(check)
            if check.status is not CheckStatus.PASSED:
                return self._finish(checks, kind, disclosed, certificate_type)
        office_name = None
        try:
            head = self.chain.head()
            if len(self._chain_checks) > _CHAIN_CHECKS_KEPT:
                self._chain_checks.clear()
            anchor_check, context = self._anchor_at(head, context)
            checks.append(anchor_check)
            if anchor_check.status is CheckStatus.PASSED:
                issuer_check, office_name = self._issuer_at(head, context)
                checks.append(issuer_check)
                if issuer_check.status is CheckStatus.PASSED:
                    checks.append(self._status(context))
        except ChainReadError as error:
            reached = {check.name for check in checks}
            pending = [name for name in ("anchor", "issuer", "status") if name not in reached]
            checks.append(Check(pending[0], CheckStatus.UNKNOWN, f"cannot be decided: {error}"))
        checks.append(self._validity(context))
        return self._finish(checks, kind, disclosed, certificate_type, office_name)

    # ---------------------------------------------------------------- document-only checks

    def _format(self, document: Document, kind: str) -> tuple[Check, CertificateType | None]:
        header = document.header
        try:
            certificate_type = self.catalog.get(header.type_id, header.version)
        except CertificateTypeError as error:
            return Check("format", CheckStatus.FAILED, str(error), {"type": header.type_id}), None
        details = {"kind": kind, "type": certificate_type.key, "typeId": header.type_id}
        if document.anchor is None:
            return Check(
                "format", CheckStatus.FAILED, "the document carries no anchor: not issued yet", details
            ), None
        if isinstance(document, Certificate):
            problems = certificate_type.problems(dict(document.claims))
        else:
            problems = certificate_type.field_problems(document.claims)
        if problems:
            reason = f"the claims do not match {certificate_type.key}: " + "; ".join(
                str(p) for p in problems[:3]
            )
            return Check("format", CheckStatus.FAILED, reason, details), certificate_type
        return Check(
            "format", CheckStatus.PASSED, f"a {kind} of {certificate_type.key}", details
        ), certificate_type

    def _fields(self, context: _Context) -> Check:
        document = context.document
        field_count = len(context.certificate_type.fields)
        commitments = (
            len(document.claims) + len(document.decoys)
            if isinstance(document, Certificate)
            else len(document.disclosed) + len(document.hidden)
        )
        try:
            computed = document.computed_root()
        except DocumentFormatError as error:
            return Check("fields", CheckStatus.FAILED, str(error))
        details = {
            "disclosed": sorted(document.claims),
            "commitments": commitments,
            "computed": "0x" + computed.hex(),
            "expected": "0x" + document.root.hex(),
        }
        if commitments != field_count:
            reason = (
                f"{commitments} commitments where {context.certificate_type.key} has {field_count} fields"
            )
            return Check("fields", CheckStatus.FAILED, reason, details)
        if computed != document.root:
            return Check("fields", CheckStatus.FAILED, "the fields do not hash to the document root", details)
        shown = len(document.claims)
        return Check(
            "fields", CheckStatus.PASSED, f"{shown} disclosed field(s) hash to the document root", details
        )

    def _inclusion(self, context: _Context) -> Check:
        anchor = context.document.anchor
        assert anchor is not None  # checked by format  # noqa: S101
        details: dict[str, Any] = {
            "index": anchor.index,
            "count": anchor.count,
            "batchRoot": "0x" + anchor.batch_root.hex(),
        }
        expected_depth = batch_depth(anchor.count)
        if len(anchor.proof) != expected_depth:
            steps = len(anchor.proof)
            reason = f"the proof has {steps} steps where a batch of {anchor.count} needs {expected_depth}"
            return Check("inclusion", CheckStatus.FAILED, reason, details)
        computed = batch_root_from_proof(context.document.root, anchor.index, anchor.proof)
        details["computed"] = "0x" + computed.hex()
        if computed != anchor.batch_root:
            reason = "the document root and its index do not hash up to the batch root"
            return Check("inclusion", CheckStatus.FAILED, reason, details)
        return Check(
            "inclusion",
            CheckStatus.PASSED,
            f"certificate {anchor.index} of a batch of {anchor.count}",
            details,
        )

    def _validity(self, context: _Context) -> Check:
        header = context.document.header
        today = beijing_date(self.clock())
        details = {"today": today.isoformat(), "issued": header.issued, "validUntil": header.valid_until}
        if today < date.fromisoformat(header.issued):
            return Check("validity", CheckStatus.FAILED, f"not valid before {header.issued}", details)
        if header.valid_until is not None and today > date.fromisoformat(header.valid_until):
            return Check("validity", CheckStatus.FAILED, f"expired on {header.valid_until}", details)
        until = f"until {header.valid_until}" if header.valid_until else "without an end date"
        return Check("validity", CheckStatus.PASSED, f"valid from {header.issued} {until}", details)

    # ---------------------------------------------------------------- chain checks

    def _anchor_at(self, head: int, context: _Context) -> tuple[Check, _Context]:
        anchor = context.document.anchor
        assert anchor is not None  # noqa: S101
        key = (
            "anchor",
            head,
            anchor.batch_root,
            anchor.batch_id,
            anchor.count,
            anchor.chain_id,
            anchor.ledger,
        )
        kept = self._chain_checks.get(key)
        if kept is None:
            check, found = self._anchor(context)
            kept = self._chain_checks[key] = (check, found.batch)
        return kept[0], _Context(context.document, context.certificate_type, kept[1])

    def _issuer_at(self, head: int, context: _Context) -> tuple[Check, str | None]:
        batch = context.batch
        header = context.document.header
        assert batch is not None  # noqa: S101
        key = ("issuer", head, batch.root, header.office_id, header.type_id)
        kept = self._chain_checks.get(key)
        if kept is None:
            kept = self._chain_checks[key] = self._issuer(context)
        return kept[0], kept[1]

    def _anchor(self, context: _Context) -> tuple[Check, _Context]:
        anchor = context.document.anchor
        assert anchor is not None  # noqa: S101
        chain = self.chain
        details: dict[str, Any] = {
            "chainId": chain.chain_id,
            "ledger": chain.ledger,
            "batchId": anchor.batch_id,
        }
        if anchor.chain_id != chain.chain_id or anchor.ledger != chain.ledger:
            reason = (
                f"the document names ledger {anchor.ledger} on chain {anchor.chain_id}; "
                f"this verifier trusts ledger {chain.ledger} on chain {chain.chain_id}"
            )
            return Check("anchor", CheckStatus.FAILED, reason, details), context
        batch = chain.batch(anchor.batch_root)
        if batch is None:
            return Check(
                "anchor", CheckStatus.FAILED, "the batch root is not anchored on the ledger", details
            ), context
        details.update(
            {
                "batchId": batch.batch_id,
                "block": batch.anchored_block,
                "anchoredAt": _iso(batch.anchored_at),
                "count": batch.count,
            }
        )
        if batch.batch_id != anchor.batch_id or batch.count != anchor.count:
            reason = (
                f"the root is batch {batch.batch_id} of {batch.count}; "
                f"the document says batch {anchor.batch_id} of {anchor.count}"
            )
            return Check("anchor", CheckStatus.FAILED, reason, details), context
        transaction = chain.anchoring_transaction(anchor.batch_root, batch.anchored_block)
        details["transaction"] = "0x" + transaction.hex() if transaction else None
        reason = f"batch {batch.batch_id}, block {batch.anchored_block}, {_iso(batch.anchored_at)}"
        return Check("anchor", CheckStatus.PASSED, reason, details), _Context(
            context.document, context.certificate_type, batch
        )

    def _issuer(self, context: _Context) -> tuple[Check, str | None]:
        batch = context.batch
        assert batch is not None  # noqa: S101
        header = context.document.header
        chain = self.chain
        office = chain.office(batch.office_id)
        name = office.display_name if office else None
        key = chain.key_by_id(batch.key_id)
        details: dict[str, Any] = {
            "officeId": batch.office_id,
            "office": name,
            "key": key,
            "keyId": batch.key_id,
            "typeId": batch.type_id,
            "anchoredAt": _iso(batch.anchored_at),
        }
        if header.office_id != batch.office_id or header.type_id != batch.type_id:
            reason = (
                f"the batch was anchored by office {batch.office_id} for type {batch.type_id}; "
                f"the document claims office {header.office_id}, type {header.type_id}"
            )
            return Check("issuer", CheckStatus.FAILED, reason, details), name
        if key is None or office is None:
            return Check(
                "issuer", CheckStatus.FAILED, "the anchoring key or office is not in the registry", details
            ), name
        if not chain.is_authorized(key, batch.office_id, batch.type_id, batch.anchored_at):
            why = _unauthorized_reason(office, batch)
            return Check("issuer", CheckStatus.FAILED, why, details), name
        reason = f"{name} (office {batch.office_id}), key {key} valid when it anchored"
        return Check("issuer", CheckStatus.PASSED, reason, details), name

    def _status(self, context: _Context) -> Check:
        anchor = context.document.anchor
        assert anchor is not None  # noqa: S101
        head = self.chain.head()
        status = self.chain.status(anchor.batch_root, anchor.index)
        details = {"status": status.name.lower(), "block": head}
        if status is CertificateStatus.REVOKED:
            return Check("status", CheckStatus.FAILED, f"revoked (as of block {head})", details)
        if status is CertificateStatus.SUSPENDED:
            return Check("status", CheckStatus.FAILED, f"suspended (as of block {head})", details)
        return Check(
            "status", CheckStatus.PASSED, f"neither revoked nor suspended as of block {head}", details
        )

    def _finish(
        self,
        checks: list[Check],
        kind: str,
        disclosed: Mapping[str, Any],
        certificate_type: CertificateType | None = None,
        office_name: str | None = None,
    ) -> Verification:
        if len(checks) == len(CHECKS) and all(c.name == n for c, n in zip(checks, CHECKS, strict=True)):
            ordered = tuple(checks)  # every check ran, in order: the usual case
        else:
            reached = {check.name for check in checks}
            full = list(checks)
            for name in CHECKS:
                if name not in reached:
                    full.append(
                        Check(name, CheckStatus.SKIPPED, "not checked: an earlier check did not pass")
                    )
            ordered = tuple(sorted(full, key=lambda check: CHECKS.index(check.name)))
        return Verification(
            verdict=verdict_of(ordered),
            checks=ordered,
            kind=kind,
            disclosed=dict(disclosed),
            office_name=office_name,
            type_name=certificate_type.key if certificate_type else None,
        )


def _unauthorized_reason(office: Any, batch: Batch) -> str:
    if office.suspended_from is not None and batch.anchored_at >= office.suspended_from:
        return (
            f"the office is distrusted since {_iso(office.suspended_from)}, "
            f"before this batch was anchored ({_iso(batch.anchored_at)})"
        )
    return (
        f"the anchoring key was not allowed to issue type {batch.type_id} for office {batch.office_id} "
        f"at {_iso(batch.anchored_at)} (retired, not yet valid, or the type was withdrawn)"
    )


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, BEIJING).isoformat(timespec="seconds")
