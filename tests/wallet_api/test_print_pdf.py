"""The printed PDF as a reader draws it: one A4 page, the font embedded, Chinese verdict and Beijing
time, and every glyph really drawn — looked at through Poppler (pdfinfo, pdffonts, pdftotext,
pdftoppm), not through reportlab."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from issuer._derive import apply_derivations
from ledger import TypeCatalog
from scripts.demo_data import generate
from verifier import Check, CheckStatus, Verdict, Verification
from wallet_api._print import PrintedCode, certificate_pdf
from wallet_api._print_codes import code_in_pdf
from wallet_api._render import document_view

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils is not installed (make browser installs it)"
)

MOMENT = datetime(2026, 12, 3, 17, 6, tzinfo=UTC)  # 2026年12月4日 01:06 in Beijing
CODE = PrintedCode(
    "7KQ2-M9XD-4HTW-B3NP",
    datetime(2027, 3, 3, 17, 6, tzinfo=UTC),
    "https://w.example/verify?code=7KQ2-M9XD-4HTW-B3NP",
)
VALID = Verification(Verdict.VALID, (Check("status", CheckStatus.PASSED, "valid"),), "certificate", {})
UNREACHABLE = Verification(
    Verdict.INDETERMINATE,
    (Check("anchor", CheckStatus.UNKNOWN, "the chain did not answer"),),
    "certificate",
    {},
)
REVOKED = Verification(
    Verdict.INVALID, (Check("status", CheckStatus.FAILED, "revoked by the office"),), "certificate", {}
)


def _reference_view() -> dict[str, Any]:
    """The reference contribution certificate: one person, one insurance, 12 months."""
    contribution = TypeCatalog.load().find("contribution-certificate")
    claims = next(iter(generate("contribution-certificate", 1, seed=5)))
    assert apply_derivations(claims, contribution.derive) == []
    view = document_view(claims, contribution)
    assert [len(section["rows"]) for section in view["sections"] if section["kind"] == "table"] == [12]
    return view


def _poppler(*arguments: str) -> str:
    done = subprocess.run(arguments, capture_output=True, text=True, check=True, timeout=60)
    assert done.stderr == "", done.stderr  # Poppler complains of nothing in the file
    return done.stdout


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("print") / "certificate.pdf"
    path.write_bytes(
        certificate_pdf(
            _reference_view(),
            number="JF3710002025793483",
            office="威海市社会保险事业中心",
            verification=VALID,
            anchor=None,
            checked_at=MOMENT,
            valid_until=None,
            code=CODE,
        )
    )
    return path


def test_one_a4_page_with_only_embedded_fonts(printed: Path) -> None:
    info = _poppler("pdfinfo", str(printed))
    assert re.search(r"^Pages:\s+1$", info, re.M)
    assert re.search(r"^Page size:\s+595.2\d* x 841.8\d* pts \(A4\)", info, re.M)
    rows = _poppler("pdffonts", str(printed)).splitlines()[2:]
    assert rows, "no font at all"
    for row in rows:
        name, *_middle, embedded, subset, _unicode, _object, _generation = row.split()
        assert (embedded, subset) == ("yes", "yes"), row
        assert name.endswith("+NotoSansCJKsc-Regular")


def test_the_verdict_is_chinese_and_the_times_are_beijing_time(printed: Path) -> None:
    text = _poppler("pdftotext", "-layout", str(printed), "-")
    assert "链上核验：真实有效：内容与区块链上的记录一致，出具机构已登记。" in text
    assert "核验时间：2026年12月4日 01:06（北京时间）" in text
    assert "有效期至：长期" in text
    assert "7KQ2-M9XD-4HTW-B3NP" in text and "验证码" in text
    assert "2027年3月4日 01:06（北京时间）" in re.sub(r"\s+", " ", text).replace("日 01", "日 01")
    assert "¥8,714.88" in text  # the total, in yuan with separators
    assert code_in_pdf(printed.read_bytes()) == CODE.code


@pytest.mark.parametrize(
    ("verification", "sentence"),
    [
        (REVOKED, "无效：已被出具机构撤销或暂停。"),
        (UNREACHABLE, "暂时无法判断：暂时连不上区块链，请稍后再打印。"),
        (None, "暂时无法判断：尚未写入区块链，请稍后再打印。"),
    ],
)
def test_a_verdict_other_than_valid_prints_why_in_chinese(
    tmp_path: Path, verification: Verification | None, sentence: str
) -> None:
    path = tmp_path / "other.pdf"
    path.write_bytes(
        certificate_pdf(
            _reference_view(),
            number="N1",
            office=None,
            verification=verification,
            anchor=None,
            checked_at=MOMENT,
        )
    )
    text = re.sub(r"\s+", "", _poppler("pdftotext", str(path), "-"))
    assert re.sub(r"\s+", "", sentence) in text
    assert "本打印件未附验证码" in text
    assert "revoked" not in text and "chain" not in text  # no English in the Chinese paper


def test_every_glyph_is_drawn_and_none_is_tofu(printed: Path, tmp_path: Path) -> None:
    """Poppler used to draw ☒ for "·" (STSong-Light, not embedded). Rendered at 200 dpi: the middle
    dot is a small mark, not a box or nothing; and the title's six characters are six different
    drawings (a missing glyph draws the same box each time)."""
    _poppler("pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", str(printed), str(tmp_path / "page"))
    page = Image.open(tmp_path / "page.png").convert("L")
    scale = 200 / 72
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        _poppler("pdftotext", "-bbox", str(printed), "-"),
    )

    def crop(box: tuple[float, float, float, float]) -> Image.Image:
        return page.crop(tuple(round(value * scale) for value in box))  # type: ignore[arg-type]

    def ink(image: Image.Image) -> tuple[int, int, int, int] | None:
        return ImageChops.invert(image).point(lambda value: 255 if value > 96 else 0).getbbox()

    dots = [tuple(map(float, word[:4])) for word in words if word[4] == "·"]
    assert dots, "no middle dot in the text"
    for box in dots:
        found = ink(crop(box))  # type: ignore[arg-type]
        assert found is not None, "the middle dot is not drawn"
        height = (box[3] - box[1]) * scale
        assert found[3] - found[1] < 0.3 * height and found[2] - found[0] < 0.3 * height, "a box, not a dot"

    title = next(tuple(map(float, word[:4])) for word in words if word[4] == "参保缴费证明")
    step = (title[2] - title[0]) / 6
    cells = [
        crop((title[0] + index * step, title[1], title[0] + (index + 1) * step, title[3]))
        for index in range(6)
    ]
    assert all(ink(cell) is not None for cell in cells)
    drawings = {cell.tobytes() for cell in cells}
    assert len(drawings) == 6


def test_a_later_document_draws_characters_the_earlier_ones_did_not_need(tmp_path: Path) -> None:
    """The font grows as documents need new characters: a later PDF with a rare name draws it."""
    first = tmp_path / "first.pdf"
    first.write_bytes(
        certificate_pdf(
            _reference_view(), number="N1", office="威海", verification=None, anchor=None, checked_at=MOMENT
        )
    )
    rare = "龘靐齉"  # in the face, in no base set and in no earlier document of this process
    later = tmp_path / "later.pdf"
    later.write_bytes(
        certificate_pdf(
            _reference_view(),
            number="N2",
            office=f"{rare}社保中心",
            verification=None,
            anchor=None,
            checked_at=MOMENT,
        )
    )
    assert f"{rare}社保中心" in re.sub(r"\s+", "", _poppler("pdftotext", str(later), "-"))
