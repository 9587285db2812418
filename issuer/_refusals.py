"""The refused rows of an input file, given back as a file to fix and upload again.

`RefusedRows` gathers the refused certificates of a file as it streams — their own rows, spilled
to a temporary file, never the whole input — and writes them with the original header and
values, the line and the Chinese reason in front.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from issuer._intake import source_header, source_records
from issuer._rejections import REFUSAL_COLUMNS, REFUSAL_FIELD, Rejection
from ledger import CanonicalJSONError, CertificateType, check_json_depth


@dataclass(frozen=True, slots=True)
class _Entry:
    """Where one refused certificate is in the spill file."""

    line: int
    offset: int
    fetched: bool  # its rows are in the spill (else they are read again from the source)


class RefusedRows:
    """The refused certificates of one input file, gathered as it streams, and the file that gives
    them back to fix and upload again.

    `add` takes each `Rejection` (it fits `IssuanceService.issue(on_rejection=…)`); its rows go to
    a temporary file at once, so memory holds a few numbers per refused certificate. A refusal at
    issuance carries no rows (the number was issued with other content): `write` reads those
    certificates again from the source, in one pass, so the source must still be there then.

    For a CSV or XLSX source the file written is CSV in UTF-8 with a byte-order mark (Excel on
    Chinese Windows opens it as it is): ``行号`` and ``拒绝原因`` in front of the source's header,
    then every line of each refused certificate as the source holds it, in file order. The reason
    is on each line a problem is at; the other lines of the certificate point to it. For JSON
    Lines it is JSON Lines: each refused document with a ``_refusal`` member (its line and
    reason). The intake ignores these columns and the member, so the file can be uploaded again
    once fixed.
    """

    def __init__(self, source: Path, certificate_type: CertificateType) -> None:
        self.source = source
        self.certificate_type = certificate_type
        self.count = 0
        self._spill: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 — closed by close()
        self._entries: list[_Entry] = []

    @property
    def suffix(self) -> str:
        """The written file's suffix: ``.jsonl`` for a JSON Lines source, else ``.csv``."""
        return ".jsonl" if _is_json_lines(self.source) else ".csv"

    def __enter__(self) -> RefusedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Removes the temporary file."""
        self._spill.close()

    def add(self, rejection: Rejection) -> None:
        """Keeps `rejection` and its rows (in the temporary file) for `write`."""
        self.count += 1
        lines = [problem.line for problem in rejection.problems] or [rejection.line]
        self._entries.append(
            self._spilled(
                {
                    "line": rejection.line,
                    "number": rejection.number,
                    "sentence": rejection.sentence("zh"),
                    "lines": sorted(set(lines)),
                    "rows": None if rejection.rows is None else [list(row) for row in rejection.rows],
                },
                fetched=rejection.rows is not None,
            )
        )

    def write(self, target: Path) -> int:
        """Writes the refused certificates to `target` (see the class); how many were written."""
        self._fetch_missing_rows()
        entries = sorted(self._entries, key=lambda entry: entry.line)
        if _is_json_lines(self.source):
            with target.open("w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
                for entry in entries:
                    for document in _refused_documents(self._read(entry)):
                        handle.write(json.dumps(document, ensure_ascii=False) + "\n")
            return len(entries)
        header = source_header(self.source)
        with target.open("w", encoding="utf-8-sig", errors="backslashreplace", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*REFUSAL_COLUMNS, *header])
            for entry in entries:
                writer.writerows(_refused_lines(self._read(entry)))
        return len(entries)

    def _spilled(self, record: dict[str, Any], *, fetched: bool) -> _Entry:
        self._spill.seek(0, 2)
        offset = self._spill.tell()
        self._spill.write(json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")
        return _Entry(int(record["line"]), offset, fetched)

    def _read(self, entry: _Entry) -> dict[str, Any]:
        self._spill.seek(entry.offset)
        record: dict[str, Any] = json.loads(self._spill.readline().decode("utf-8", "surrogatepass"))
        return record

    def _fetch_missing_rows(self) -> None:
        """Reads the rows of the certificates refused without them, from the source, in one pass."""
        missing = {entry.line: entry for entry in self._entries if not entry.fetched}
        if not missing:
            return
        fetched: dict[int, _Entry] = {}
        for line, rows in source_records(self.source, self.certificate_type, set(missing)):
            record = self._read(missing[line])
            record["rows"] = [[row_line, list(cells)] for row_line, cells in rows]
            fetched[line] = self._spilled(record, fetched=True)
        self._entries = [
            fetched.get(entry.line, entry) if not entry.fetched else entry for entry in self._entries
        ]


def _is_json_lines(source: Path) -> bool:
    return source.suffix.lower() in {".jsonl", ".ndjson", ".json"}


def _refused_lines(record: dict[str, Any]) -> Iterator[list[str]]:
    """The CSV lines of one refused certificate: line, reason, then the cells as the source has them."""
    sentence = str(record["sentence"])
    at = set(record["lines"])
    pointer = f"同一份证明被拒绝，原因见第{record['line']}行"
    rows = record["rows"] or [[record["line"], []]]
    for line, cells in rows:
        yield [str(line), sentence if line in at else pointer, *cells]


def _refused_documents(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The refused document of a JSON Lines source, with its refusal in front."""
    refusal = {"line": record["line"], "reason": record["sentence"]}
    for _line, cells in record["rows"] or [[record["line"], [""]]]:
        text = cells[0].rstrip("\r\n") if cells else ""
        try:
            check_json_depth(text)  # a refused row may be the hostile one: no recursion past 64
            document = json.loads(text)
        except (ValueError, CanonicalJSONError):
            document = None
        if isinstance(document, dict):
            document.pop(REFUSAL_FIELD, None)
            yield {REFUSAL_FIELD: refusal, **document}
        else:
            yield {REFUSAL_FIELD: refusal, "_original": text}
