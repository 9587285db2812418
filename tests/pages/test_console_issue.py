"""The console sends a records file in resumable pieces: a piece lost on the way is sent again from
where the service stands, a dropped progress stream is followed again, the refused rows are named
in Chinese and downloaded to fix — on a phone-sized and a desktop page, nothing sideways."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest

from scripts.demo_data import generate, write_contribution_csv
from tests.pages.conftest import Site

OPERATOR_ROLE = "operator"


def sign_in(page: Any, site: Site) -> None:
    operator = next(member for member in site.world.population.staff if member.role == OPERATOR_ROLE)
    page.goto(f"{site.url}/console")
    page.fill("#username", operator.username)
    page.fill("#password", operator.password)
    page.click("form button[type=submit]")
    page.wait_for_selector("#records")


@pytest.mark.parametrize("width", [360, 1280])
def test_a_lost_piece_and_a_dropped_stream_are_recovered_and_the_refused_rows_come_back(
    tabs: Any, site: Site, tmp_path: Path, width: int
) -> None:
    documents = list(
        generate("contribution-certificate", 4, seed=random.randrange(10**6), prefix=f"JFPG{width}")
    )
    bad = documents[1]["certificate_no"]
    export = tmp_path / "export.csv"
    write_contribution_csv(export, documents)
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    month = header.index("month")
    broken = next(index for index, line in enumerate(lines) if line.startswith(bad))
    cells = lines[broken].rstrip("\n").split(",")
    cells[month] = "2025-13"
    lines[broken] = ",".join(cells) + "\n"
    export.write_text("".join(lines), encoding="utf-8")

    tab = tabs(width=width, height=900)
    page = tab.page
    sign_in(page, site)
    dropped = {"piece": 0, "stream": 0}

    def lose_the_first_piece(route: Any) -> None:
        if route.request.method == "PATCH" and not dropped["piece"]:
            dropped["piece"] += 1
            route.abort("connectionreset")
        else:
            route.continue_()

    def drop_the_first_stream(route: Any) -> None:
        if route.request.method == "POST" and not dropped["stream"]:
            dropped["stream"] += 1
            route.fetch()  # the service issues the file; the console never hears of it
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/v1/office/uploads/*", lose_the_first_piece)
    page.route("**/v1/office/uploads/*/issuance", drop_the_first_stream)
    page.select_option("#type", "contribution-certificate/v1")
    page.set_input_files("#records", str(export))
    page.click("#issue")
    page.wait_for_selector("#issue-done, #issue-failed", timeout=90_000)
    assert dropped == {"piece": 1, "stream": 1}
    assert page.locator("#issue-failed").count() == 0, page.inner_text("#issue-summary")
    assert page.get_attribute("#uploading", "value") == page.get_attribute("#uploading", "max")

    rows = page.eval_on_selector_all(
        "#rejections tbody tr", "r => r.map(e => [...e.cells].map(c => c.innerText))"
    )
    assert len(rows) == 1
    line, number, reason = rows[0]
    assert number == bad
    assert f"{int(line)}" == str(broken + 1)
    assert "费款所属期 2025-13 不是有效的月份" in reason, reason
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "nothing scrolls sideways"
    )
    tab.shoot(f"console-issue-resumed-{width}")

    with page.expect_download() as downloading:
        page.click("#download-refused")
    saved = tmp_path / "refused.csv"
    downloading.value.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff"), "Excel on Chinese Windows opens it as UTF-8"
    refused = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert refused[0][:2] == ["行号", "拒绝原因"] and refused[0][2:] == header
    assert {row[2 + header.index("certificate_no")] for row in refused[1:]} == {bad}
    assert any("费款所属期 2025-13 不是有效的月份" in row[1] for row in refused[1:])
    # The faults put in above are the only errors the page saw; the fixture checks for others.
    injected = [problem for problem in tab.problems if "ERR_CONNECTION_RESET" in problem]
    assert len(injected) == 2, tab.problems
    tab.problems[:] = [problem for problem in tab.problems if problem not in injected]
