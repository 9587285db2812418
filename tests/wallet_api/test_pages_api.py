"""What the pages stand on, without a browser: the certificate view model, the office desk (issuance
streamed line by line, search, status changes), the printable PDF, the page shells and messages."""

from __future__ import annotations

import datetime
import io
import json
import random
import re
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
import zxingcpp
from openpyxl import Workbook
from PIL import Image

from audit import KINDS
from issuer import Reason
from issuer._derive import apply_derivations
from ledger import TypeCatalog, load_type
from scripts.demo_data import generate
from tests.issuer.test_intake import PENSION_COLUMNS, csv_text
from tests.wallet_api.conftest import WalletWorld
from wallet_api._render import document_view, yuan
from wallet_api.pages import MESSAGES

PAGES = Path(__file__).parents[2] / "wallet_api" / "pages"
FIXTURES = Path(__file__).parents[1] / "fixtures"


# ------------------------------------------------------------------ the view model


def test_a_contribution_certificate_reads_as_tables_with_totals() -> None:
    catalog = TypeCatalog.load()
    contribution = catalog.find("contribution-certificate")
    claims = next(iter(generate("contribution-certificate", 1, seed=5)))
    assert apply_derivations(claims, contribution.derive) == []  # the totals, as intake adds them
    view = document_view(claims, contribution)
    assert view["title"] == {"zh": "参保缴费证明", "en": "Social insurance contribution certificate"}
    loose = view["sections"][0]
    assert loose["kind"] == "fields"
    assert [row["field"] for row in loose["rows"]] == ["certificate_no", "holder_name", "holder_id"]
    tables = [section for section in view["sections"] if section["kind"] == "table"]
    assert tables, "each insurance is a table"
    for table in tables:
        insurance = claims[table["field"]]
        assert len(table["rows"]) == len(insurance["records"])
        keys = [column["key"] for column in table["columns"]]
        assert keys == ["month", "employer_code", "employer_name", "base", "personal", "employer", "status"]
        assert [column["amount"] for column in table["columns"]] == [
            False,
            False,
            False,
            True,
            True,
            True,
            False,
        ]
        first = insurance["records"][0]
        assert table["rows"][0][3] == yuan(first["base"])
        labels = {"paid": {"zh": "已缴", "en": "paid"}, "owed": {"zh": "欠缴", "en": "owed"}}
        assert [row[6] for row in table["rows"]] == [labels[r["status"]] for r in insurance["records"]]
        # The totals row carries the committed totals, in yuan, under their columns.
        assert table["totals"][0] == {"zh": "合计", "en": "Total"}
        assert table["totals"][4] == yuan(insurance["total_personal"])
        assert table["totals"][5] == yuan(insurance["total_employer"])
        assert table["totals"][3] == ""  # no total of bases: they are not summed
        assert sum(record["personal"] for record in insurance["records"]) == insurance["total_personal"]
        summary = {row["field"]: row["value"] for row in table["summary"]}
        assert summary[f"{table['field']}.months_paid"] == f"{insurance['months_paid']:,}"
    labels = {column["key"]: column["label"] for column in tables[0]["columns"]}
    assert labels["base"] == {"zh": "缴费基数（元）", "en": "Contribution base (yuan)"}


def test_amounts_in_yuan() -> None:
    assert yuan(632000) == "¥6,320.00"
    assert yuan(5) == "¥0.05"
    assert yuan(-12345) == "-¥123.45"
    assert yuan(0) == "¥0.00"


def test_a_presentation_shows_only_what_is_disclosed_and_says_how_much_is_hidden() -> None:
    pension = TypeCatalog.load().find("pension-qualification")
    claims = next(iter(generate("pension-qualification", 1, seed=9)))
    view = document_view({"holder_name": claims["holder_name"]}, pension, hidden=6)
    assert [row["field"] for section in view["sections"] for row in section.get("rows", [])] == [
        "holder_name"
    ]
    assert view["hidden"] == 6
    enum = document_view({"benefit_type": "enterprise_employee"}, pension)["sections"][0]["rows"][0]
    assert enum["value"] == {"zh": "企业职工基本养老保险", "en": "enterprise employees' pension"}


def test_a_new_departments_type_renders_without_code() -> None:
    allowance = load_type(FIXTURES / "minimum-living-allowance.v1.json")
    claims: dict[str, Any] = {}
    for name, node in allowance.schema["properties"].items():
        claims[name] = _example(node, allowance.schema)
    view = document_view(claims, allowance)
    rendered = {row["field"].split(".")[0] for s in view["sections"] for row in s.get("rows", [])}
    rendered |= {s["field"] for s in view["sections"] if s["kind"] == "table"}
    assert rendered == set(allowance.schema["properties"])
    assert all(
        isinstance(row["label"]["zh"], str) and row["label"]["zh"]
        for s in view["sections"]
        for row in s.get("rows", [])
    )


def _example(node: dict[str, Any], schema: dict[str, Any]) -> Any:
    if "$ref" in node:
        return _example(schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], schema)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        return {key: _example(child, schema) for key, child in node.get("properties", {}).items()}
    if kind == "array":
        return [_example(node["items"], schema)]
    if kind == "integer":
        return 1234
    return "示例"


# ------------------------------------------------------------------ the office desk


def _events(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [orjson.loads(line) for line in response.text.splitlines() if line.strip()]


def _records(tmp_path: Path, count: int, *, bad: int | None = None) -> tuple[Path, list[dict[str, Any]]]:
    documents = list(generate("pension-qualification", count, seed=random.randrange(10**6), prefix="YLDESK"))
    if bad is not None:
        number = documents[bad]["holder_id"]
        documents[bad]["holder_id"] = number[:-1] + ("3" if number[-1] != "3" else "4")
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    return path, documents


def test_issuing_a_file_streams_progress_rejections_and_anchoring(
    wallet: WalletWorld, tmp_path: Path
) -> None:
    path, documents = _records(tmp_path, 8, bad=2)
    headers = wallet.staff_headers("operator")
    stop = threading.Event()
    worker = threading.Thread(
        target=wallet.context.worker().run, args=(stop,), kwargs={"poll": 0.05}, daemon=True
    )
    worker.start()
    try:
        with path.open("rb") as file:
            response = wallet.client.post(
                "/v1/office/issuance",
                data={"type": "pension-qualification"},
                files={"file": ("records.jsonl", file, "application/x-ndjson")},
                headers=headers,
            )
    finally:
        stop.set()
        worker.join(timeout=30)
    events = _events(response)
    kinds = [event["event"] for event in events]
    assert kinds[0] == "started" and kinds[-1] == "done"
    assert "progress" in kinds
    rejected = [event for event in events if event["event"] == "rejected"]
    assert [(event["line"], event["number"]) for event in rejected] == [(3, documents[2]["certificate_no"])]
    assert rejected[0]["reason"].startswith("holder_id: the check character")
    issued = next(event for event in events if event["event"] == "issued")
    assert issued == {"event": "issued", "read": 8, "issued": 7, "alreadyIssued": 0, "refused": 1}
    anchoring = [event for event in events if event["event"] == "anchoring"]
    assert anchoring[-1] == {"event": "anchoring", "anchored": 7, "total": 7}
    assert events[-1] == {"event": "done", "issued": 7, "anchored": 7}
    # Again: nothing new, nothing to anchor; the refusal is reported again.
    with path.open("rb") as file:
        again = _events(
            wallet.client.post(
                "/v1/office/issuance",
                data={"type": "pension-qualification/v1"},
                files={"file": ("records.jsonl", file)},
                headers=headers,
            )
        )
    assert next(e for e in again if e["event"] == "issued")["alreadyIssued"] == 7
    assert again[-1] == {"event": "done", "issued": 0, "anchored": 0}
    assert not _records_files(wallet), "the records file is removed once issued"


def _records_files(wallet: Any) -> list[Path]:
    """The records files still in the uploads folder (not their descriptions or refused rows)."""
    folder = wallet.context.settings.data_dir / "uploads"
    return [
        path
        for path in folder.iterdir()
        if path.suffix in (".csv", ".xlsx", ".jsonl", ".ndjson") and "refused-rows" not in path.name
    ]


def _pension_upload(documents: list[dict[str, Any]], form: str) -> tuple[str, bytes]:
    """The documents as the console receives them: a GB18030 CSV, or an XLSX with date cells."""
    columns = list(PENSION_COLUMNS)

    def cell(document: dict[str, Any], column: str) -> Any:
        value: Any = document
        for part in column.split("."):
            value = value[part]
        return value

    if form == "csv-gb18030":
        text = csv_text(PENSION_COLUMNS, *({c: cell(d, c) for c in columns} for d in documents))
        return "records.csv", text.encode("gb18030")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "认证"
    sheet.append(columns)
    for document in documents:
        sheet.append(
            [
                datetime.date.fromisoformat(cell(document, c))
                if c == "authenticated_on"
                else cell(document, c)
                for c in columns
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return "records.xlsx", buffer.getvalue()


@pytest.mark.parametrize("form", ["csv-gb18030", "xlsx"])
def test_the_console_issues_a_gb18030_csv_and_an_xlsx_through_the_same_intake(
    wallet: WalletWorld, tmp_path: Path, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wallet_api._office.ANCHOR_WAIT", 0.0)  # no worker runs: hand over at once
    _, documents = _records(tmp_path, 4, bad=1)
    for document in documents:
        document["certificate_no"] = f"{document['certificate_no']}-{form.upper()}"
    filename, content = _pension_upload(documents, form)

    events = _events(
        wallet.client.post(
            "/v1/office/issuance",
            data={"type": "pension-qualification"},
            files={"file": (filename, content)},
            headers=wallet.staff_headers("operator"),
        )
    )

    rejected = [event for event in events if event["event"] == "rejected"]
    assert [(event["line"], event["number"]) for event in rejected] == [(3, documents[1]["certificate_no"])]
    where = "sheet 认证 row 3: holder_id" if form == "xlsx" else "holder_id"
    assert rejected[0]["reason"].startswith(f"{where}: the check character")
    issued = next(event for event in events if event["event"] == "issued")
    assert issued == {"event": "issued", "read": 4, "issued": 3, "alreadyIssued": 0, "refused": 1}
    assert events[-1] == {"event": "done", "issued": 3, "anchored": 0}
    assert not _records_files(wallet), "the records file is removed once issued"


@pytest.mark.parametrize(
    ("filename", "type_", "code"),
    [
        ("records.xls", "pension-qualification", "issuance.bad_file"),
        ("r.jsonl", "no-such-type", "issuance.unknown_type"),
    ],
)
def test_a_wrong_file_or_type_is_refused_up_front(
    wallet: WalletWorld, filename: str, type_: str, code: str
) -> None:
    response = wallet.client.post(
        "/v1/office/issuance",
        data={"type": type_},
        files={"file": (filename, b"{}\n")},
        headers=wallet.staff_headers("operator"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("filename", "content", "reason"),
    [
        ("records.jsonl", b"", "it is empty"),
        ("records.jsonl", b"\n\n", "it has only blank lines"),
        ("records.csv", b"certificate_no,holder_name,holder_id\n", "it has only a header line"),
    ],
)
def test_a_file_without_records_ends_the_stream_with_an_error(
    wallet: WalletWorld, filename: str, content: bytes, reason: str
) -> None:
    response = wallet.client.post(
        "/v1/office/issuance",
        data={"type": "pension-qualification"},
        files={"file": (filename, content)},
        headers=wallet.staff_headers("operator"),
    )

    events = _events(response)
    assert re.fullmatch(r"[0-9a-f]{32}", events[0].pop("upload")), "the stream names the upload"
    assert events[1].pop("detailZh").startswith("文件里没有记录："), "the refusal in Chinese too"
    assert events == [
        {"event": "started", "type": "pension-qualification/v1", "total": len(content)},
        {"event": "error", "code": "issuance.bad_file", "detail": f"the file holds no records: {reason}"},
    ]
    assert not _records_files(wallet), "the records file is removed once issued"


def test_finding_and_changing_a_certificate(wallet: WalletWorld) -> None:
    headers = wallet.staff_headers("operator")
    number = wallet.citizens[0].certificates[0]
    found = wallet.client.get(f"/v1/office/certificates/{number}", headers=headers)
    assert found.status_code == 200, found.text
    revision = found.json()[0]
    assert revision["number"] == number and revision["anchored"] and revision["status"] == "valid"
    assert revision["transaction"].startswith("0x") and revision["block"] > 0
    body = found.text
    citizen = wallet.citizens[0]
    assert citizen.name not in body and citizen.identity_number not in body  # nothing personal

    reasons = wallet.client.get("/v1/office/reasons", headers=headers).json()
    assert {"code": 10, "label": "under-review", "actions": ["suspend"]} in reasons
    assert "superseded" not in {reason["label"] for reason in reasons}

    suspended = wallet.client.post(
        f"/v1/office/certificates/{number}/status",
        json={"action": "suspend", "reason": "under-review"},
        headers=headers,
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["changed"] is True
    assert suspended.json()["revisions"][0]["status"] == "suspended"
    assert suspended.json()["revisions"][0]["statusReason"] == "under-review"
    assert (
        wallet.context.verifier.verify(wallet.context.certificates.by_number(number).certificate.to_json())
        .check("status")
        .status.value
        == "failed"
    )

    again = wallet.client.post(
        f"/v1/office/certificates/{number}/status",
        json={"action": "suspend", "reason": "under-review"},
        headers=headers,
    )
    assert again.json()["changed"] is False
    bad_reason = wallet.client.post(
        f"/v1/office/certificates/{number}/status",
        json={"action": "revoke", "reason": "because"},
        headers=headers,
    )
    assert bad_reason.status_code == 422 and bad_reason.json()["code"] == "status.bad_reason"
    assert "issued-in-error" in bad_reason.json()["detail"]  # the reasons that fit a revocation
    missing = wallet.client.get("/v1/office/certificates/NOPE0000", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "certificate.not_found"


# ------------------------------------------------------------------ printing


def test_the_printed_pdf_carries_the_grants_qr_code(wallet: WalletWorld, tmp_path: Path) -> None:
    citizen = wallet.citizens[0]
    headers = wallet.citizen_headers(citizen)
    certificate_id = wallet.certificate_ids(headers)[0]
    created = wallet.grant(citizen, headers, wallet.terms(certificate_id, wallet.units[0]))
    response = wallet.client.post(
        f"/v1/certificates/{certificate_id}/pdf",
        json={"link": created["link"], "lang": "zh"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"NotoSansCJKsc-Regular" in response.content  # embedded: tests/wallet_api/test_print_pdf.py
    # The QR image in the PDF is the grant's link: decode the embedded image.
    image = _first_pdf_image(response.content, tmp_path)
    assert zxingcpp.read_barcodes(image)[0].text == created["link"]

    plain = wallet.client.post(f"/v1/certificates/{certificate_id}/pdf", json={}, headers=headers)
    assert plain.status_code == 200 and plain.content.startswith(b"%PDF-")

    other = wallet.citizens[1]
    other_headers = wallet.citizen_headers(other)
    foreign = wallet.client.post(
        f"/v1/certificates/{wallet.certificate_ids(other_headers)[0]}/pdf",
        json={"link": created["link"]},
        headers=other_headers,
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "grant.not_found"


def _first_pdf_image(pdf: bytes, folder: Path) -> Image.Image:
    """The first image XObject of a reportlab PDF, decoded (Flate, RGB or grey)."""
    import zlib  # noqa: PLC0415

    match = re.search(rb"/Subtype /Image.*?/Width (\d+).*?stream\r?\n", pdf, re.S)
    assert match, "no image in the PDF"
    header = pdf[pdf.rfind(b"<<", 0, match.start()) : match.end()]
    width = int(re.search(rb"/Width (\d+)", header).group(1))  # type: ignore[union-attr]
    height = int(re.search(rb"/Height (\d+)", header).group(1))  # type: ignore[union-attr]
    length = int(re.search(rb"/Length (\d+)", header).group(1))  # type: ignore[union-attr]
    data = pdf[match.end() : match.end() + length]
    if b"/ASCII85Decode" in header:
        import base64  # noqa: PLC0415

        data = base64.a85decode(data.strip(), adobe=True)
    raw = zlib.decompress(data)
    mode = "RGB" if len(raw) >= width * height * 3 else "L"
    image = Image.frombytes(mode, (width, height), raw)
    image.save(folder / "qr-from-pdf.png")
    return image


# ------------------------------------------------------------------ page shells and messages


def test_every_message_the_pages_use_exists_in_both_languages() -> None:
    used: set[str] = set()
    for path in [*PAGES.glob("static/*.js"), *PAGES.glob("templates/*.html")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(["']([a-z_.]+[a-z_])["']""", text))
        used |= set(re.findall(r"""t\['([a-z_.]+)'\]""", text))
    assert len(used) > 150
    # Keys the pages build from values the service sends:
    used |= {f"audit.kind.{kind}" for kind in KINDS}
    used |= {f"reason.{reason.label}" for reason in Reason}
    used |= {f"grant.state.{state}" for state in ("active", "revoked", "expired", "used_up")}
    used |= {f"status.{status}" for status in ("valid", "revoked", "suspended", "superseded")}
    used |= {f"event.grant.{event}" for event in ("created", "redeemed", "revoked", "refused")}
    used |= {f"check.{name}" for name in ("format", "fields", "inclusion", "anchor", "issuer", "status")}
    used |= {f"check.{name}" for name in ("validity", "consent", "recipient", "term", "uses")}
    used |= {f"audit.action.{action}" for action in ("revoked", "suspended", "reinstated")}
    # Every check's outcome in plain words, and the decisive ones a clerk meets most.
    checks = (
        "format",
        "fields",
        "inclusion",
        "anchor",
        "issuer",
        "validity",
        "consent",
        "recipient",
        "term",
        "uses",
    )
    used |= {
        f"plain.{name}.{outcome}" for name in checks for outcome in ("passed", "failed") if name != "validity"
    }
    used |= {"plain.status.passed", "plain.status.failed.revoked", "plain.status.failed.suspended"}
    used |= {"plain.validity.passed", "plain.validity.failed.expired", "plain.validity.failed.early"}
    used |= {f"plain.{name}.unknown" for name in ("anchor", "issuer", "status")}
    for language in ("zh", "en"):
        missing = sorted(used - set(MESSAGES[language]))
        assert missing == [], (language, missing)
        assert all(MESSAGES[language][key].strip() for key in used)
    assert MESSAGES["zh"].keys() == MESSAGES["en"].keys()


@pytest.mark.parametrize("path", ["/", "/wallet", "/verify", "/console", "/audit", "/r/abcdefghijklmnop"])
def test_the_page_shells(wallet: WalletWorld, path: str) -> None:
    response = wallet.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert '<html lang="zh-CN">' in response.text
    english = wallet.client.get(f"{path}?lang=en")
    assert '<html lang="en">' in english.text
    assert english.cookies.get("lang") == "en"


def test_the_pinned_browser_libraries_are_served(wallet: WalletWorld) -> None:
    ethers = wallet.client.get("/vendor/ethers.js")
    assert ethers.status_code == 200 and b"signTypedData" in ethers.content
    jsqr = wallet.client.get("/vendor/jsqr.js")
    assert jsqr.status_code == 200 and b"jsQR" in jsqr.content
    assert wallet.client.get("/vendor/other.js").status_code == 404


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_have_enough_contrast() -> None:
    css = (PAGES / "static" / "app.css").read_text(encoding="utf-8")
    palette = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    pairs = [
        ("ink", "paper"),
        ("ink", "band"),
        ("muted", "paper"),
        ("muted", "band"),
        ("brand", "paper"),  # links and secondary buttons
        ("brand-ink", "brand"),  # the header and primary buttons
        ("ok", "ok-bg"),
        ("bad", "bad-bg"),
        ("grey", "grey-bg"),
        ("brand-ink", "ok"),  # the verdict banners
        ("brand-ink", "bad"),
        ("brand-ink", "grey"),
    ]
    weak = {f"{a} on {b}": round(contrast(palette[a], palette[b]), 2) for a, b in pairs}
    assert {pair: ratio for pair, ratio in weak.items() if ratio < 4.5} == {}
    assert contrast("#dbe7f5", palette["brand"]) >= 4.5  # the header's section name
    assert contrast(palette["warn"], "#fff4dc") >= 4.5  # the "being anchored" badge
