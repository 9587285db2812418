"""The issuing office's desk: issue a records file with live progress. What the console's issuing
card does, over the same services as `certledger issue`."""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import sqlalchemy as sa

from issuer import (
    INPUT_SUFFIXES,
    BatchState,
    IntakeError,
    Rejection,
    batches,
    certificates,
    documents_from_file,
)
from ledger import CertificateType, CertificateTypeError
from wallet_api._context import WalletContext
from wallet_api._errors import InvalidRequestError

log = logging.getLogger("certledger.office")

PROGRESS_EVERY = 0.25  # seconds between progress events
ANCHOR_WAIT = 300.0  # seconds the stream follows the anchoring before it hands over to the worker
_IN = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class IssuanceStarted:
    """The file is taken: the type its records are issued as, and its size in bytes."""

    kind: ClassVar[str] = "started"
    type: str
    total: int


@dataclass(frozen=True, slots=True)
class IssuanceProgress:
    """How far the issuance has read: bytes of the file's `total`, and documents."""

    kind: ClassVar[str] = "progress"
    bytes: int
    total: int
    read: int


@dataclass(frozen=True, slots=True)
class IssuanceRejected:
    """One refused row: its line, its certificate number when known, and why."""

    kind: ClassVar[str] = "rejected"
    line: int
    number: str | None
    reason: str


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


class OfficeDesk:
    """Issuance of records files for operators."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    # ------------------------------------------------------------------ issuing a file

    def receive(self, filename: str, chunks: Iterator[bytes]) -> Path:
        """Stores an uploaded records file in the data folder for the issuance to read."""
        suffix = Path(filename).suffix.lower()
        if suffix not in INPUT_SUFFIXES:
            raise InvalidRequestError(
                f"file: {filename!r} is not a records file; give .csv (UTF-8 or GB18030), .xlsx,"
                " or .jsonl with one document per line",
                code="issuance.bad_file",
            )
        folder = self.context.settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 — handed over to the issuing thread
            dir=folder, prefix="records-", suffix=suffix, delete=False
        )
        with handle:
            for chunk in chunks:
                handle.write(chunk)
        return Path(handle.name)

    def issue(self, path: Path, type_reference: str) -> Iterator[IssuanceEvent]:
        """Issues the records in `path` (then removes it), yielding its progress.

        Events, in order: ``started``; ``progress`` (bytes read, documents read); one
        ``rejected`` per refused row, with its line and reason; ``issued`` (the counts);
        ``anchoring`` as the worker anchors the new certificates; ``done`` — or ``error``.
        The work goes on in its own thread: a client that goes away does not stop it. The type
        is checked at once, before any progress is sent.
        """
        try:
            certificate_type = self.context.catalog.find(type_reference)
        except CertificateTypeError as error:
            path.unlink(missing_ok=True)
            raise InvalidRequestError(f"type: {error}", code="issuance.unknown_type") from None
        events: _Events = queue.Queue()

        def stream() -> Iterator[IssuanceEvent]:
            threading.Thread(
                target=self._run, args=(path, certificate_type, events), name="office-issuance", daemon=True
            ).start()
            while (event := events.get()) is not None:
                yield event

        return stream()

    def _run(self, path: Path, certificate_type: CertificateType, events: _Events) -> None:
        """The issuance of one file, reporting to `events` (None when it is over)."""
        size = path.stat().st_size
        read_bytes = 0
        documents = 0
        last = 0.0

        def report_progress(force: bool = False) -> None:
            nonlocal last
            now = time.monotonic()
            if force or now - last >= PROGRESS_EVERY:
                last = now
                events.put(IssuanceProgress(read_bytes, size, documents))

        def on_bytes(count: int) -> None:
            nonlocal read_bytes
            read_bytes += count
            report_progress()

        def on_rejection(rejection: Rejection) -> None:
            events.put(IssuanceRejected(rejection.line, rejection.number, rejection.reason))

        def on_documents(count: int) -> None:
            nonlocal documents
            documents += count
            report_progress()

        try:
            events.put(IssuanceStarted(certificate_type.key, size))
            records = documents_from_file(
                path,
                certificate_type,
                schema_directories=(self.context.settings.data_dir / "schemas",),
                progress=on_bytes,
                parallel=False,
            )
            outcome = self.context.issuance().issue(
                records, certificate_type, progress=on_documents, on_rejection=on_rejection
            )
            read_bytes = size
            report_progress(force=True)
            events.put(IssuanceIssued(outcome.read, outcome.issued, outcome.already_issued, outcome.refused))
            log.info(
                "issued a records file",
                extra={
                    "fields": {
                        "issued": outcome.issued,
                        "refused": outcome.refused,
                        "type": certificate_type.key,
                    }
                },
            )
            anchored = self._follow_anchoring(outcome.issued_ids, events)
            events.put(IssuanceDone(outcome.issued, anchored))
        except IntakeError as error:
            events.put(IssuanceFailed("issuance.bad_file", str(error)))
        except Exception:
            log.exception("issuing a records file failed")
            events.put(IssuanceFailed("internal", "the issuance stopped; see the service log"))
        finally:
            path.unlink(missing_ok=True)
            events.put(None)

    def _follow_anchoring(self, ids: list[str], events: _Events) -> int:
        """Reports how many of `ids` are anchored until all are, or the wait runs out."""
        anchored = 0
        deadline = time.monotonic() + ANCHOR_WAIT
        while ids:
            anchored = self._anchored_count(ids)
            events.put(IssuanceAnchoring(anchored, len(ids)))
            if anchored == len(ids) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        return anchored

    def _anchored_count(self, ids: list[str]) -> int:
        total = 0
        with self.context.reader.connect() as connection:
            for start in range(0, len(ids), _IN):
                total += int(
                    connection.execute(
                        sa.select(sa.func.count())
                        .select_from(certificates.join(batches, batches.c.id == certificates.c.batch_id))
                        .where(
                            certificates.c.id.in_(ids[start : start + _IN]),
                            batches.c.state == BatchState.ANCHORED,
                        )
                    ).scalar_one()
                )
        return total
