"""`certledger verify` and `present` as a unit and a holder use them: files, links, QR images."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import qrcode

from scripts.demo_data import generate, write_jsonl
from tests.conftest import free_port
from tests.issuing import certledger as run_certledger


@pytest.fixture(scope="module")
def exported(cli_office: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An issued certificate exported as a file, as a credential, and as a presentation."""
    folder = tmp_path_factory.mktemp("exported")
    documents = list(generate("pension-qualification", 2, seed=61))
    source = folder / "pension.jsonl"
    write_jsonl(source, documents)
    assert run_certledger(cli_office, "issue", "-t", "pension-qualification", str(source)).returncode == 0
    number = str(documents[0]["certificate_no"])
    paths = {
        "certificate": folder / "certificate.json",
        "vc": folder / "vc.json",
        "presentation": folder / "shown.json",
    }
    assert run_certledger(cli_office, "export", number, "--out", str(paths["certificate"])).returncode == 0
    assert run_certledger(cli_office, "export", number, "--vc", "--out", str(paths["vc"])).returncode == 0
    shown = run_certledger(
        cli_office,
        "present",
        str(paths["certificate"]),
        "--fields",
        "benefit_type,qualification_period",
        "--out",
        str(paths["presentation"]),
    )
    assert shown.returncode == 0, shown.stderr
    return paths


@pytest.mark.slow
def test_a_certificate_file_verifies(cli_office: dict[str, str], exported: dict[str, Path]) -> None:
    result = run_certledger(cli_office, "verify", str(exported["certificate"]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout and "every check passed" in result.stdout
    assert "威海市社会保险事业中心（开发环境）" in result.stdout


@pytest.mark.slow
def test_json_output_and_the_credential_form(cli_office: dict[str, str], exported: dict[str, Path]) -> None:
    result = run_certledger(cli_office, "verify", str(exported["vc"]), "--json")
    assert result.returncode == 0, result.stdout
    verification = json.loads(result.stdout)
    assert (verification["verdict"], verification["kind"]) == ("VALID", "credential")
    assert [check["name"] for check in verification["checks"]] == [
        "format", "fields", "inclusion", "anchor", "issuer", "status", "validity",
    ]  # fmt: skip
    assert json.loads(exported["vc"].read_text(encoding="utf-8"))["@context"] == [
        "https://www.w3.org/ns/credentials/v2"
    ]


@pytest.mark.slow
def test_a_presentation_shows_only_its_fields(cli_office: dict[str, str], exported: dict[str, Path]) -> None:
    result = run_certledger(cli_office, "verify", str(exported["presentation"]), "--json")
    assert result.returncode == 0, result.stdout
    verification = json.loads(result.stdout)
    assert set(verification["disclosed"]) == {"benefit_type", "qualification_period"}
    certificate = json.loads(exported["certificate"].read_text(encoding="utf-8"))
    assert certificate["claims"]["holder_id"] not in result.stdout


@pytest.mark.slow
def test_a_tampered_file_is_invalid_with_exit_1(
    cli_office: dict[str, str], exported: dict[str, Path], tmp_path: Path
) -> None:
    document = json.loads(exported["certificate"].read_text(encoding="utf-8"))
    document["claims"]["benefit_type"] = (
        "public_institution"
        if document["claims"]["benefit_type"] != "public_institution"
        else "urban_rural_resident"
    )
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = run_certledger(cli_office, "verify", str(tampered), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"] == "the fields do not hash to the document root"


@pytest.fixture
def served(exported: dict[str, Path]) -> Iterator[str]:
    """The exported files on a loopback HTTP server."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()),
        partial(SimpleHTTPRequestHandler, directory=str(exported["certificate"].parent)),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_a_link_and_a_qr_code_of_the_link(cli_office: dict[str, str], served: str, tmp_path: Path) -> None:
    link = f"{served}/certificate.json"
    assert run_certledger(cli_office, "verify", link).returncode == 0
    image = tmp_path / "code.png"
    qrcode.make(link).save(image)
    result = run_certledger(cli_office, "verify", "--qr", str(image), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["verdict"] == "VALID"
    missing = run_certledger(cli_office, "verify", f"{served}/nothing.json")
    assert missing.returncode == 2
    assert "answered HTTP 404" in missing.stderr


@pytest.mark.slow
def test_a_qr_code_holding_the_presentation_itself(
    cli_office: dict[str, str], exported: dict[str, Path], tmp_path: Path
) -> None:
    compact = json.dumps(
        json.loads(exported["presentation"].read_text(encoding="utf-8")),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    image = tmp_path / "inline.png"
    qrcode.make(compact).save(image)
    result = run_certledger(cli_office, "verify", "--qr", str(image))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_unreadable_inputs_and_a_dead_chain(
    cli_office: dict[str, str], exported: dict[str, Path], tmp_path: Path
) -> None:
    blank = tmp_path / "blank.png"
    qrcode.make("").save(blank)  # an empty code
    assert run_certledger(cli_office, "verify", "--qr", str(tmp_path / "none.png")).returncode == 2
    not_json = tmp_path / "x.json"
    not_json.write_text("hello", encoding="utf-8")
    result = run_certledger(cli_office, "verify", str(not_json), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["checks"][0]["reason"].startswith("not a JSON document")
    dead = cli_office | {
        "CERTLEDGER_RPC_URL": f"http://127.0.0.1:{free_port()}",
        "CERTLEDGER_DEPLOYMENT": str(Path(cli_office["CERTLEDGER_DATA_DIR"]) / "deployments" / "31337.json"),
    }
    result = run_certledger(dead, "verify", str(exported["certificate"]), "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["verdict"] == "INDETERMINATE"
