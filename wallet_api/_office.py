"""The issuing office's desk: issue a records file with live progress. What the console's issuing
card does, over the same services as `certledger issue`.

A file arrives as a resumable upload (`wallet_api._uploads`) and is issued from there in a thread
of its own: the operator's connection may drop, the tab may close, and the issuance goes on. Its
state is kept beside the upload, so that the console can follow it again from any process of
the service; only one issuance of an upload runs at a time (a lock across processes). Issuing
is idempotent by certificate: a file issued again after a crash or a restart skips what was
already issued and issues the rest. The upload's bytes are removed once its issuance is done.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import sqlalchemy as sa

from issuer import (
    BatchState,
    IntakeError,
    IssueReport,
    RefusedRows,
    Rejection,
    batches,
    certificates,
    documents_from_file,
)
from ledger import CertificateType, CertificateTypeError
from wallet_api._context import WalletContext
from wallet_api._errors import ConflictError, InvalidRequestError, NotFoundError
from wallet_api._principal import Principal
from wallet_api._staff_trail import StaffActionKind, record_staff_action
from wallet_api._uploads import Upload, UploadStore, is_upload_id, try_lock, write_atomically

log = logging.getLogger("certledger.office")

PROGRESS_EVERY = 0.25  # seconds between progress events
ANCHOR_WAIT = 300.0  # seconds the stream follows the anchoring before it hands over to the worker
_INTERNAL_ZH = "出具中断，请查看服务日志；再次出具该文件时，已出具的证明会跳过。"
SHOWN_REFUSALS = 1000  # refused rows the progress stream names; all are in the refused-rows file
_IN = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class IssuanceStarted:
    """The file is taken: the type its records are issued as, its size in bytes, and the upload
    the console follows it by (and downloads its refused rows from)."""

    kind: ClassVar[str] = "started"
    type: str
    total: int
    upload: str


@dataclass(frozen=True, slots=True)
class IssuanceProgress:
    """How far the issuance has read: bytes of the file's `total`, documents, refused so far."""

    kind: ClassVar[str] = "progress"
    bytes: int
    total: int
    read: int
    refused: int


@dataclass(frozen=True, slots=True)
class IssuanceRejected:
    """One refused certificate: where it is (its line, or its sheet and row), its number when
    known, the first column at fault (its name in the file, its label from the schema, its value
    masked when personal), a stable code, and why in English (`reason`) and in Chinese
    (`reason_zh`, e.g. ``费款所属期 2025-13 不是有效的月份``)."""

    kind: ClassVar[str] = "rejected"
    line: int
    number: str | None
    reason: str
    reason_zh: str = ""
    sheet: str | None = None
    code: str | None = None
    column: str | None = None
    label: str | None = None
    value: str | None = None

    @classmethod
    def of(cls, rejection: Rejection) -> IssuanceRejected:
        """The event of the issuer's refusal (nothing unmasked: its rows stay behind)."""
        return cls(
            rejection.line,
            rejection.number,
            rejection.reason,
            rejection.reason_zh,
            rejection.sheet,
            rejection.code,
            rejection.column or None,
            rejection.label or None,
            rejection.value,
        )


@dataclass(frozen=True, slots=True)
class IssuanceIssued:
    """What the file came to: documents read, issued, issued by an earlier run, refused."""

    kind: ClassVar[str] = "issued"
    read: int
    issued: int
    already_issued: int
    refused: int


@dataclass(frozen=True, slots=True)
class IssuanceAnchoring:
    """How many of the new certificates the anchoring worker has anchored so far."""

    kind: ClassVar[str] = "anchoring"
    anchored: int
    total: int


@dataclass(frozen=True, slots=True)
class IssuanceDone:
    """The end: certificates issued, and how many were anchored while the issuance followed."""

    kind: ClassVar[str] = "done"
    issued: int
    anchored: int


@dataclass(frozen=True, slots=True)
class IssuanceFailed:
    """The issuance stopped: a stable code and what to tell the operator."""

    kind: ClassVar[str] = "error"
    code: str
    detail: str
    detail_zh: str = ""


IssuanceEvent = (
    IssuanceStarted
    | IssuanceProgress
    | IssuanceRejected
    | IssuanceIssued
    | IssuanceAnchoring
    | IssuanceDone
    | IssuanceFailed
)
_Events = queue.Queue[IssuanceEvent | None]


@dataclass(slots=True)
class IssuanceState:
    """Where an upload's issuance stands, as kept beside the upload for anyone following it.

    `phase` is ``reading`` (validating and storing), ``anchoring``, ``done`` or ``failed``.
    """

    type: str
    total: int
    phase: str = "reading"
    bytes: int = 0
    read: int = 0
    refused: int = 0
    issued: int | None = None
    already_issued: int = 0
    anchored: int = 0
    anchor_total: int = 0
    error: dict[str, str] | None = field(default=None)

    @property
    def over(self) -> bool:
        """Whether the issuance has ended, done or failed."""
        return self.phase in ("done", "failed")


class _Tracker:
    """Hands an issuance's events to the live stream, keeps its state beside the upload (at most
    every `PROGRESS_EVERY`, and at once when a phase ends), and writes every refused row."""

    def __init__(self, store: UploadStore, upload: Upload, state: IssuanceState, events: _Events) -> None:
        self.store = store
        self.upload = upload
        self.state = state
        self.events = events
        self.written = 0.0
        self.refusals = store.companion(upload.id, "refused.jsonlines").open("w", encoding="utf-8")

    def put(self, event: IssuanceEvent) -> None:
        state = self.state
        force = True
        if isinstance(event, IssuanceProgress):
            state.bytes, state.read, state.refused = event.bytes, event.read, event.refused
            force = False
        elif isinstance(event, IssuanceRejected):
            state.refused += 1
            if state.refused > SHOWN_REFUSALS:
                return  # counted; the refused-rows file has it
            self.refusals.write(json.dumps(asdict(event), ensure_ascii=False) + "\n")
            force = False
        elif isinstance(event, IssuanceIssued):
            state.read, state.issued, state.refused = event.read, event.issued, event.refused
            state.already_issued = event.already_issued
            state.phase = "anchoring"
            self.refusals.flush()
        elif isinstance(event, IssuanceAnchoring):
            state.anchored, state.anchor_total = event.anchored, event.total
            force = False
        elif isinstance(event, IssuanceDone):
            state.phase, state.anchored = "done", event.anchored
        elif isinstance(event, IssuanceFailed):
            state.phase = "failed"
            state.error = {"code": event.code, "detail": event.detail, "detail_zh": event.detail_zh}
        self.events.put(event)
        self.save(force=force)

    def save(self, *, force: bool) -> None:
        now = time.monotonic()
        if force or now - self.written >= PROGRESS_EVERY:
            self.written = now
            self.store.touch(self.upload.id)
            path = self.store.companion(self.upload.id, "issuance.json")
            write_atomically(path, json.dumps(asdict(self.state)).encode())

    def close(self) -> None:
        self.refusals.close()


class _Reading:
    """Counts what an issuance has read (bytes, documents, refusals) and reports it to the tracker,
    at most every `PROGRESS_EVERY`; keeps each refusal's rows for the refused-rows file."""

    def __init__(self, tracker: _Tracker, size: int, refused_rows: RefusedRows) -> None:
        self.tracker = tracker
        self.size = size
        self.refused_rows = refused_rows
        self.bytes = self.documents = self.refused = 0
        self.last = 0.0

    def report(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_EVERY:
            self.last = now
            self.tracker.put(IssuanceProgress(self.bytes, self.size, self.documents, self.refused))

    def on_bytes(self, count: int) -> None:
        self.bytes += count
        self.report()

    def on_documents(self, count: int) -> None:
        self.documents += count
        self.report()

    def on_rejection(self, rejection: Rejection) -> None:
        self.refused += 1
        self.refused_rows.add(rejection)
        self.tracker.put(IssuanceRejected.of(rejection))

    def finish(self) -> None:
        self.bytes = self.size
        self.report(force=True)


class OfficeDesk:
    """Issuance of records files for operators."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    @property
    def uploads(self) -> UploadStore:
        """The resumable uploads, in the data folder."""
        settings = self.context.settings
        return UploadStore(
            settings.data_dir / "uploads", max_size=settings.max_upload_bytes, clock=self.context.clock
        )

    # ------------------------------------------------------------------ issuing a file

    def certificate_type(self, reference: str) -> CertificateType:
        """The type `reference` names (name, name/vN or id), or a refusal naming the field."""
        try:
            return self.context.catalog.find(reference)
        except CertificateTypeError as error:
            raise InvalidRequestError(f"type: {error}", code="issuance.unknown_type") from None

    def receive(self, staff: str, filename: str, chunks: Iterator[bytes]) -> Upload:
        """Stores a records file sent whole (not resumable) as an upload, for the issuance to read."""
        store = self.uploads
        upload = store.open(staff, filename, 0, os.urandom(16).hex())
        # Its size is only known once it is here: it is described as it arrives.
        path = store.path(upload)
        with path.open("wb") as handle:
            size = 0
            for chunk in chunks:
                size += len(chunk)
                if size > store.max_size:
                    handle.close()
                    store.remove(upload)
                    raise InvalidRequestError(
                        f"file: the most an upload may have is {store.max_size} bytes"
                        " (CERTLEDGER_MAX_UPLOAD_BYTES)",
                        code="upload.too_large",
                    )
                handle.write(chunk)
        return store.resize(upload, size)

    def issue(self, upload_id: str, type_reference: str, *, operator: Principal) -> Iterator[IssuanceEvent]:
        """Issues the records of the complete upload `upload_id`, yielding its progress.

        Events, in order: ``started``; ``progress`` (bytes read, documents read, refused);
        ``rejected`` for each of the first `SHOWN_REFUSALS` refused rows, with its line and
        reason (every one is in the refused-rows file); ``issued`` (the counts); ``anchoring``
        as the worker anchors the new certificates; ``done`` — or ``error``. The work goes on in
        its own thread: a client that goes away does not stop it, and `follow` picks it up
        again. The type, the upload and the lock are checked at once, before anything is sent.
        """
        certificate_type = self.certificate_type(type_reference)
        store = self.uploads
        upload = store.get(upload_id)
        if not upload.complete:
            raise ConflictError(
                f"the upload holds {upload.received} of its {upload.size} bytes; send the rest first",
                code="upload.incomplete",
            )
        lock = try_lock(store.companion(upload.id, "issuance-lock"))
        if lock is None:
            raise ConflictError(
                "this file is being issued already; follow its progress instead", code="issuance.running"
            )
        events: _Events = queue.Queue()
        tracker = _Tracker(store, upload, IssuanceState(certificate_type.key, upload.size), events)

        def run() -> None:
            try:
                self._run(store, upload, certificate_type, tracker, operator)
            finally:
                tracker.close()
                lock.__exit__()
                events.put(None)

        def stream() -> Iterator[IssuanceEvent]:
            threading.Thread(target=run, name="office-issuance", daemon=True).start()
            while (event := events.get()) is not None:
                yield event

        return stream()

    def follow(self, upload_id: str) -> Iterator[IssuanceEvent]:
        """The progress of upload `upload_id`'s issuance, running in this process or another, from
        where it stands now to its end: ``started``, the first refused rows, then as `issue`.
        An issuance whose process went away before it ended is reported as interrupted."""
        store = self.uploads
        state = self._state(store, upload_id)
        if state is None:
            raise NotFoundError("this upload has not been issued yet", code="issuance.not_started")

        def stream(state: IssuanceState) -> Iterator[IssuanceEvent]:
            yield IssuanceStarted(state.type, state.total, upload_id)
            yield from self._shown_refusals(store, upload_id)
            told: set[object] = set()
            while True:
                for event in _events_of(state):
                    if event not in told:
                        told.add(event)
                        yield event
                if state.over:
                    return
                if self._abandoned(store, upload_id):
                    again = self._state(store, upload_id)
                    if again is not None and again.over:  # it ended as we looked
                        state = again
                        continue
                    yield IssuanceFailed(
                        "issuance.interrupted",
                        "the issuance stopped before it ended (the service restarted); issue the file"
                        " again: what was issued is skipped, the rest is issued",
                        "出具在完成前中断（服务曾重启）。请再次出具该文件：已出具的证明会跳过，其余继续出具。",
                    )
                    return
                time.sleep(PROGRESS_EVERY)
                state = self._state(store, upload_id) or state

        return stream(state)

    def refused_rows(self, upload_id: str) -> Path:
        """The file of the rows the issuance of `upload_id` refused, as the operator sent them
        (unmasked: theirs), each with its line and reason in Chinese, ready to fix and send again:
        CSV (UTF-8 with a byte-order mark) for a CSV or workbook, JSON Lines for JSON Lines."""
        if is_upload_id(upload_id):
            for suffix in (".csv", ".jsonl"):
                path = self.uploads.companion(upload_id, f"refused-rows{suffix}")
                if path.is_file():
                    return path
        raise NotFoundError(
            "no refused rows are kept for this upload: it refused none, it is still being issued,"
            " or a week has passed",
            code="issuance.no_refusals",
        )

    def _state(self, store: UploadStore, upload_id: str) -> IssuanceState | None:
        if not is_upload_id(upload_id):
            raise NotFoundError("no such upload", code="upload.not_found")
        try:
            return IssuanceState(**json.loads(store.companion(upload_id, "issuance.json").read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def _abandoned(self, store: UploadStore, upload_id: str) -> bool:
        lock = try_lock(store.companion(upload_id, "issuance-lock"))
        if lock is None:
            return False
        lock.__exit__()
        return True

    def _shown_refusals(self, store: UploadStore, upload_id: str) -> Iterator[IssuanceRejected]:
        try:
            with store.companion(upload_id, "refused.jsonlines").open(encoding="utf-8") as lines:
                for _, line in zip(range(SHOWN_REFUSALS), lines, strict=False):
                    yield IssuanceRejected(**json.loads(line))
        except (FileNotFoundError, ValueError, TypeError):
            return

    def _run(
        self,
        store: UploadStore,
        upload: Upload,
        certificate_type: CertificateType,
        tracker: _Tracker,
        operator: Principal,
    ) -> None:
        """The issuance of one upload, reporting to `tracker`; the upload's bytes go when done."""
        path = store.path(upload)
        refused_rows = RefusedRows(path, certificate_type)
        reading = _Reading(tracker, upload.size, refused_rows)
        try:
            refused_rows.__enter__()
            tracker.put(IssuanceStarted(certificate_type.key, upload.size, upload.id))
            records = documents_from_file(
                path,
                certificate_type,
                schema_directories=(self.context.settings.data_dir / "schemas",),
                progress=reading.on_bytes,
                parallel=False,
            )
            outcome = self.context.issuance().issue(
                records, certificate_type, progress=reading.on_documents, on_rejection=reading.on_rejection
            )
            reading.finish()
            self._record(operator, upload, certificate_type, outcome)
            tracker.put(IssuanceIssued(outcome.read, outcome.issued, outcome.already_issued, outcome.refused))
            if refused_rows.count:  # before the upload goes: it may read the rows again from it
                refused_rows.write(store.companion(upload.id, f"refused-rows{refused_rows.suffix}"))
            store.remove(upload)  # issued: sending it again skips every certificate anyway
            anchored = self._follow_anchoring(outcome.issued_ids, tracker)
            tracker.put(IssuanceDone(outcome.issued, anchored))
        except IntakeError as error:
            tracker.put(IssuanceFailed("issuance.bad_file", str(error), error.reason_zh))
            store.remove(upload)
        except Exception:
            log.exception("issuing a records file failed")
            tracker.put(IssuanceFailed("internal", "the issuance stopped; see the service log", _INTERNAL_ZH))
        finally:
            refused_rows.close()

    def _record(
        self, operator: Principal, upload: Upload, certificate_type: CertificateType, outcome: IssueReport
    ) -> None:
        """The issuance in the staff trail and the log: by the upload's id, never the file's name
        (it may name a person)."""
        log.info(
            "issued a records file",
            extra={
                "fields": {"issued": outcome.issued, "refused": outcome.refused, "type": certificate_type.key}
            },
        )
        with self.context.engine.begin() as connection:
            record_staff_action(
                connection,
                operator,
                StaffActionKind.FILE_ISSUED,
                upload.id,
                {
                    "type": certificate_type.key,
                    "read": outcome.read,
                    "issued": outcome.issued,
                    "alreadyIssued": outcome.already_issued,
                    "refused": outcome.refused,
                },
                at=self.context.clock(),
            )

    def _follow_anchoring(self, ids: list[str], tracker: _Tracker) -> int:
        """Reports how many of `ids` are anchored until all are, or the wait runs out.

        The worker anchors in the order certificates were issued, so only the front of what is
        not yet known anchored is asked about each time: following a million costs about as
        many lookups as anchoring them, not a million a poll."""
        waiting = list(reversed(ids))  # the front at the end, where popping is cheap
        anchored = 0
        deadline = time.monotonic() + ANCHOR_WAIT
        while True:
            anchored += self._pop_anchored(waiting)
            tracker.put(IssuanceAnchoring(anchored, len(ids)))
            if not waiting or time.monotonic() > deadline:
                return anchored
            time.sleep(0.3)

    def _pop_anchored(self, waiting: list[str]) -> int:
        """Removes the anchored ones from the end of `waiting`, a slice at a time, until a slice
        holds none; how many were removed."""
        popped = 0
        while waiting:
            front = waiting[-_IN:]
            done = self._anchored(front)
            if not done:
                return popped
            waiting[-_IN:] = [number for number in front if number not in done]
            popped += len(done)
        return popped

    def _anchored(self, ids: list[str]) -> set[str]:
        """Which of `ids` are in an anchored batch. Two lookups by primary key, not a join: on
        SQLite a join may start from the batches' state index and read every certificate of
        every anchored batch (a million, once per poll, for a month's export)."""
        with self.context.reader.connect() as connection:
            placed = connection.execute(
                sa.select(certificates.c.id, certificates.c.batch_id).where(
                    certificates.c.id.in_(ids), certificates.c.batch_id.is_not(None)
                )
            ).all()
            batch_ids = {row.batch_id for row in placed}
            anchored = (
                set(
                    connection.execute(
                        sa.select(batches.c.id).where(
                            batches.c.id.in_(batch_ids), batches.c.state == BatchState.ANCHORED
                        )
                    ).scalars()
                )
                if batch_ids
                else set()
            )
        return {row.id for row in placed if row.batch_id in anchored}


def _events_of(state: IssuanceState) -> Iterator[IssuanceEvent]:
    """The events that say where `state` stands."""
    yield IssuanceProgress(state.bytes, state.total, state.read, state.refused)
    if state.issued is not None:
        yield IssuanceIssued(state.read, state.issued, state.already_issued, state.refused)
    if state.phase in ("anchoring", "done") and state.anchor_total:
        yield IssuanceAnchoring(state.anchored, state.anchor_total)
    if state.phase == "done":
        yield IssuanceDone(state.issued or 0, state.anchored)
    if state.phase == "failed" and state.error:
        yield IssuanceFailed(state.error["code"], state.error["detail"], state.error.get("detail_zh", ""))
