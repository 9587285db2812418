"""Reading the core system's export: CSV, XLSX or JSON Lines, one certificate at a time, with line numbers.

Every document comes out either as an `InputRow` (claims derived and checked against the type's
schema) or as a `Rejection` naming its line and the reason; a bad row never stops the good ones.
Only a file that cannot be read at all (unknown extension, a CSV header naming columns the type
does not have) or that holds no records (empty, blank, a CSV header alone) raises `IntakeError`.

CSV layouts, from the type's ``x-certledger.csv``:

* flat (the default): one line per certificate; each column is a dotted claim path such as
  ``qualification_period.from``;
* grouped (``groupBy`` and ``repeat``): consecutive lines sharing the ``groupBy`` column form
  one certificate; every line adds one element to the array ``repeat.into`` (whose ``{column}``
  placeholder is filled from that line), made of the ``repeat.fields`` columns; the other
  columns must agree across the lines. Records that repeat a key the type declares unique are
  named by their lines.

Text files are UTF-8 (a byte-order mark is dropped) or, as Excel on Chinese Windows writes CSV,
GB18030 (a superset of GBK and GB2312). The encoding is told apart line by line as the file
streams: lines are read as strict UTF-8 until one is not, and from that line on, when every line
before it was plain ASCII (the same bytes in both encodings), as GB18030. A file whose header is
not UTF-8 must name the type's columns once read as GB18030, or it is refused naming both
encodings; GB18030 decodes nearly any bytes, so the header is what tells text from noise.

An XLSX workbook is read from its first sheet, streamed (see `issuer._spreadsheet`), with the
same layouts as CSV: its first non-empty row is the header, rows are numbered as Excel shows
them, and a refusal starts with "sheet <name> row <n>".

A refusal (see `issuer._rejections`) names its column, the column's label, the value (masked when
personal), a stable code and the reason in English and Chinese; it keeps the certificate's own
lines for the refused-rows file, which `source_header` and `source_records` also serve. The
columns such a file adds (``行号``, ``拒绝原因``; ``_refusal`` in JSON Lines) are ignored, so that
it can be uploaded again once fixed.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from issuer._derive import apply_derivations
from issuer._errors import IntakeError
from issuer._rejections import MAX_PROBLEMS, REFUSAL_COLUMNS, REFUSAL_FIELD, problem_of, refused
from issuer._rejections import Rejection as Rejection  # noqa: PLC0414 — re-exported: callers import it here
from issuer._spreadsheet import ExcelDate, SheetRows, first_sheet
from ledger import CanonicalJSONError, CertificateType, FieldProblem, RepeatedKey, parse_json

_INTEGER = re.compile(r"^-?\d+$")
_ARRAY_INDEX = re.compile(r"^(.*?)\[(\d+)\](.*)$")
_ELEMENT_FIELD = re.compile(r"^.*\[\d+\]\.([^.\[\]]+)\Z")
_DERIVED = re.compile(r"^is (.+) but (?:count|sum|min|max) of \S+ gives (.+)\Z")
MAX_LINE_BYTES = 1_000_000
NO_RECORDS = "the file holds no records"


INPUT_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".ndjson", ".json")  # what `read_documents` reads
UTF8 = "UTF-8"
GB18030 = "GB18030"


@dataclass(frozen=True, slots=True)
class InputRow:
    """One valid certificate's claims, and the line it starts on."""

    line: int
    number: str
    claims: dict[str, Any]


@dataclass(slots=True)
class _Draft:
    """A document being assembled from CSV lines, with those lines (kept for a refusal)."""

    line: int
    claims: dict[str, Any]
    rows: list[tuple[int, list[str]]]
    problems: list[FieldProblem] = field(default_factory=list)
    element_lines: dict[tuple[str, int], int] = field(default_factory=dict)
    problem_lines: dict[FieldProblem, int] = field(default_factory=dict)


def read_documents(
    path: Path,
    certificate_type: CertificateType,
    *,
    handle: Iterable[str] | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[InputRow | Rejection]:
    """The documents of `path`, in file order; `handle` may supply a text file's lines instead.

    `on_bytes` hears how many bytes of the file were read, as they are, when this function opens
    the file itself (always for an XLSX workbook, which is read from its path).
    """
    suffix = path.suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        raise IntakeError(
            f"{path.name}: the input is .csv (UTF-8 or GB18030), .xlsx, or .jsonl / .json"
            " with one document per line",
            code="suffix",
        )
    if suffix == ".xlsx":
        yield from read_xlsx(path, certificate_type, on_bytes=on_bytes)
        return
    if handle is not None:
        yield from _read(suffix, handle, certificate_type)
        return
    try:
        opened = path.open("rb")
    except OSError as error:
        raise _unreadable(path, error) from error
    with opened:
        lines = decoded_lines(bounded_lines(opened), on_bytes, gb18030=suffix == ".csv")
        yield from _read(suffix, lines, certificate_type)


def _read(
    suffix: str, lines: Iterable[str], certificate_type: CertificateType
) -> Iterator[InputRow | Rejection]:
    if suffix == ".csv":
        yield from read_csv(lines, certificate_type)
    else:
        yield from read_json_lines(lines, certificate_type)


class DecodedLines:
    """The lines of a binary file as text: UTF-8, or GB18030 when `gb18030` allows it (CSV; JSON
    is UTF-8 by its RFC). See the module's docstring for how the two are told apart.

    A byte-order mark at the start is dropped; `on_bytes` hears each line's size. A line that
    neither encoding reads raises an `IntakeError` naming it. `encoding` is the one in use, and
    `fallback_line` the line from which GB18030 was used (None while all was UTF-8).
    """

    def __init__(
        self, raw: Iterable[bytes], on_bytes: Callable[[int], None] | None = None, *, gb18030: bool = False
    ) -> None:
        self._raw = enumerate(raw, start=1)
        self._on_bytes = on_bytes
        self._all_ascii = gb18030  # GB18030 may take over while every line so far was ASCII
        self.encoding = UTF8
        self.fallback_line: int | None = None

    def __iter__(self) -> DecodedLines:
        return self

    def __next__(self) -> str:
        number, raw_line = next(self._raw)
        if self._on_bytes is not None:
            self._on_bytes(len(raw_line))
        # Splitting on b"\n" is safe in GB18030 too: its multi-byte sequences never use 0x0A.
        line = raw_line[3:] if number == 1 and raw_line.startswith(b"\xef\xbb\xbf") else raw_line
        if self.encoding == UTF8:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                if not self._all_ascii:
                    raise IntakeError(
                        f"line {number}: the file is not UTF-8 text ({error.reason})",
                        code="encoding",
                        params={"why": error.reason},
                        place=f"第{number}行",
                    ) from None
                self.encoding, self.fallback_line = GB18030, number
            else:
                self._all_ascii = self._all_ascii and text.isascii()
                return text
        try:
            return line.decode("gb18030")
        except UnicodeDecodeError as error:
            raise IntakeError(
                f"line {number}: the file is neither UTF-8 nor GB18030 text ({error.reason})",
                code="encoding.neither",
                params={"why": error.reason},
                place=f"第{number}行",
            ) from None


def bounded_lines(source: BinaryIO) -> Iterator[bytes]:
    """The lines of a binary file, none held longer than `MAX_LINE_BYTES` and a few bytes: an
    overlong line is cut there (at a character boundary) and the rest of it skipped unread into
    memory, so that the readers refuse it by its length without the file's size in memory."""
    while line := source.readline(MAX_LINE_BYTES + 4):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (rest := source.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
            pass  # the overlong line's remainder: skipped, not kept
        yield _whole_characters(line).ljust(MAX_LINE_BYTES + 1) + b"\n"  # still too long


def _whole_characters(data: bytes) -> bytes:
    """`data` without a UTF-8 character cut short at its end."""
    start = len(data)
    while start > 0 and data[start - 1] & 0xC0 == 0x80:
        start -= 1  # continuation bytes
    if start == 0 or data[start - 1] < 0xC0:
        return data
    lead = data[start - 1]
    size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return data if len(data) - (start - 1) >= size else data[: start - 1]


def decoded_lines(
    raw: Iterable[bytes], on_bytes: Callable[[int], None] | None = None, *, gb18030: bool = False
) -> DecodedLines:
    """The lines of a binary file as text, UTF-8 (or GB18030 when allowed); see `DecodedLines`."""
    return DecodedLines(raw, on_bytes, gb18030=gb18030)


def _with_text(lines: Iterable[str]) -> Iterator[str]:
    """`lines` as they are, once one of them holds more than white space; an `IntakeError` when
    none does, for a file without records is a mistake to report, not a run that issues nothing."""
    iterator = iter(lines)
    blank: list[str] = []
    for line in iterator:
        blank.append(line)
        if line.strip():
            return itertools.chain(blank, iterator)
    if any(blank):
        raise IntakeError(f"{NO_RECORDS}: it has only blank lines", code="no_records.blank")
    raise IntakeError(f"{NO_RECORDS}: it is empty", code="no_records.empty")


def read_json_lines(
    lines: Iterable[str], certificate_type: CertificateType
) -> Iterator[InputRow | Rejection]:
    """One JSON object per line; blank lines are skipped, but a file of nothing else is refused."""
    for number, text in enumerate(_with_text(lines), start=1):
        if not text.strip():
            continue
        rows = [(number, [text])]  # for a refusal; the refused-rows file drops the line's end
        # A character is at most 4 bytes: only long lines need their bytes counted.
        if len(text) * 4 > MAX_LINE_BYTES and len(text.encode("utf-8")) > MAX_LINE_BYTES:
            yield refused(
                number,
                None,
                f"the line is longer than {MAX_LINE_BYTES} bytes",
                code="line_too_long",
                params={"limit": str(MAX_LINE_BYTES)},
                rows=rows,
            )
            continue
        try:
            claims = parse_json(text)
        except CanonicalJSONError as error:
            yield refused(
                number,
                None,
                f"not a JSON document: {error}",
                code="not_json",
                params={"why": str(error)},
                rows=rows,
            )
            continue
        if not isinstance(claims, dict):
            yield refused(number, None, "a line holds one JSON object", code="not_object", rows=rows)
            continue
        if REFUSAL_FIELD in claims:  # a refused-rows file, fixed and uploaded again
            del claims[REFUSAL_FIELD]
        yield finish(_Draft(number, claims, rows), certificate_type, column_of=str)


def read_csv(
    handle: Iterable[str] | io.TextIOBase, certificate_type: CertificateType
) -> Iterator[InputRow | Rejection]:
    """CSV in the type's layout; line 1 is the header. A file without lines after it is refused."""
    lines = iter(handle)
    reader = csv.reader(_with_text(lines))
    try:
        header = [column.strip() for column in next(reader)]
    except csv.Error as error:
        raise IntakeError(
            f"line 1: not CSV ({error})", code="header.not_csv", params={"why": str(error)}, place="第1行"
        ) from error
    try:
        documents = _documents(reader, header, certificate_type)
    except IntakeError as error:
        if isinstance(lines, DecodedLines) and lines.fallback_line is not None:
            why = str(error).removeprefix("line 1: ")
            raise IntakeError(
                f"line {lines.fallback_line}: the file is not UTF-8 text, and read as GB18030 its header"
                f" does not name the columns of {certificate_type.key} ({why})",
                code="encoding.header",
                params={"type": certificate_type.key, "why": error.reason_zh.removeprefix("第1行 ")},
                place=f"第{lines.fallback_line}行",
            ) from None
        raise
    yield from _at_least_one(documents, "it has only a header line", code="no_records.header")


def read_xlsx(
    path: Path, certificate_type: CertificateType, *, on_bytes: Callable[[int], None] | None = None
) -> Iterator[InputRow | Rejection]:
    """The first sheet of an XLSX workbook, in the type's layout; its first non-empty row is the
    header. Rows are numbered as Excel shows them, and refusals name the sheet and the row."""
    with first_sheet(path, on_bytes=on_bytes) as sheet:
        rows = _without_leading_blank_rows(sheet)
        header = [column.strip() for column in next(rows)]
        place = f"sheet {sheet.name} row {sheet.line_num}"
        place_zh = f"工作表 {sheet.name} 第{sheet.line_num}行"
        try:
            documents = _documents(_Reader(sheet, rows, len(header)), header, certificate_type)
        except IntakeError as error:
            raise error.at(f"{place}: {str(error).removeprefix('line 1: ')}", place_zh) from None
        only_header = f"sheet {sheet.name} has only a header row"
        for item in _at_least_one(documents, only_header, code="no_records.sheet_header", sheet=sheet.name):
            yield (
                replace(item, reason=f"sheet {sheet.name} row {item.line}: {item.reason}", sheet=sheet.name)
                if isinstance(item, Rejection)
                else item
            )


def _without_leading_blank_rows(sheet: SheetRows) -> Iterator[list[str]]:
    for row in sheet:
        if any(cell.strip() for cell in row):
            yield row
            yield from sheet
            return
    raise IntakeError(
        f"{NO_RECORDS}: sheet {sheet.name} is empty", code="no_records.sheet", params={"sheet": sheet.name}
    )


class _Reader:
    """A sheet's rows after its header as `_rows` reads a csv.reader: with `line_num`, and as
    wide as the header when their last cells are empty (a sheet stores no empty cells)."""

    def __init__(self, sheet: SheetRows, rows: Iterator[list[str]], width: int) -> None:
        self._sheet = sheet
        self._rows = rows
        self._width = width

    @property
    def line_num(self) -> int:
        return self._sheet.line_num

    def __iter__(self) -> _Reader:
        return self

    def __next__(self) -> list[str]:
        row = next(self._rows)
        if len(row) < self._width:
            row.extend([""] * (self._width - len(row)))
        return row


def _documents(
    reader: Any, header: list[str], certificate_type: CertificateType
) -> Iterator[InputRow | Rejection]:
    """The documents after the header, once the header is found to fit the type's layout."""
    ignored = {index for index, column in enumerate(header) if column in REFUSAL_COLUMNS}
    if ignored:  # a refused-rows file, fixed and uploaded again: its line and reason are not claims
        header = [column for index, column in enumerate(header) if index not in ignored]
        reader = _Without(reader, ignored)
    layout = certificate_type.csv or {}
    if "groupBy" in layout:
        return _grouped(reader, _GroupedLayout.of(header, certificate_type, layout), certificate_type)
    return _flat(reader, header, _check_columns(header, certificate_type, header), certificate_type)


class _Without:
    """A reader's rows without the cells at `ignored`, and its `line_num`."""

    def __init__(self, reader: Any, ignored: set[int]) -> None:
        self._reader = reader
        self._ignored = ignored

    @property
    def line_num(self) -> int:
        return int(self._reader.line_num)

    def __iter__(self) -> _Without:
        return self

    def __next__(self) -> list[str]:
        return [cell for index, cell in enumerate(next(self._reader)) if index not in self._ignored]


def _at_least_one(
    documents: Iterator[InputRow | Rejection], otherwise: str, *, code: str, sheet: str = ""
) -> Iterator[InputRow | Rejection]:
    # Every line after the header that is not blank comes out as a document or a refusal.
    first = next(documents, None)
    if first is None:
        raise IntakeError(f"{NO_RECORDS}: {otherwise}", code=code, params={"sheet": sheet})
    yield first
    yield from documents


def _rows(reader: Any, width: int) -> Iterator[tuple[int, list[str]] | Rejection]:
    """The non-blank lines of a CSV reader with their line numbers, or why a line is unusable."""
    while True:
        start = reader.line_num + 1  # a quoted cell may span lines: report where the row starts
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield refused(
                reader.line_num,
                None,
                f"not CSV: {error}",
                code="not_csv",
                params={"why": str(error)},
                rows=(),
            )
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            yield refused(
                start,
                None,
                f"{len(row)} columns where the header has {width}",
                code="columns",
                params={"count": str(len(row)), "width": str(width)},
                rows=[(start, row)],
            )
            continue
        yield start, row


def _flat(
    reader: Any,
    header: list[str],
    columns: list[tuple[str, list[str], dict[str, Any] | None]],
    certificate_type: CertificateType,
) -> Iterator[InputRow | Rejection]:
    for item in _rows(reader, len(header)):
        if isinstance(item, Rejection):
            yield item
            continue
        line, row = item
        draft = _Draft(line, {}, [item])
        for (column, path, node), cell in zip(columns, row, strict=True):
            _put(draft, draft.claims, path, column, cell, node)
        yield finish(draft, certificate_type, column_of=str)


@dataclass(slots=True)
class _GroupedLayout:
    """How the lines of one certificate are read in a grouped CSV layout."""

    certificate_type: CertificateType
    header: list[str]
    group_column: str
    into: str
    selector: str | None
    element_fields: list[str]
    scalars: list[tuple[str, list[str], dict[str, Any] | None]]
    position: dict[str, int]

    @classmethod
    def of(
        cls, header: list[str], certificate_type: CertificateType, layout: dict[str, Any]
    ) -> _GroupedLayout:
        group_column = str(layout["groupBy"])
        into = str(layout["repeat"]["into"])
        placeholder = re.search(r"\{(\w+)\}", into)
        selector = placeholder.group(1) if placeholder else None
        element_fields = list(layout["repeat"]["fields"])
        needed = [group_column, *element_fields, *([selector] if selector else [])]
        missing = [column for column in needed if column not in header]
        if missing:
            raise IntakeError(
                f"line 1: the {certificate_type.key} layout needs the columns {', '.join(missing)}",
                code="columns.missing",
                params={"columns": "、".join(missing), "type": certificate_type.key},
                place="第1行",
            )
        scalar_header = [c for c in header if c not in element_fields and c != selector]
        return cls(
            certificate_type=certificate_type,
            header=header,
            group_column=group_column,
            into=into,
            selector=selector,
            element_fields=element_fields,
            scalars=_check_columns(scalar_header, certificate_type, header),
            position={column: index for index, column in enumerate(header)},
        )

    def cell(self, row: list[str], column: str) -> str:
        return row[self.position[column]].strip()

    def column_of(self, subject: str) -> str:
        """The column a problem's field comes from: an element's field is its own column."""
        match = _ELEMENT_FIELD.match(subject)
        if match and match.group(1) in self.element_fields:
            return match.group(1)
        return subject

    def start(self, line: int, row: list[str]) -> _Draft:
        """A new certificate from its first line's certificate-wide columns."""
        draft = _Draft(line, {}, [])
        for column, path, node in self.scalars:
            _put(draft, draft.claims, path, column, row[self.position[column]], node)
        return draft

    def check_agreement(self, draft: _Draft, first: list[str], row: list[str], line: int) -> None:
        """Certificate-wide columns must say the same on every line of the certificate."""
        for column, _path, _node in self.scalars:
            if self.cell(row, column) != self.cell(first, column):
                problem = FieldProblem(
                    column,
                    f"differs between line {draft.line} and line {line}",
                    code="differs",
                    params={"first": str(draft.line)},
                    value=self.cell(row, column),
                )
                draft.problems.append(problem)
                draft.problem_lines[problem] = line

    def add_element(self, draft: _Draft, row: list[str], line: int) -> None:
        """The line's element, appended to the certificate's repeated list."""
        target = (
            self.into.format(**{self.selector: self.cell(row, self.selector)}) if self.selector else self.into
        )
        _add_element(
            draft,
            self.certificate_type,
            target,
            row,
            self.position,
            self.element_fields,
            line=line,
            selector=self,
        )


def _grouped(
    reader: Any, grouped: _GroupedLayout, certificate_type: CertificateType
) -> Iterator[InputRow | Rejection]:
    seen: set[str] = set()
    draft: _Draft | None = None
    repeated: Rejection | None = None  # a certificate whose lines are not together, with its lines
    first: list[str] = []
    key: str | None = None
    for item in _rows(reader, len(grouped.header)):
        if isinstance(item, Rejection):
            yield item
            continue
        line, row = item
        group = grouped.cell(row, grouped.group_column)
        if group != key:
            if draft is not None:
                yield finish(draft, certificate_type, column_of=grouped.column_of)
            if repeated is not None:
                yield repeated
            draft, repeated, key, first = None, None, group, row
            if group in seen:
                repeated = refused(
                    line,
                    group or None,
                    f"the lines of {grouped.group_column} {group} must be consecutive",
                    code="consecutive",
                    params={"subject": f"{certificate_type.field_label(grouped.group_column)} {group}"},
                    rows=[item],
                )
                continue
            seen.add(group)
            draft = grouped.start(line, row)
        elif draft is None:
            if repeated is not None and repeated.rows is not None:
                repeated = replace(repeated, rows=(*repeated.rows, (line, tuple(row))))
            continue  # the rest of a refused certificate
        else:
            grouped.check_agreement(draft, first, row, line)
        draft.rows.append(item)
        grouped.add_element(draft, row, line)
    if draft is not None:
        yield finish(draft, certificate_type, column_of=grouped.column_of)
    if repeated is not None:
        yield repeated


def _add_element(  # noqa: PLR0917 — the line's cells and where their element goes
    draft: _Draft,
    certificate_type: CertificateType,
    target: str,
    row: list[str],
    position: dict[str, int],
    element_fields: list[str],
    *,
    line: int,
    selector: _GroupedLayout,
) -> None:
    path = target.split(".")
    node = certificate_type.node_at(path)
    if node is None or node.get("type") != "array":
        column = selector.selector or selector.into
        problem = FieldProblem(
            target,
            f"is not a list this type has (line {line})",
            code="unknown_list",
            params={
                "target": target,
                "column": column,
                "shown": selector.cell(row, column) if selector.selector else "",
            },
        )
        draft.problems.append(problem)
        draft.problem_lines[problem] = line
        return
    holder: Any = draft.claims
    for segment in path[:-1]:
        holder = holder.setdefault(segment, {})
    elements = holder.setdefault(path[-1], [])
    element: dict[str, Any] = {}
    index = len(elements)
    for column in element_fields:
        node = certificate_type.node_at([*path, "[]", column])
        _put(draft, element, [column], f"{target}[{index}].{column}", row[position[column]], node)
    draft.element_lines[(target, index)] = line
    elements.append(element)


def _check_columns(
    columns: list[str], certificate_type: CertificateType, header: list[str]
) -> list[tuple[str, list[str], dict[str, Any] | None]]:
    checked = []
    unknown = []
    for column in columns:
        path = column.split(".")
        node = certificate_type.node_at(path)
        if node is None:
            unknown.append(column)
        checked.append((column, path, node))
    if unknown:
        raise IntakeError(
            f"line 1: {', '.join(unknown)} is not a field of {certificate_type.key}",
            code="columns.unknown",
            params={"columns": "、".join(unknown), "type": certificate_type.key},
            place="第1行",
        )
    if len(set(header)) != len(header):
        raise IntakeError("line 1: a column name appears twice", code="columns.twice", place="第1行")
    return checked


def _put(  # noqa: PLR0917 — the cell, where it goes and its schema node
    draft: _Draft,
    holder: dict[str, Any],
    path: list[str],
    column: str,
    cell: str,
    node: dict[str, Any] | None,
) -> None:
    """Sets the cell's value at `path`, typed by the schema node; an empty cell sets nothing."""
    text = cell.strip()
    if not text:
        return
    if isinstance(cell, ExcelDate) and (node or {}).get("format") == "year-month":
        text = cell.as_month() or text  # a month typed in Excel is stored as its first day
    kind = (node or {}).get("type")
    value: Any = text
    if kind == "integer":
        if not _INTEGER.match(text):
            draft.problems.append(
                FieldProblem(
                    column,
                    f"must be a whole number (amounts are in fen), got {text!r}",
                    code="integer",
                    value=text,
                )
            )
            return
        value = int(text)
    elif kind == "boolean":
        if text not in {"true", "false"}:
            draft.problems.append(
                FieldProblem(column, f"must be true or false, got {text!r}", code="boolean", value=text)
            )
            return
        value = text == "true"
    for segment in path[:-1]:
        holder = holder.setdefault(segment, {})
    holder[path[-1]] = value


def finish(
    draft: _Draft, certificate_type: CertificateType, *, column_of: Callable[[str], str]
) -> InputRow | Rejection:
    """Derives, validates and numbers one assembled document; `column_of` names the column of a
    problem's field as the file does."""
    claims = draft.claims
    raw_number = claims.get(certificate_type.number_field)
    number = raw_number if isinstance(raw_number, str) else None
    problems = list(draft.problems)
    if not problems:
        problems = [
            _derivation_coded(problem) for problem in apply_derivations(claims, certificate_type.derive)
        ]
    if not problems:
        problems = _without_underived(certificate_type.problems(claims), certificate_type)
    if problems:
        return _refusal(draft, certificate_type, number, problems, column_of)
    assert number is not None  # the schema requires the number field  # noqa: S101
    return InputRow(draft.line, number, claims)


def _refusal(
    draft: _Draft,
    certificate_type: CertificateType,
    number: str | None,
    problems: list[FieldProblem],
    column_of: Callable[[str], str],
) -> Rejection:
    shown = [_on_lines(draft, problem) for problem in problems][:MAX_PROBLEMS]
    lines = [_line_of(draft, problem) for problem in shown]
    return Rejection(
        lines[0],
        number,
        "; ".join(str(problem) for problem in shown),
        problems=tuple(
            problem_of(certificate_type, problem, line=line, column=_column(problem, column_of))
            for problem, line in zip(shown, lines, strict=True)
        ),
        rows=tuple((line, tuple(row)) for line, row in draft.rows),
    )


def _column(problem: FieldProblem, column_of: Callable[[str], str]) -> str:
    if problem.code == "unknown_list":
        return problem.params["column"]
    return column_of(problem.subject)


def _derivation_coded(problem: FieldProblem) -> FieldProblem:
    """A derivation's problem with its code: a supplied total that the records do not give."""
    if problem.message == "must be an object":
        return FieldProblem(problem.path, problem.message, code="derived.not_object")
    match = _DERIVED.match(problem.message)
    if match is None:
        return problem
    params = {"given": match.group(1).strip("'"), "derived": match.group(2).strip("'")}
    return FieldProblem(problem.path, problem.message, code="derived.mismatch", params=params)


def _without_underived(problems: list[FieldProblem], certificate_type: CertificateType) -> list[FieldProblem]:
    """Drops "missing total" when another problem (a bad amount) is why it could not be derived."""
    derived = {f"missing {str(rule['path']).rsplit('.', 1)[-1]}" for rule in certificate_type.derive}
    causes = [problem for problem in problems if problem.message not in derived]
    return causes or problems


def _on_lines(draft: _Draft, problem: FieldProblem) -> FieldProblem:
    """A repeated record named by the lines that hold it (grouped CSV), reported at its repetition."""
    if not isinstance(problem, RepeatedKey):
        return problem
    lines = [draft.element_lines.get((problem.path, index)) for index in problem.indexes]
    known = [line for line in lines if line is not None]
    if len(known) < len(lines):
        return problem  # JSON Lines: the document is one line, its indexes say where
    places = [f"第{line}行" for line in known]
    on_lines = FieldProblem(
        problem.path,
        problem.described(known, lead="lines"),
        code=problem.code,
        params={**problem.params, "places": "、".join(places[:-1]) + "和" + places[-1]},
    )
    draft.problem_lines[on_lines] = known[1]
    return on_lines


def _line_of(draft: _Draft, problem: FieldProblem) -> int:
    """The line that produced the element a problem is about (grouped CSV), else the first line."""
    if problem in draft.problem_lines:
        return draft.problem_lines[problem]
    match = _ARRAY_INDEX.match(problem.path)
    if match:
        line = draft.element_lines.get((match.group(1), int(match.group(2))))
        if line is not None:
            return line
    return draft.line


def _unreadable(path: Path, error: OSError) -> IntakeError:
    return IntakeError(
        f"cannot read {path}: {error.strerror}",
        code="unreadable",
        params={"name": path.name, "why": str(error.strerror)},
    )


def source_header(path: Path) -> list[str]:
    """The header of a CSV or XLSX source as the file has it, without a refused-rows file's
    columns (``行号``, ``拒绝原因``)."""
    header = next(_source_lines(path), (0, []))[1]
    return [column for column in header if column.strip() not in REFUSAL_COLUMNS]


def source_records(
    path: Path, certificate_type: CertificateType, starts: set[int]
) -> Iterator[tuple[int, list[tuple[int, list[str]]]]]:
    """The lines of the certificates that start at `starts` (each line with its number), read again
    from the source in one pass: one line each in a flat layout or JSON Lines, in a grouped layout
    the line and those after it of the same certificate."""
    if path.suffix.lower() != ".csv" and path.suffix.lower() != ".xlsx":
        with path.open("rb") as handle:
            for number, text in enumerate(decoded_lines(handle), start=1):
                if number in starts:
                    yield number, [(number, [text.rstrip("\r\n")])]
        return
    lines = _source_lines(path)
    header = next(lines, (0, []))[1]
    kept = [index for index, column in enumerate(header) if column.strip() not in REFUSAL_COLUMNS]
    names = [header[index].strip() for index in kept]
    group = str((certificate_type.csv or {}).get("groupBy", ""))
    at = names.index(group) if group in names else None
    current: tuple[int, str, list[tuple[int, list[str]]]] | None = None
    for line, row in lines:
        cells = [row[index] if index < len(row) else "" for index in kept]
        if current is not None and at is not None and cells[at].strip() == current[1]:
            current[2].append((line, cells))
            continue
        if current is not None:
            yield current[0], current[2]
            current = None
        if line in starts:
            current = (line, cells[at].strip() if at is not None else "", [(line, cells)])
            if at is None:
                yield current[0], current[2]
                current = None
    if current is not None:
        yield current[0], current[2]


def _source_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank row of a CSV or XLSX source, the header first, each with its line (or row)."""
    if path.suffix.lower() == ".xlsx":
        with first_sheet(path) as sheet:
            for row in sheet:
                if any(cell.strip() for cell in row):
                    yield sheet.line_num, row
        return
    with path.open("rb") as handle:
        reader = csv.reader(decoded_lines(handle, gb18030=True))
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                continue
            if any(cell.strip() for cell in row):
                yield start, row
