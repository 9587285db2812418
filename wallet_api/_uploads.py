"""Resumable uploads of records files: a month's export is hundreds of megabytes, sent in pieces.

The console opens an upload with the file's name, size and a resume key of its own (its name,
size and modification time), then sends it piece by piece at the offset the service holds. A
dropped connection, a closed tab or a restarted service loses at most the piece in flight: the
same file opened again by the same operator reaches the same upload, and the console goes on
from its offset. Its issuance is then started from the complete upload (`wallet_api._office`).

An upload lives in the data folder's ``uploads/`` as files named by its id: the bytes received
so far (``<id><suffix>``), what it is (``<id>.json``), and, once issuing starts, the issuance's
state and refused rows (see `wallet_api._office`). Its bytes are removed when its issuance is
done; the rest, and any upload, is swept away once untouched for `KEEP` (by the injected clock,
from the time its description records). Nothing personal is in its name or description.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from issuer import INPUT_SUFFIXES
from ledger import Clock
from wallet_api._errors import ConflictError, InvalidRequestError, NotFoundError, ServiceUnavailableError

KEEP = timedelta(days=7)  # an upload nobody touched for this long is swept away
SPARE_BYTES = 256 << 20  # the disk keeps this much free beyond an upload's size
_ID_BYTES = 16


@dataclass(frozen=True, slots=True)
class Upload:
    """One upload: what it is and how much of it the service holds."""

    id: str
    filename: str
    size: int
    received: int
    created_at: datetime

    @property
    def complete(self) -> bool:
        """Whether every byte of the file is here."""
        return self.received == self.size

    @property
    def suffix(self) -> str:
        """The file's extension, which says how it is read."""
        return Path(self.filename).suffix.lower()


@dataclass(frozen=True, slots=True)
class _Description:
    filename: str
    size: int
    created_at: str
    touched_at: str
    staff: str
    removed: bool = False


class UploadStore:
    """The uploads folder: open, append to, find and remove resumable uploads."""

    def __init__(self, folder: Path, *, max_size: int, clock: Clock) -> None:
        self.folder = folder
        self.max_size = max_size
        self.clock = clock

    def open(self, staff: str, filename: str, size: int, key: str) -> Upload:
        """The upload of `filename` (`size` bytes) that `staff` opened with `key`: the one already
        begun, to go on from where it stopped, or a new, empty one."""
        suffix = Path(filename).suffix.lower()
        if suffix not in INPUT_SUFFIXES:
            raise InvalidRequestError(
                f"filename: {filename!r} is not a records file; give .csv (UTF-8 or GB18030), .xlsx,"
                " or .jsonl with one document per line",
                code="issuance.bad_file",
            )
        if size > self.max_size:
            raise InvalidRequestError(
                f"size: the file has {size} bytes; the most an upload may have is {self.max_size}"
                " (CERTLEDGER_MAX_UPLOAD_BYTES)",
                code="upload.too_large",
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sweep()
        upload_id = _upload_id(staff, filename, size, key)
        try:
            found = self.get(upload_id)
        except NotFoundError:
            pass
        else:
            return found
        free = shutil.disk_usage(self.folder).free
        if free < size + SPARE_BYTES:
            raise ServiceUnavailableError(
                f"the data folder's disk has {free} bytes free; the upload needs {size} and"
                f" {SPARE_BYTES} to spare. Free some space and send the file again",
                code="upload.no_space",
            )
        now = self.clock().isoformat()
        with self._locked(upload_id):
            self._data(upload_id, suffix).write_bytes(b"")
            self._describe(upload_id, _Description(filename, size, now, now, staff))
        return self.get(upload_id)

    def get(self, upload_id: str) -> Upload:
        """The upload `upload_id` and how much of it is here."""
        if not is_upload_id(upload_id):
            raise NotFoundError("no such upload", code="upload.not_found")
        try:
            described = self._described(upload_id)
            if described.removed:
                raise FileNotFoundError(upload_id)
            received = self._data(upload_id, Path(described.filename).suffix.lower()).stat().st_size
        except (FileNotFoundError, ValueError, TypeError):
            raise NotFoundError(
                "no such upload: it was issued and removed, or swept away after a week unused;"
                " send the file again",
                code="upload.not_found",
            ) from None
        return Upload(
            upload_id,
            described.filename,
            described.size,
            received,
            datetime.fromisoformat(described.created_at),
        )

    def append(self, upload_id: str, offset: int, chunks: Iterable[bytes]) -> Upload:
        """Writes the piece `chunks` at `offset`, which must be where the upload stands: a piece
        sent twice, or after one that was lost, is refused with the offset to go on from."""
        upload = self.get(upload_id)
        with self._locked(upload_id):
            path = self._data(upload_id, upload.suffix)
            with path.open("r+b") as handle:
                received = handle.seek(0, os.SEEK_END)
                if offset != received:
                    raise ConflictError(
                        f"Upload-Offset: the upload holds {received} bytes, not {offset}; go on"
                        f" from {received}",
                        code="upload.offset_mismatch",
                    )
                written = received
                for chunk in chunks:
                    written += len(chunk)
                    if written > upload.size:
                        handle.truncate(received)  # the piece is refused whole
                        raise InvalidRequestError(
                            f"the piece goes past the file's {upload.size} bytes", code="upload.too_long"
                        )
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            self.touch(upload_id)
        return self.get(upload_id)

    def resize(self, upload: Upload, size: int) -> Upload:
        """Describes `upload`, sent whole, with the size it came to."""
        self._describe(upload.id, replace(self._described(upload.id), size=size))
        return self.get(upload.id)

    def path(self, upload: Upload) -> Path:
        """Where the upload's bytes are."""
        return self._data(upload.id, upload.suffix)

    def companion(self, upload_id: str, name: str) -> Path:
        """A file kept beside upload `upload_id` (its issuance's state, its refused rows)."""
        return self.folder / f"{upload_id}.{name}"

    def touch(self, upload_id: str) -> None:
        """Keeps the upload from being swept for another `KEEP`."""
        described = self._described(upload_id)
        self._describe(upload_id, replace(described, touched_at=self.clock().isoformat()))

    def remove(self, upload: Upload) -> None:
        """Drops the upload's bytes once issued; its companions stay until it is swept."""
        self._data(upload.id, upload.suffix).unlink(missing_ok=True)
        described = self._described(upload.id)
        self._describe(upload.id, replace(described, touched_at=self.clock().isoformat(), removed=True))

    def sweep(self) -> int:
        """Removes every upload nobody touched for `KEEP`, with its companions; how many."""
        if not self.folder.is_dir():
            return 0
        oldest = self.clock() - KEEP
        swept = 0
        for description in self.folder.glob("*.json"):
            upload_id = description.stem
            try:
                touched = datetime.fromisoformat(self._described(upload_id).touched_at)
            except (FileNotFoundError, ValueError, TypeError):
                continue
            if touched < oldest:
                for path in self.folder.glob(f"{upload_id}*"):
                    path.unlink(missing_ok=True)
                swept += 1
        return swept

    def _data(self, upload_id: str, suffix: str) -> Path:
        return self.folder / f"{upload_id}{suffix}"

    def _description(self, upload_id: str) -> Path:
        return self.folder / f"{upload_id}.json"

    def _described(self, upload_id: str) -> _Description:
        return _Description(**json.loads(self._description(upload_id).read_bytes()))

    def _describe(self, upload_id: str, described: _Description) -> None:
        write_atomically(self._description(upload_id), json.dumps(asdict(described)).encode())

    def _locked(self, upload_id: str) -> _FileLock:
        return _FileLock(self.folder / f"{upload_id}.append-lock", blocking=True)


class _FileLock:
    """An exclusive lock on a file, across the processes of one machine (flock)."""

    def __init__(self, path: Path, *, blocking: bool) -> None:
        self.path = path
        self.blocking = blocking
        self._fd = -1

    def __enter__(self) -> _FileLock:
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(self._fd)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def try_lock(path: Path) -> _FileLock | None:
    """The lock on `path` when no other thread or process holds it, else None."""
    lock = _FileLock(path, blocking=False)
    try:
        return lock.__enter__()
    except BlockingIOError:
        return None


def _upload_id(staff: str, filename: str, size: int, key: str) -> str:
    """The same file opened again by the same staff member reaches the same upload."""
    material = json.dumps([staff, filename, size, key], ensure_ascii=False).encode()
    return hashlib.sha256(b"certledger upload\0" + material).hexdigest()[: 2 * _ID_BYTES]


def is_upload_id(value: str) -> bool:
    """Whether `value` has the shape of an upload's id (before it names a file)."""
    return len(value) == 2 * _ID_BYTES and all(char in "0123456789abcdef" for char in value)


def write_atomically(path: Path, data: bytes) -> None:
    """Replaces `path` with `data` whole: a reader sees the old file or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
