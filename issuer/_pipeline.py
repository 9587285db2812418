"""Reading and preparing an input file in a second process, while this one stores certificates.

Parsing, deriving, validating and canonically encoding a document needs nothing from the
database, and takes about as long as sealing, encrypting and storing it. A child process does
the first half and sends documents over in chunks, in file order; the parent does the rest. On a
machine with two cores this nearly doubles issuance; the output is the same as reading in
process, document for document.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from issuer._errors import IntakeError
from issuer._intake import InputRow, Rejection, decoded_lines, read_documents
from ledger import CertificateType, TypeCatalog, encode_claims

CHUNK = 1000
_DONE = "done"
_FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PreparedRow:
    """A valid document, with each claim's canonical encoding already computed."""

    line: int
    number: str
    claims: dict[str, Any]
    encodings: dict[str, bytes]


def prepare(row: InputRow) -> PreparedRow:
    """The same row, with its claims encoded."""
    return PreparedRow(row.line, row.number, row.claims, encode_claims(row.claims))


def prepared_documents(
    path: Path,
    type_reference: str,
    *,
    schema_directories: tuple[Path, ...] = (),
    progress: Callable[[int], None] | None = None,
) -> Iterator[PreparedRow | Rejection]:
    """The documents of `path`, read, validated and encoded by a child process, in file order.

    `progress` receives the number of input bytes each chunk covered.
    """
    # fork: the child needs nothing of the parent but the arguments, starts at once, and does not
    # re-import the caller's main module as spawn would. It touches no inherited connection or
    # lock; servers with threads of their own read in process instead (parallel=False).
    context = multiprocessing.get_context("fork")
    channel: multiprocessing.Queue[tuple[str, Any, int]] = context.Queue(maxsize=4)
    child = context.Process(
        target=_produce, args=(path, type_reference, schema_directories, channel), daemon=True
    )
    child.start()
    try:
        while True:
            try:
                kind, payload, consumed = channel.get(timeout=5)
            except queue.Empty:
                if not child.is_alive():
                    raise IntakeError(f"the reader of {path.name} stopped unexpectedly") from None
                continue
            if progress is not None and consumed:
                progress(consumed)
            if kind == _DONE:
                return
            if kind == _FAILED:
                message, code, params, place = payload
                raise IntakeError(message, code=code, params=params, place=place)
            yield from payload
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=10)


def _produce(
    path: Path,
    type_reference: str,
    schema_directories: tuple[Path, ...],
    channel: multiprocessing.Queue[tuple[str, Any, int]],
) -> None:
    try:
        certificate_type = TypeCatalog.load(*schema_directories).find(type_reference)
        chunk: list[PreparedRow | Rejection] = []
        with _CountingFile(path) as source:
            for item in read_documents(path, certificate_type, handle=source, on_bytes=source.count):
                chunk.append(prepare(item) if isinstance(item, InputRow) else item)
                if len(chunk) >= CHUNK:
                    channel.put(("rows", chunk, source.take()))
                    chunk = []
            channel.put(("rows", chunk, source.take()))
        channel.put((_DONE, None, 0))
    except IntakeError as error:  # its code goes too, so that the refusal reads in Chinese
        channel.put((_FAILED, (str(error), error.code, error.params, error.place), 0))
    except Exception as error:
        channel.put((_FAILED, (str(error), "file", {}, ""), 0))


class _CountingFile:
    """A file's lines as text, counting the bytes handed out since the last `take`; an XLSX
    workbook is read from its path, and its reader reports its bytes to `count`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._counted = 0

    def __enter__(self) -> _CountingFile:
        try:
            self._handle = self.path.open("rb")
        except OSError as error:
            raise IntakeError(f"cannot read {self.path}: {error.strerror}") from error
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __iter__(self) -> Iterator[str]:
        return decoded_lines(self._handle, self.count, gb18030=self.path.suffix.lower() == ".csv")

    def count(self, size: int) -> None:
        """Adds `size` bytes read (by the lines handed out, or by an XLSX reader)."""
        self._counted += size

    def take(self) -> int:
        counted, self._counted = self._counted, 0
        return counted


PARALLEL_FROM_BYTES = 2_000_000


def documents_from_file(
    path: Path,
    certificate_type: CertificateType,
    *,
    schema_directories: tuple[Path, ...] = (),
    progress: Callable[[int], None] | None = None,
    parallel: bool | None = None,
) -> Iterator[InputRow | PreparedRow | Rejection]:
    """The documents of an input file, read in a second process when it is large (or asked to).

    `progress` receives the number of input bytes read as they are read.
    """
    if parallel is None:
        parallel = path.stat().st_size >= PARALLEL_FROM_BYTES and (os.cpu_count() or 1) > 1
    if parallel:
        yield from prepared_documents(
            path, certificate_type.key, schema_directories=schema_directories, progress=progress
        )
        return
    with _CountingFile(path) as source:
        for item in read_documents(path, certificate_type, handle=source, on_bytes=source.count):
            if progress is not None:
                progress(source.take())
            yield item
