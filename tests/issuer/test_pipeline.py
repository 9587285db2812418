"""Reading in a second process gives exactly what reading in process gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuer import IntakeError, PreparedRow, Rejection, _pipeline, documents_from_file
from ledger import TypeCatalog, encode_claims
from scripts.demo_data import generate, write_contribution_csv, write_jsonl


def _bad_rows(documents: list[dict[str, object]]) -> None:
    documents[3]["holder_id"] = "11010519491231002Y"
    documents[7]["holder_name"] = ""


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_the_child_process_reads_what_the_parent_would(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pipeline, "CHUNK", 100)  # the forked child sees it: three chunks, one part-full
    contribution = TypeCatalog.load().find("contribution-certificate")
    documents = list(generate("contribution-certificate", 250, seed=5))
    _bad_rows(documents)
    path = tmp_path / f"export{suffix}"
    (write_contribution_csv if suffix == ".csv" else write_jsonl)(path, documents)
    progress: list[int] = []
    in_process = list(documents_from_file(path, contribution, parallel=False))
    in_child = list(documents_from_file(path, contribution, parallel=True, progress=progress.append))
    assert len(in_child) == len(in_process) == 250
    for mine, theirs in zip(in_process, in_child, strict=True):
        if isinstance(mine, Rejection):
            assert theirs == mine
        else:
            assert isinstance(theirs, PreparedRow)
            assert (theirs.line, theirs.number, theirs.claims) == (mine.line, mine.number, mine.claims)
            assert theirs.encodings == encode_claims(mine.claims)
    assert sum(progress) == path.stat().st_size
    rejected = [item for item in in_child if isinstance(item, Rejection)]
    assert [item.number for item in rejected] == [
        documents[3]["certificate_no"],
        documents[7]["certificate_no"],
    ]


def test_a_file_the_child_cannot_read_fails_in_the_parent(tmp_path: Path) -> None:
    pension = TypeCatalog.load().find("pension-qualification")
    path = tmp_path / "export.csv"
    path.write_text("certificate_no,shoe_size\nZG000001,42\n", encoding="utf-8")
    with pytest.raises(IntakeError, match="line 1: shoe_size is not a field of pension-qualification/v1"):
        list(documents_from_file(path, pension, parallel=True))


@pytest.mark.parametrize("parallel", [False, True])
def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path, parallel: bool) -> None:
    pension = TypeCatalog.load().find("pension-qualification")
    path = tmp_path / "export.jsonl"
    path.write_bytes(
        b'{"certificate_no": "ZG000001"}\n{"holder_name": "\xd5\xc5\xc8\xfd"}\n'
    )  # GBK, not UTF-8
    with pytest.raises(IntakeError, match="line 2: the file is not UTF-8 text"):
        list(documents_from_file(path, pension, parallel=parallel))
