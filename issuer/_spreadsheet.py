"""Reading an XLSX workbook's first sheet as rows of text, streamed, with the zip bounded first.

An XLSX file is a zip of XML parts. Before openpyxl sees it, the zip's directory is checked: a
bounded number of entries and a bounded total uncompressed size, as the directory declares
them. Python's zip reader never inflates an entry past its declared size (and fails its CRC if
the data would go on), so the declared sizes bound the work. openpyxl then reads in read-only
mode (the sheet's XML is parsed as it is iterated, rows are not kept), with cached values only
(``data_only``: a formula is never evaluated) and without external links. Macros are not read
at all. The XML parser is expat, which refuses entity expansion bombs since 2.4.

Cells come out as the text a CSV export would hold: 5000 and 5000.0 as ``5000``, booleans as
``true``/``false``, a date as ``YYYY-MM-DD`` (an `ExcelDate`, which a ``year-month`` field reads
as ``YYYY-MM`` when it falls on the first of a month).
"""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from issuer._errors import IntakeError

MAX_XLSX_ENTRIES = 1_000
MAX_XLSX_UNCOMPRESSED = 2 * 1024**3  # a full sheet of 1,048,576 rows is a few hundred MB of XML


class ExcelDate(str):
    """A date cell's text, ``YYYY-MM-DD``, that remembers it was a date."""

    __slots__ = ()

    def as_month(self) -> str | None:
        """``YYYY-MM`` when the date is the first of its month (how Excel stores a typed month)."""
        return self[:7] if self.endswith("-01") else None


class SheetRows:
    """A sheet's rows as lists of text, numbered as Excel shows them (`line_num`, like csv.reader)."""

    def __init__(self, name: str, rows: Iterator[tuple[Any, ...]], progress: Callable[[], None]) -> None:
        self.name = name
        self.line_num = 0
        self._rows = rows
        self._progress = progress

    def __iter__(self) -> SheetRows:
        return self

    def __next__(self) -> list[str]:
        try:
            values = next(self._rows)
        except StopIteration:
            raise
        except Exception as error:  # openpyxl raises anything on broken XML
            raise IntakeError(
                f"sheet {self.name} row {self.line_num + 1}: the sheet cannot be read ({_described(error)})",
                code="xlsx.broken",
                params={"why": _described(error)},
                place=f"工作表 {self.name} 第{self.line_num + 1}行",
            ) from None
        self.line_num += 1
        self._progress()
        cells = [cell_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()  # a formatted but empty cell at the right is no column
        return cells


def cell_text(value: object) -> str:
    """A cell's value as the text a CSV export would hold."""
    text: str
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, datetime.datetime) and value.time() == datetime.time():
        text = ExcelDate(value.date().isoformat())
    elif isinstance(value, datetime.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, datetime.date):
        text = ExcelDate(value.isoformat())
    else:
        text = str(value)  # text, an integer; a time or a duration, which the schema refuses
    return text


@contextmanager
def first_sheet(path: Path, *, on_bytes: Callable[[int], None] | None = None) -> Iterator[SheetRows]:
    """The rows of the workbook's first sheet, or an `IntakeError` saying why it cannot be read.

    `on_bytes` hears how far into the file the reading has gone, in bytes, as rows are read.
    """
    try:
        handle = path.open("rb")
    except OSError as error:
        raise IntakeError(
            f"cannot read {path}: {error.strerror}",
            code="unreadable",
            params={"name": path.name, "why": str(error.strerror)},
        ) from error
    # openpyxl takes a tenth of a second to import: only a run that reads a workbook pays it.
    from openpyxl import load_workbook  # noqa: PLC0415

    with handle:
        _check_zip(path.name, handle)
        handle.seek(0)
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True, keep_links=False)
        except Exception as error:  # openpyxl raises anything on a broken workbook
            raise IntakeError(
                f"{path.name}: not an XLSX workbook ({_described(error)})",
                code="xlsx.unreadable",
                params={"name": path.name, "why": _described(error)},
            ) from None
        try:
            if not workbook.worksheets:
                raise IntakeError(
                    f"{path.name}: the workbook has no worksheet",
                    code="xlsx.no_sheet",
                    params={"name": path.name},
                )
            sheet = workbook.worksheets[0]
            if not hasattr(sheet, "reset_dimensions"):
                raise IntakeError(
                    f"{path.name}: the first sheet {sheet.title} is a chart, not a worksheet",
                    code="xlsx.chart",
                    params={"name": path.name, "sheet": str(sheet.title)},
                )
            # The declared dimensions are not trusted: they would pad every row to a hostile width.
            sheet.reset_dimensions()
            yield SheetRows(sheet.title, sheet.iter_rows(values_only=True), _position(handle, on_bytes))
        finally:
            workbook.close()


def _check_zip(name: str, handle: IO[bytes]) -> None:
    """Refuses a file that is not a zip, or whose entries are too many or too large inflated."""
    try:
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise IntakeError(
            f"{name}: not an XLSX workbook (not a zip archive: {error})",
            code="xlsx.not_zip",
            params={"name": name},
        ) from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise IntakeError(
            f"{name}: the workbook has {len(entries)} parts, more than {MAX_XLSX_ENTRIES}",
            code="xlsx.parts",
            params={"name": name, "parts": str(len(entries)), "limit": str(MAX_XLSX_ENTRIES)},
        )
    total = 0
    for entry in entries:
        total += entry.file_size
        if total > MAX_XLSX_UNCOMPRESSED:
            raise IntakeError(
                f"{name}: the workbook inflates to more than {MAX_XLSX_UNCOMPRESSED} bytes"
                f" (at its part {entry.filename}, {entry.file_size} bytes from {entry.compress_size})",
                code="xlsx.too_large",
                params={"name": name, "limit": str(MAX_XLSX_UNCOMPRESSED), "part": entry.filename},
            )


def _position(handle: IO[bytes], on_bytes: Callable[[int], None] | None) -> Callable[[], None]:
    """A callback that reports how much further into `handle` the zip reader has gone."""
    reached = 0

    def report() -> None:
        nonlocal reached
        if on_bytes is None:
            return
        position = handle.tell()
        if position > reached:
            on_bytes(position - reached)
            reached = position

    return report


def _described(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
