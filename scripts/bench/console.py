"""Issuing a month's export through the console's routes, end to end: rate and peak memory.

A file is written first (in this process, not measured), then a child process serves the wallet
application on a fresh deployment and database of its own, and drives it as the console does:
opens a resumable upload, sends the file in 8 MiB pieces, issues it and reads the progress stream
to its end, while the anchoring worker runs alongside as it does in the service. The child reports
the time from the first piece to the ``issued`` event, to the ``done`` event (every certificate
anchored), and its own peak resident size (VmHWM): the application, the client and the worker
together, so an upper bound on what the service needs.

Forms:

* ``csv``, ``xlsx``: the reference contribution certificate (design.md §5: 12 monthly records),
  one row a month, so 1,000,000 rows hold 83,334 certificates;
* ``jsonl``: pension-qualification certificates, one a line, so 1,000,000 rows are 1,000,000
  certificates.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench._node import ANCHOR_GAS, DEPLOY_GAS, bench_node, bench_settings, ensure_funded
from scripts.bench._report import Figures, Node
from scripts.bench.issue import REFERENCE, _peak_kilobytes, write_source
from scripts.demo_data import generate, write_jsonl

FORMS = ("csv", "xlsx", "jsonl")
PIECE = 8 << 20
_MONTHS = 12  # rows a reference certificate has in the grouped layout
_FLAT = "pension-qualification"


def write_export(folder: Path, form: str, rows: int) -> tuple[Path, str, int]:
    """An export of `rows` rows in `form`: its path, its type, and the certificates it holds."""
    if form == "jsonl":
        path = folder / "pension.jsonl"
        write_jsonl(path, generate(_FLAT, rows, seed=11))
        return path, _FLAT, rows
    count = -(-rows // _MONTHS)
    return write_source(folder, form, list(generate(REFERENCE, count, seed=7))), REFERENCE, count


def measure_console(forms: tuple[str, ...], rows: int) -> Figures:
    """For each form, the console-route issuance of an export of `rows` rows."""
    figures = Figures()
    for form in forms:
        with tempfile.TemporaryDirectory(prefix="certledger-bench-export-") as folder:
            path, type_name, count = write_export(Path(folder), form, rows)
            size = path.stat().st_size
            measured = _run_child(path, type_name, count)
        figures.node = Node(**measured.pop("node"))
        name = f"{form}_{rows}_rows"
        figures.add(f"console_file_mb_{name}", round(size / (1 << 20), 1), "MB")
        figures.add(f"console_certificates_{name}", count, "certificates")
        issued, done = measured["issued"], measured["done"]
        upload = size / (1 << 20) / measured["upload"]
        figures.add(f"console_upload_mb_per_second_{name}", _significant(upload), "MB/s")
        figures.add(f"console_issued_per_second_{name}", _significant(count / issued), "certificates/s")
        figures.add(f"console_rows_per_second_{name}", _significant(rows / issued), "rows/s")
        figures.add(f"console_anchored_per_second_{name}", _significant(count / done), "certificates/s")
        figures.add(f"console_peak_memory_{name}", round(measured["peak_mb"]), "MB", target="< 1024")
    return figures


def _significant(rate: float) -> float:
    """A rate to three significant figures: a small export's two certificates over a few seconds
    is 0.4/s, which rounding to a whole number would print as 0."""
    return float(f"{rate:.3g}")


def _run_child(path: Path, type_name: str, count: int) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "scripts.bench.console", "--child", str(path), type_name, str(count)],
        capture_output=True,
        text=True,
        check=False,
        timeout=4 * 3600,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"the console run (exit code {completed.returncode}) failed:\n{tail}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def _child(path: Path, type_name: str, count: int) -> None:
    """Serves the application and issues `path` through its routes, as the console does."""
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from issuer import anchoring_alongside  # noqa: PLC0415
    from ledger import bootstrap_devnet  # noqa: PLC0415
    from wallet_api import (  # noqa: PLC0415
        WalletContext,
        WalletSettings,
        _office,
        create_app,
    )
    from wallet_api._accounts import Accounts  # noqa: PLC0415

    _office.ANCHOR_WAIT = 4 * 3600.0  # follow the anchoring to its end
    with tempfile.TemporaryDirectory(prefix="certledger-bench-console-") as folder:
        data = Path(folder)
        settings = bench_settings(WalletSettings, data, batch_size=10_000, reconcile_interval=0.0)
        context = WalletContext(settings)
        with bench_node(context.chain) as node:
            ensure_funded(context.chain, {"governor": DEPLOY_GAS, "issuer": (count // 1000 + 2) * ANCHOR_GAS})
            bootstrap_devnet(context.chain)
            Accounts(context).add_staff("bench-operator", "operator", "bench-password-1")
            with TestClient(create_app(context, background=False)) as client:
                login = client.post(
                    "/v1/auth/staff-login",
                    json={"username": "bench-operator", "password": "bench-password-1"},
                )
                headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
                size = path.stat().st_size
                with anchoring_alongside(context.worker()):
                    start = time.perf_counter()
                    upload = _send(client, headers, path, size)
                    sent = time.perf_counter()
                    events = _issue(client, headers, upload, type_name)
                    issued_at, done_at = events["issued_at"], time.perf_counter()
        context.engine.dispose()
    issued = events["issued"]
    if issued.get("issued") != count or events["done"].get("anchored") != count:
        raise RuntimeError(f"the run is incomplete: {issued}, {events['done']}")
    print(
        json.dumps(
            {
                "upload": sent - start,
                "issued": issued_at - sent,
                "done": done_at - sent,
                "peak_mb": _peak_kilobytes() / 1024,
                "node": dataclasses.asdict(node),
            }
        )
    )


def _send(client: Any, headers: dict[str, str], path: Path, size: int) -> str:
    opened = client.post(
        "/v1/office/uploads", json={"filename": path.name, "size": size, "key": "bench"}, headers=headers
    )
    upload = opened.json()
    with path.open("rb") as file:
        while not upload["complete"]:
            piece = file.read(PIECE)
            answer = client.patch(
                f"/v1/office/uploads/{upload['id']}",
                content=piece,
                headers={
                    **headers,
                    "Upload-Offset": str(upload["received"]),
                    "Content-Type": "application/octet-stream",
                },
            )
            if answer.status_code != 200:
                raise RuntimeError(f"a piece was refused: {answer.text}")
            upload = answer.json()
    return str(upload["id"])


def _issue(client: Any, headers: dict[str, str], upload: str, type_name: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with client.stream(
        "POST", f"/v1/office/uploads/{upload}/issuance", json={"type": type_name}, headers=headers
    ) as response:
        for line in response.iter_lines():
            if not line.strip():
                continue
            event = json.loads(line)
            if event["event"] == "issued":
                seen["issued"], seen["issued_at"] = event, time.perf_counter()
            elif event["event"] in ("done", "error"):
                seen["done"] = event
    if "issued" not in seen or seen.get("done", {}).get("event") != "done":
        raise RuntimeError(f"the issuance did not end well: {seen}")
    return seen


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("usage: python -m scripts.bench.console --child FILE TYPE COUNT")
