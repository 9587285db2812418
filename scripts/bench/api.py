"""Redeem-and-verify figures over HTTP for design.md §5: units redeeming citizens' grants.

Everything runs in a temporary data folder: a fresh deployment (on an embedded chain on a free
port, or on the node ``CERTLEDGER_RPC_URL`` names: see `scripts.bench._node`), the development
office, the demonstration population, and then the real service — ``certledger serve`` as a
separate process on 127.0.0.1, with its anchoring worker and access-log anchorer, rate limits
raised out of the way and the chain head reused for a quarter of a second. The citizens log in
and sign grants over HTTP exactly as their phones would, enough uses to cover every redemption
of the run, spread over every unit and certificate.

The load comes from this process: 32 clients, each on one keep-alive HTTP/1.1 connection,
sending pre-encoded ``POST /v1/redemptions`` and reading the status line and the body its
Content-Length announces — no HTTP library in the way. After a warm-up, they redeem until a
count or a time is reached, whichever comes first. A redemption counts when the answer is 200
with a VALID verdict; anything else is an error, reported by kind. The driver shares the
machine's cores with the service, so its own CPU use is reported beside the figures, and so are
the service's and, when the benchmark runs it, the chain node's.

The database and the access log start empty, so a service that has logged for months is measured
here only as far as its costs do not grow with the log.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from ledger import Clock, system_clock
from scripts.bench._node import (
    ANCHOR_GAS,
    DEPLOY_GAS,
    LOG_APPEND_GAS,
    bench_node,
    bench_settings,
    ensure_funded,
    free_port,
    node_environment,
)
from scripts.bench._report import Figures, Node
from scripts.bench.issue import _scratch_postgres

if TYPE_CHECKING:
    from scripts.demo_wallet import DemoCitizen, Population
    from wallet_api import WalletSettings

CLIENTS = 32
MAX_USES = 1000  # the most uses one grant may have (the API's limit)
HOST = "127.0.0.1"
_VALID = b'"verdict":"VALID"'
# As the service would run on this machine: one API process per core (at most four).
API_PROCESSES = max(1, min(os.cpu_count() or 1, 4))
_SERVER_ENV = {
    "CERTLEDGER_PROCESSES": str(API_PROCESSES),
    "CERTLEDGER_HEAD_TTL": "0.25",
    "CERTLEDGER_RATE_REDEEM": "1000000",
    "CERTLEDGER_RATE_GRANTS": "1000000",
    "CERTLEDGER_RATE_LOGIN": "1000000",
    "CERTLEDGER_RATE_PUBLIC": "1000000",
}
GAS = {
    "governor": DEPLOY_GAS,
    "issuer": 3 * ANCHOR_GAS,  # the demonstration's certificates: one batch per type
    "operator": 30 * LOG_APPEND_GAS,  # the access log anchored every 10 s while the service runs
}
"""What each role's key may pay for in one run, in gas."""


@dataclass(frozen=True, slots=True)
class LoadShape:
    """How much load a run makes: `warmup` redemptions, then `count` or `seconds`, whichever first."""

    warmup: int = 1_000
    count: int = 20_000
    seconds: float = 30.0
    clients: int = CLIENTS
    timeout: float = 30.0  # seconds one request may take before it counts as an error

    @property
    def redemptions(self) -> int:
        """The most redemptions the run can make, warm-up included."""
        return self.warmup + self.count


FULL = LoadShape()
QUICK = LoadShape(warmup=50, count=400, seconds=10.0)


@dataclass(slots=True)
class LoadResult:
    """What one phase of load measured."""

    latencies_ns: list[int] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def error_count(self) -> int:
        """Requests that did not end in a VALID redemption."""
        return sum(self.errors.values())

    def percentile_ms(self, fraction: float) -> float:
        """The nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ns:
            return math.nan
        ordered = sorted(self.latencies_ns)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] / 1e6


@dataclass(frozen=True, slots=True)
class Service:
    """The running service and what the load needs to know of it."""

    port: int
    process: subprocess.Popen[bytes]
    chain_pid: int | None
    population: Population
    log_file: Path
    node: Node

    @property
    def base_url(self) -> str:
        """Where the service listens."""
        return f"http://{HOST}:{self.port}"


# ---------------------------------------------------------------- the service


@contextmanager
def running_service(
    folder: Path, *, database_url: str | None, citizens: int = 4, units: int = 3
) -> Iterator[Service]:
    """The chain, the development office, the demonstration and ``certledger serve`` in `folder`;
    all of it stopped on the way out, whatever happened."""
    from ledger import bootstrap_devnet  # noqa: PLC0415 — keeps `certledger --help` fast
    from scripts.demo_wallet import seed_demo  # noqa: PLC0415
    from wallet_api import WalletContext, WalletSettings  # noqa: PLC0415

    settings = bench_settings(WalletSettings, folder, database_url=database_url)
    context = WalletContext(settings)
    with ExitStack() as stack:
        node = stack.enter_context(bench_node(context.chain))
        stack.callback(context.engine.dispose)
        ensure_funded(context.chain, GAS)
        bootstrap_devnet(context.chain)
        population = seed_demo(context, citizens=citizens, units=units)
        if "reader" in context.__dict__:  # built on first use: dispose only what exists
            context.reader.dispose()
        context.engine.dispose()  # the service is the only one using the database from now on
        port = free_port()
        log_file = folder / "server.log"
        process = _start_server(folder, port=port, settings=settings)
        stack.callback(_stop_server, process)
        chain = context.chain.managed_chain
        chain_pid = None if chain is None else _recorded_pid(chain.pid_file)
        service = Service(port, process, chain_pid, population, log_file, node)
        _wait_until_healthy(service, timeout=60.0)
        yield service


def _start_server(folder: Path, *, port: int, settings: WalletSettings) -> subprocess.Popen[bytes]:
    """``certledger serve`` on `settings`' node, database and data folder `folder`, in a session
    of its own, so that Ctrl-C reaches only this process, which then stops the service in order.
    No other ``CERTLEDGER_*`` variable of ours reaches it."""
    script = Path(sys.executable).with_name("certledger")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "certledger"]
    env = {name: value for name, value in os.environ.items() if not name.startswith("CERTLEDGER_")}
    env |= _SERVER_ENV | node_environment(settings)
    env |= {"CERTLEDGER_DATA_DIR": str(folder), "CERTLEDGER_CHAIN_PORT": str(settings.chain_port)}
    if settings.database_url is not None:
        env["CERTLEDGER_DATABASE_URL"] = settings.database_url
    with (folder / "server.log").open("wb") as log:
        return subprocess.Popen(
            [*command, "serve", "--host", HOST, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )


def _stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully and stops the background loops
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_healthy(service: Service, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        session.trust_env = False  # no proxy between us and 127.0.0.1
        while True:
            if service.process.poll() is not None:
                raise RuntimeError(f"the service stopped at start-up:\n{_tail(service.log_file)}")
            try:
                response = session.get(f"{service.base_url}/v1/health", timeout=2)
                if response.status_code == 200 and response.json().get("status") == "ok":
                    return
            except requests.RequestException:
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"the service did not answer in {timeout:.0f} s:\n{_tail(service.log_file)}"
                )
            time.sleep(0.1)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _recorded_pid(pid_file: Path) -> int | None:
    try:
        return int(json.loads(pid_file.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _cpu_seconds(pid: int | None) -> float | None:
    """User and system CPU time so far of process `pid` and every process below it (the API
    processes of ``serve --processes``), on Linux; None where it cannot be read."""
    if pid is None:
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if pid not in times:
        return None

    def below(candidate: int) -> bool:
        while candidate in parents and candidate != pid:
            candidate = parents[candidate]
            if candidate <= 1:
                return False
        return candidate == pid

    return sum(seconds for process, seconds in times.items() if below(process))


# ---------------------------------------------------------------- grants, as citizens make them


@dataclass(frozen=True, slots=True)
class Redeemable:
    """A grant link and the API key of the unit it is addressed to."""

    link: str
    api_key: str


def sign_typed(typed_data: dict[str, Any], private_key: str) -> str:
    """What a citizen's device does with a draft: sign its EIP-712 digest with the wallet key."""
    from eth_account.messages import encode_typed_data  # noqa: PLC0415
    from eth_utils.crypto import keccak  # noqa: PLC0415

    from ledger import sign_digest  # noqa: PLC0415

    message = encode_typed_data(full_message=typed_data)
    digest = keccak(b"\x19" + message.version + message.header + message.body)
    return "0x" + sign_digest(digest, bytes.fromhex(private_key[2:])).hex()


def create_grants(
    service: Service, *, count: int, uses: int, clock: Clock = system_clock
) -> list[Redeemable]:
    """`count` grants of `uses` uses each, made over HTTP by the demonstration's citizens, taking
    their certificates and the units in turn; `clock` is the citizens' devices'."""
    population = service.population
    base = service.base_url
    with requests.Session() as session:
        session.trust_env = False
        holdings: list[tuple[DemoCitizen, dict[str, str], str, list[str]]] = []
        for citizen in population.citizens:
            token = _expect(
                session.post(
                    f"{base}/v1/auth/login",
                    json={"login": citizen.identity_number, "password": citizen.password},
                ),
                200,
            )["accessToken"]
            headers = {"Authorization": f"Bearer {token}"}
            for summary in _expect(session.get(f"{base}/v1/certificates", headers=headers), 200):
                if not (summary["anchored"] and summary["status"] == "valid"):
                    continue
                detail = _expect(session.get(f"{base}/v1/certificates/{summary['id']}", headers=headers), 200)
                # A unit asks for the content, not the identity number it already checked.
                fields = sorted(name for name in detail["document"]["claims"] if not name.endswith("_id"))
                holdings.append((citizen, headers, summary["id"], fields))
        if not holdings:
            raise RuntimeError("the demonstration's citizens hold no anchored certificate")
        made = []
        for index in range(count):
            citizen, headers, certificate_id, fields = holdings[index % len(holdings)]
            unit = population.units[index % len(population.units)]
            terms: dict[str, Any] = {
                "certificateId": certificate_id,
                "unitId": unit.id,
                "fields": fields,
                "purpose": "办理住房贷款",
                "expires": int(clock().timestamp()) + 3600,
                "uses": uses,
            }
            draft = _expect(session.post(f"{base}/v1/grants/draft", json=terms, headers=headers), 200)
            signature = sign_typed(draft["typedData"], citizen.private_key)
            created = _expect(
                session.post(
                    f"{base}/v1/grants",
                    json={**terms, "grantId": draft["grantId"], "signature": signature},
                    headers=headers,
                ),
                201,
            )
            made.append(Redeemable(created["link"], unit.api_key))
        return made


def _expect(response: requests.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.path_url} answered {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()


def grant_plan(shape: LoadShape) -> tuple[int, int]:
    """How many grants of how many uses cover every redemption of `shape`: at least one per
    client, so that concurrent redemptions rarely spend the same grant."""
    grants = max(shape.clients, math.ceil(shape.redemptions / MAX_USES))
    return grants, math.ceil(shape.redemptions / grants)


# ---------------------------------------------------------------- the load driver


def redeem_request(redeemable: Redeemable, *, port: int) -> bytes:
    """The bytes of one ``POST /v1/redemptions``, encoded once and sent many times."""
    body = json.dumps({"link": redeemable.link}).encode()
    head = (
        "POST /v1/redemptions HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        f"X-API-Key: {redeemable.api_key}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class _Schedule:
    """Hands out the next request to send, round-robin over the grants, until the phase's count
    or deadline is reached."""

    def __init__(self, requests_: Sequence[bytes], *, start: int) -> None:
        self.requests = requests_
        self.position = start
        self.limit = 0
        self.deadline = 0.0

    def phase(self, count: int, seconds: float) -> None:
        self.limit = self.position + count
        self.deadline = time.monotonic() + seconds

    def next(self) -> bytes | None:
        if self.position >= self.limit or time.monotonic() >= self.deadline:
            return None
        request = self.requests[self.position % len(self.requests)]
        self.position += 1
        return request


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    keep_alive = True
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep_alive = b"close" not in value.lower()
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are expected
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(parts), keep_alive
    if length is None:
        return status, await reader.read(), False
    return status, await reader.readexactly(length), keep_alive


async def _client(port: int, schedule: _Schedule, result: LoadResult, timeout: float) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while (request := schedule.next()) is not None:
            if connection is None:
                try:
                    connection = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
                except (OSError, TimeoutError):
                    result.errors["connect"] += 1
                    return  # the service is gone: this client stops
            reader, writer = connection
            started = time.perf_counter_ns()
            try:
                writer.write(request)
                status, body, keep_alive = await asyncio.wait_for(_read_response(reader), timeout)
            except TimeoutError:
                result.errors["timeout"] += 1
                keep_alive = False
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                result.errors["connection"] += 1
                keep_alive = False
            else:
                result.latencies_ns.append(time.perf_counter_ns() - started)
                if status != 200:
                    result.errors[f"http {status}"] += 1
                elif _VALID not in body:
                    result.errors["200 without a VALID verdict"] += 1
                else:
                    result.ok += 1
            if not keep_alive:
                writer.close()
                connection = None
    finally:
        if connection is not None:
            connection[1].close()


async def _phase(port: int, schedule: _Schedule, *, clients: int, timeout: float) -> LoadResult:
    result = LoadResult()
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(_client(port, schedule, result, timeout) for _ in range(clients)))
    result.wall_seconds = time.perf_counter() - wall
    result.cpu_seconds = time.process_time() - cpu
    return result


def drive_load(
    port: int, requests_: Sequence[bytes], shape: LoadShape, *, between: Callable[[], None] | None = None
) -> tuple[LoadResult, LoadResult]:
    """The warm-up and the measured phase, `shape.clients` connections each; `between` is called
    right before the measured phase starts."""

    async def both() -> tuple[LoadResult, LoadResult]:
        schedule = _Schedule(requests_, start=0)
        schedule.phase(shape.warmup, shape.seconds)
        warm = await _phase(port, schedule, clients=shape.clients, timeout=shape.timeout)
        if between is not None:
            between()
        schedule.phase(shape.count, shape.seconds)
        measured = await _phase(port, schedule, clients=shape.clients, timeout=shape.timeout)
        return warm, measured

    return asyncio.run(both())


# ---------------------------------------------------------------- the figures


def measure_redeem(shape: LoadShape, *, database_url: str | None, kind: str, figures: Figures) -> int:
    """Runs the service on `database_url`, loads it, adds the figures of `kind`; returns the
    number of errors."""
    folder = Path(tempfile.mkdtemp(prefix="certledger-bench-api-"))
    try:
        _note(f"{kind}: setting up a fresh deployment, the demonstration and the service in {folder}")
        with running_service(folder, database_url=database_url) as service:
            grant_count, uses = grant_plan(shape)
            _note(f"{kind}: {grant_count} grants of {uses} uses, signed by the citizens over HTTP")
            redeemables = create_grants(service, count=grant_count, uses=uses)
            requests_ = [redeem_request(item, port=service.port) for item in redeemables]
            processes = {"server": service.process.pid, "chain": service.chain_pid}
            before: dict[str, float | None] = {}

            def mark() -> None:
                before.update({name: _cpu_seconds(pid) for name, pid in processes.items()})

            _note(
                f"{kind}: {shape.clients} clients, {shape.warmup} to warm up, then {shape.count} "
                f"redemptions or {shape.seconds:.0f} s"
            )
            warm, measured = drive_load(service.port, requests_, shape, between=mark)
            used = {name: _cpu_seconds(pid) for name, pid in processes.items()}
            if service.process.poll() is not None:
                _note(f"{kind}: the service stopped during the run:\n{_tail(service.log_file)}")
            errors = warm.errors + measured.errors
            figures.node = service.node
            _add_figures(figures, kind, measured, errors)
            for name in processes:
                start, end = before.get(name), used[name]
                if start is not None and end is not None and measured.wall_seconds > 0:
                    percent = 100 * (end - start) / measured.wall_seconds
                    figures.add(f"{name}_cpu_percent_{kind}", round(percent, 1), "% of one core")
            if errors:
                kinds = ", ".join(f"{what}: {n}" for what, n in errors.most_common())
                _note(f"{kind}: ERRORS — {sum(errors.values())} requests failed ({kinds})")
                _note(f"the service's log:\n{_tail(service.log_file)}")
            return sum(errors.values())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _add_figures(figures: Figures, kind: str, measured: LoadResult, errors: Counter[str]) -> None:
    rate = measured.ok / measured.wall_seconds if measured.wall_seconds > 0 else 0.0
    figures.add(f"redeem_per_second_{kind}", round(rate), "redemptions/s", target=">= 500")
    for name, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        target = "<= 100" if name == "p99" else None
        figures.add(
            f"redeem_latency_{name}_ms_{kind}",
            round(measured.percentile_ms(fraction), 2),
            "ms",
            target=target,
        )
    figures.add(f"redeem_count_{kind}", measured.ok, "redemptions")
    figures.add(f"redeem_errors_{kind}", sum(errors.values()), "errors", target="0")
    figures.add(f"api_processes_{kind}", API_PROCESSES, "processes")
    driver = 100 * measured.cpu_seconds / measured.wall_seconds if measured.wall_seconds > 0 else 0.0
    figures.add(f"load_driver_cpu_percent_{kind}", round(driver, 1), "% of one core")


def measure_api(shape: LoadShape = FULL, *, postgres_url: str | None = None) -> tuple[Figures, int]:
    """The figures on SQLite, and on a scratch PostgreSQL database when a server URL is given;
    with the number of failed requests."""
    figures = Figures()
    with _terminate_as_interrupt():
        errors = measure_redeem(shape, database_url=None, kind="sqlite", figures=figures)
        postgres_url = postgres_url or os.environ.get("CERTLEDGER_TEST_DATABASE_URL")
        if postgres_url:
            with _scratch_postgres(postgres_url) as url:
                errors += measure_redeem(shape, database_url=url, kind="postgresql", figures=figures)
        else:
            _note("no PostgreSQL URL (CERTLEDGER_TEST_DATABASE_URL or --postgres): skipping it")
    return figures, errors


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so that the service, the chain and the folder go too (the
    service and the chain run in sessions of their own and would outlive us)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
