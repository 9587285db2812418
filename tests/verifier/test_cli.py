"""`certledger verify` and `present` as a unit and a holder use them: files, links, QR images."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import qrcode
import requests

from scripts.demo_data import generate, write_jsonl
from scripts.demo_wallet import Population, population_path
from tests.conftest import free_port
from tests.issuing import CERTLEDGER
from tests.issuing import certledger as run_certledger
from tests.wallet_api.conftest import sign_typed


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


KEY = "A" * 43  # a one-time key of the right form; nothing is redeemed with it
NEEDS_KEY = (
    "the wallet gives its presentation only to the unit the grant names, which redeems the link "
    "with its API key; give the unit's key with --unit-key KEY or in CERTLEDGER_UNIT_KEY"
)


@pytest.mark.slow
def test_a_grant_link_and_its_qr_code_need_the_unit_key(cli_office: dict[str, str], tmp_path: Path) -> None:
    """They used to be fetched as documents: the wallet's page is not JSON, so 'INVALID, not a
    JSON document' with exit 1, as if the citizen's certificate were forged."""
    wallet = f"http://127.0.0.1:{free_port()}/wallet"  # nothing listens: nothing is fetched
    link = f"{wallet}/r/k3v7qmxa2b5cdefg#{KEY}"
    result = run_certledger(cli_office, "verify", link)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {wallet}/r/k3v7qmxa2b5cdefg is a grant link: {NEEDS_KEY}\n"
    image = tmp_path / "grant.png"
    qrcode.make(link).save(image)
    result = run_certledger(cli_office, "verify", "--qr", str(image), "--json")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: the QR code in {image} holds a grant link, {wallet}/r/k3v7qmxa2b5cdefg: {NEEDS_KEY}\n"
    )
    assert KEY not in result.stderr  # the one-time key is never echoed


@pytest.mark.slow
def test_no_trusted_ledger_is_a_setup_error_with_exit_2(
    cli_office: dict[str, str], exported: dict[str, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    node = f"http://127.0.0.1:{cli_office['CERTLEDGER_CHAIN_PORT']}"  # a chain, but no manifest for it
    unset = cli_office | {"CERTLEDGER_DATA_DIR": str(empty), "CERTLEDGER_RPC_URL": node}
    for extra in ((), ("--json",)):
        result = run_certledger(unset, "verify", str(exported["certificate"]), *extra)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            f"error: no trusted ledger: no deployment manifest at {empty / 'deployments' / '31337.json'}; "
            "set CERTLEDGER_LEDGER_ADDRESS (and CERTLEDGER_CHAIN_ID) to the ledger to trust, "
            "CERTLEDGER_DEPLOYMENT to its deployment manifest, "
            "or CERTLEDGER_DATA_DIR to the data folder that holds the manifest\n"
        )
    wrong = run_certledger(
        cli_office | {"CERTLEDGER_LEDGER_ADDRESS": "0xabc"}, "verify", str(exported["certificate"])
    )
    assert (wrong.returncode, wrong.stderr) == (
        2,
        "error: CERTLEDGER_LEDGER_ADDRESS is not a checksummed address\n",
    )
    invalid = run_certledger(
        cli_office | {"CERTLEDGER_WALLET_URL": "wallet.example"}, "verify", str(exported["certificate"])
    )
    assert (invalid.returncode, invalid.stderr) == (
        2,
        "error: the verifier's settings are not valid: CERTLEDGER_WALLET_URL: Value error, "
        "CERTLEDGER_WALLET_URL must be an http:// or https:// address\n",
    )


@pytest.mark.slow
def test_present_exits_2_when_it_cannot_write(
    cli_office: dict[str, str], exported: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "missing" / "shown.json"
    result = run_certledger(
        cli_office, "present", str(exported["certificate"]), "--fields", "benefit_type", "--out", str(out)
    )
    assert (result.returncode, result.stderr) == (
        2,
        f"error: cannot write {out}: No such file or directory\n",
    )
    unknown = run_certledger(cli_office, "present", str(exported["certificate"]), "--fields", "salary")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "error: the certificate has no field salary to disclose\n",
    )


@dataclass
class ServedWallet:
    """`certledger run` on the module's data folder: the demonstration and its wallet API."""

    base: str
    population: Population


@pytest.fixture(scope="module")
def served_wallet(cli_office: dict[str, str]) -> Iterator[ServedWallet]:
    """The main job as an operator starts it: it adds the demonstration citizens and units."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(CERTLEDGER), "run"],
        env=cli_office | {"CERTLEDGER_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_serving(base, server)
        path = population_path(Path(cli_office["CERTLEDGER_DATA_DIR"]))
        yield ServedWallet(base, Population.from_json(json.loads(path.read_text(encoding="utf-8"))))
    finally:
        server.terminate()
        server.communicate(timeout=60)


def _grant_link(wallet: ServedWallet, *, uses: int) -> str:
    """A grant of the first citizen's contribution certificate to the first unit, made as the
    citizen's phone makes it: draft, sign with the wallet key, create."""
    citizen, unit = wallet.population.citizens[0], wallet.population.units[0]
    login = requests.post(
        f"{wallet.base}/v1/auth/login",
        json={"login": citizen.identity_number, "password": citizen.password},
        timeout=30,
    )
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    certificates = requests.get(f"{wallet.base}/v1/certificates", headers=headers, timeout=30).json()
    terms = {
        "certificateId": next(c["id"] for c in certificates if c["type"].startswith("contribution")),
        "unitId": unit.id,
        "fields": ["certificate_no", "period"],
        "purpose": "办理住房贷款",
        "expires": int(time.time()) + 3600,
        "uses": uses,
    }
    draft = requests.post(f"{wallet.base}/v1/grants/draft", json=terms, headers=headers, timeout=30).json()
    created = requests.post(
        f"{wallet.base}/v1/grants",
        json={
            **terms,
            "grantId": draft["grantId"],
            "signature": sign_typed(draft["typedData"], citizen.private_key),
        },
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["link"])


@pytest.mark.slow
def test_a_unit_redeems_a_grant_link_with_its_key(
    cli_office: dict[str, str], served_wallet: ServedWallet, tmp_path: Path
) -> None:
    link = _grant_link(served_wallet, uses=2)
    shown = link.split("#")[0]
    right, other = served_wallet.population.units[:2]
    refused = f"error: the wallet at {served_wallet.base} refused the redemption with HTTP"
    result = run_certledger(cli_office, "verify", link, "--unit-key", other.api_key)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"{refused} 403 grant.wrong_unit: the grant is addressed to another unit\n"
    wrong_key = right.api_key[:-4] + ("AAAA" if not right.api_key.endswith("AAAA") else "BBBB")
    result = run_certledger(cli_office | {"CERTLEDGER_UNIT_KEY": wrong_key}, "verify", link)
    assert result.stderr == f"{refused} 401 auth.invalid_key: the API key is not valid\n"
    assert result.returncode == 2
    # Refused before the key is sent, or before a use is spent: the grant keeps both its uses.
    elsewhere = cli_office | {"CERTLEDGER_WALLET_URL": "https://wallet.example/"}
    result = run_certledger(elsewhere, "verify", link, "--unit-key", right.api_key)
    assert (result.returncode, result.stderr) == (
        2,
        f"error: {shown} is a grant link of the wallet at {served_wallet.base}, not of the unit's "
        "wallet https://wallet.example: the unit's key is sent to its own wallet only\n",
    )
    unset = cli_office | {"CERTLEDGER_DATA_DIR": str(tmp_path), "CERTLEDGER_UNIT_KEY": right.api_key}
    result = run_certledger(unset, "verify", link)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no trusted ledger: no deployment manifest at ")

    keyed = cli_office | {"CERTLEDGER_UNIT_KEY": right.api_key}
    result = run_certledger(keyed, "verify", link)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout and "every check passed" in result.stdout
    for title in ("Anchored on the ledger", "Signed by the holder", "Addressed to this unit"):
        assert title in result.stdout
    image = tmp_path / "grant.png"
    qrcode.make(link).save(image)
    result = run_certledger(cli_office, "verify", "--qr", str(image), "--json", "--unit-key", right.api_key)
    assert (result.returncode, result.stderr) == (0, "")
    verification = json.loads(result.stdout)
    assert (verification["verdict"], verification["kind"]) == ("VALID", "presentation")
    # What the citizen chose, and whose record it is (always disclosed).
    assert sorted(verification["disclosed"]) == ["certificate_no", "holder_id", "holder_name", "period"]
    assert [(check["name"], check["status"]) for check in verification["checks"]] == [
        (name, "passed")
        for name in (
            "format", "fields", "inclusion", "anchor", "issuer", "status", "validity",
            "consent", "recipient", "term", "uses",
        )
    ]  # fmt: skip
    assert verification["checks"][-1]["reason"] == "not revoked; 0 of 2 uses left after this one"
    result = run_certledger(keyed, "verify", link)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"{refused} 410 grant.used_up: the grant has no uses left\n"


class _FakeWallet(BaseHTTPRequestHandler):
    """Answers redemptions as a broken or hostile wallet might, by the path's first segment."""

    received: ClassVar[list[tuple[str, str | None, bytes]]] = []
    handed_over: ClassVar[bytes] = b"{}"  # what a wallet answers at /lying

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["X-API-Key"], body))
        kind = self.path.split("/")[1]
        if kind == "moved":  # a redirect to a server that would collect the key
            self._answer(307, b"", location=f"http://{self.headers['Host']}/thief")
        elif kind == "busy":
            problem = {"status": 429, "code": "rate_limited", "detail": "too many \x1b[31mredemptions"}
            self._answer(429, json.dumps(problem).encode(), retry_after="7")
        elif kind == "broken":
            self._answer(502, b"<html>bad gateway</html>")
        elif kind == "deep":
            self._answer(200, b'{"verification":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
        elif kind == "lying":
            self._answer(200, self.handed_over)
        elif kind == "huge":
            self._answer(200, b'{"pad":"' + b"x" * 6_000_000 + b'"}')
        else:
            self._answer(200, json.dumps({"verification": {"verdict": "VALID"}}).encode())

    def _answer(
        self, status: int, body: bytes, *, location: str | None = None, retry_after: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # stopped reading: as it should
            self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.mark.slow
def test_what_a_wallet_answers_is_bounded_and_its_refusals_named(cli_office: dict[str, str]) -> None:
    """A loopback server answering like a broken or hostile wallet; the real refusals are in
    the test above."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _FakeWallet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    keyed = cli_office | {"CERTLEDGER_UNIT_KEY": "unit-key"}
    try:
        expected = {
            "moved": f"the wallet at {base}/moved answered HTTP 307",
            "busy": f"the wallet at {base}/busy refused the redemption with HTTP 429 rate_limited: "
            "too many  [31mredemptions; try again in 7 s",
            "broken": f"the wallet at {base}/broken answered HTTP 502",
            "deep": f"the answer of the wallet at {base}/deep cannot be read: {DEEP}",
            "huge": f"the wallet at {base}/huge sent more than 5,000,000 bytes",
            "odd": f"the wallet at {base}/odd answered with no presentation and signed grant",
        }
        for kind, message in expected.items():
            link = f"{base}/{kind}/r/abcdefghijklmnop#{KEY}"
            result = run_certledger(keyed, "verify", link)
            assert (result.returncode, result.stdout) == (2, ""), result.stderr
            assert result.stderr == f"error: {message}\n"
            path, key, body = _FakeWallet.received[-1]
            assert (path, key, json.loads(body)) == (f"/{kind}/v1/redemptions", "unit-key", {"link": link})
        assert not [path for path, _, _ in _FakeWallet.received if path == "/thief"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_wallets_verdict_is_not_taken_on_trust(
    cli_office: dict[str, str], exported: dict[str, Path]
) -> None:
    """A wallet that hands over an altered presentation and calls it VALID: the unit's verifier
    checks it against its own ledger, and what only the wallet knows it did not say."""
    presentation = json.loads(exported["presentation"].read_text(encoding="utf-8"))
    presentation["disclosed"]["benefit_type"]["value"] = "public_institution"
    _FakeWallet.handed_over = json.dumps(
        {"presentation": presentation, "signedGrant": {}, "verification": {"verdict": "VALID"}}
    ).encode()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _FakeWallet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = run_certledger(
            cli_office, "verify", f"{base}/lying/r/abcdefghijklmnop#{KEY}", "--unit-key", "k", "--json"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        "note: the wallet's own verdict was VALID; the verdict here is INVALID, from this verifier's ledger\n"
    )
    verification = json.loads(result.stdout)
    assert verification["reason"] == "the fields do not hash to the document root"
    assert [(check["name"], check["status"], check["reason"]) for check in verification["checks"][-3:]] == [
        (
            "consent",
            "failed",
            "the wallet's signed grant cannot be read: "
            "a signed grant has exactly format, domain, grant and signature",
        ),
        ("recipient", "unknown", "the wallet did not report its recipient check"),
        ("uses", "unknown", "the wallet did not report its uses check"),
    ]
