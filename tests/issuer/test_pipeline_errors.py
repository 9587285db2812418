"""A whole-file refusal found by the reading child process keeps its code, so that it reads in
Chinese like one found in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuer import IntakeError, documents_from_file
from ledger import TypeCatalog


@pytest.mark.parametrize("parallel", [False, True])
def test_a_header_naming_unknown_columns_is_refused_the_same_in_either_process(
    tmp_path: Path, parallel: bool
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("certificate_no,shoe_size\n" + "JF3710002025000001,42\n" * 120_000, encoding="utf-8")
    assert path.stat().st_size > 2_000_000  # large enough to be read in a child by default
    certificate_type = TypeCatalog.load().find("pension-qualification")
    with pytest.raises(IntakeError) as refused:
        list(documents_from_file(path, certificate_type, parallel=parallel))
    assert refused.value.code == "columns.unknown", refused.value.code
    assert "shoe_size" in str(refused.value)
    assert "shoe_size" in refused.value.reason_zh and refused.value.reason_zh != str(refused.value)
