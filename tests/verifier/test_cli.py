"""`certledger verify` and `present` as a unit and a holder use them: files, links, QR images."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import qrcode
import requests

from scripts.demo_data import generate, write_jsonl
from tests.conftest import free_port
from tests.issuing import CERTLEDGER
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


DEEP = "the JSON nests arrays and objects more than 64 deep"


@pytest.mark.slow
def test_deeply_nested_files_links_and_qr_codes_are_refused_with_exit_2(
    cli_office: dict[str, str], exported: dict[str, Path], served: str, tmp_path: Path
) -> None:
    """Each of these killed the command with SIGSEGV (exit 139) before nesting was bounded."""
    folder = exported["certificate"].parent
    for depth in (100_000, 1_000_000):
        (folder / f"deep-{depth}.json").write_text("[" * depth + "]" * depth, encoding="utf-8")
        for source in (str(folder / f"deep-{depth}.json"), f"{served}/deep-{depth}.json"):
            result = run_certledger(cli_office, "verify", source)
            assert result.returncode == 2, result.stdout + result.stderr
            assert f"{source} cannot be read: {DEEP}" in " ".join(result.stderr.split())
        shown = run_certledger(
            cli_office, "present", str(folder / f"deep-{depth}.json"), "--fields", "benefit_type"
        )
        assert shown.returncode == 2
        assert DEEP in " ".join(shown.stderr.split())
    image = tmp_path / "deep.png"
    qrcode.make('{"a":' + "[" * 300 + "]" * 300 + "}").save(image)  # as deep as a QR code holds
    result = run_certledger(cli_office, "verify", "--qr", str(image))
    assert result.returncode == 2, result.stdout + result.stderr
    assert DEEP in " ".join(result.stderr.split())
    assert run_certledger(cli_office, "verify", str(exported["certificate"])).returncode == 0


@pytest.mark.slow
def test_a_served_api_refuses_deep_bodies_and_keeps_serving(cli_office: dict[str, str]) -> None:
    """The outside test's attack on a real `certledger serve` with its background workers: one
    such body used to kill the process, and the anchoring worker and log anchorer with it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(CERTLEDGER), "serve", "--port", str(port)],
        env=cli_office,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_serving(base, server)
        for route in ("/v1/verify", "/v1/auth/login"):
            for body in (b"[" * 100_000 + b"]" * 100_000, b"[" * 1_000_000):
                answer = requests.post(
                    base + route, data=body, headers={"Content-Type": "application/json"}, timeout=30
                )
                assert (answer.status_code, answer.json()["code"]) == (422, "request.too_deep")
                assert server.poll() is None
        assert requests.get(f"{base}/v1/health", timeout=10).json()["status"] == "ok"
        alive = requests.post(f"{base}/v1/verify", json={"document": {}}, timeout=10)
        assert alive.status_code == 200
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=60)
    # Uvicorn shuts down gracefully, then raises SIGTERM again for the default handler.
    assert b"Application shutdown complete." in errors, errors.decode(errors="replace")[-2000:]


def _wait_until_serving(base: str, server: subprocess.Popen[bytes]) -> None:
    """Waits on the condition (the health route answering), never on a fixed time."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited while starting"
        try:
            if requests.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail("the server did not answer within 120 s")
