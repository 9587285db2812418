"""The pages' two journeys over HTTP, timed as a person waits for them (issue 14's targets).

* **login → list**: a citizen logs in on the wallet page and the certificate list answers — the
  API calls the page makes, in sequence: ``POST /v1/auth/login``, then ``GET /v1/certificates``.
  Target ≤ 300 ms.
* **scan → verdict**: from the scanned link to the verdict the page draws, which is one call,
  ``POST /verify/redeem`` with the unit's API key (the grant redeemed and verified against the
  chain, the disclosed fields laid out for reading). Decoding the QR code is the browser's and is
  not measured. Target ≤ 500 ms.

The service is the real one, ``certledger serve`` on 127.0.0.1 in a process of its own, on a fresh
deployment and the demonstration population (`scripts.bench.api.running_service`); the grants are
signed over HTTP as the citizens' phones would. One journey runs at a time on one keep-alive
connection, as one browser tab does: these are latencies, not throughput (``bench api`` measures
that). A few journeys warm up first and are not counted.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from scripts.bench._report import Figures
from scripts.bench.api import Service, _note, _terminate_as_interrupt, create_grants, running_service


@dataclass(frozen=True, slots=True)
class PagesShape:
    """How many journeys of each kind are timed, after `warmup` of each that are not."""

    logins: int = 100
    scans: int = 300
    warmup: int = 3


FULL = PagesShape()
QUICK = PagesShape(logins=5, scans=5, warmup=1)


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `samples`."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def _check(response: requests.Response, status: int) -> requests.Response:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.path_url} answered {response.status_code}: "
            f"{response.text[:300]}"
        )
    return response


def login_to_list(session: requests.Session, service: Service, index: int) -> float:
    """One citizen's login and certificate list, in milliseconds."""
    citizens = service.population.citizens
    citizen = citizens[index % len(citizens)]
    base = service.base_url
    start = time.perf_counter()
    token = _check(
        session.post(
            f"{base}/v1/auth/login", json={"login": citizen.identity_number, "password": citizen.password}
        ),
        200,
    ).json()["accessToken"]
    listed = _check(session.get(f"{base}/v1/certificates", headers={"Authorization": f"Bearer {token}"}), 200)
    elapsed = (time.perf_counter() - start) * 1000
    if not listed.json():
        raise RuntimeError(f"the citizen {index % len(citizens)} sees no certificates")
    return elapsed


def scan_to_verdict(session: requests.Session, service: Service, link: str, api_key: str) -> float:
    """One scanned link redeemed through the verifier page's route, in milliseconds; the verdict
    must be VALID, or the figure would time something else."""
    start = time.perf_counter()
    answer = _check(
        session.post(
            f"{service.base_url}/verify/redeem", json={"link": link}, headers={"X-API-Key": api_key}
        ),
        200,
    ).json()
    elapsed = (time.perf_counter() - start) * 1000
    verdict = answer.get("redemption", {}).get("verification", {}).get("verdict")
    if answer.get("outcome") != "redeemed" or verdict != "VALID":
        raise RuntimeError(f"a scan was not answered VALID: {str(answer)[:300]}")
    return elapsed


def measure_pages(shape: PagesShape = FULL) -> Figures:
    """p50 and p95 of both journeys against a fresh service."""
    figures = Figures()
    folder = Path(tempfile.mkdtemp(prefix="certledger-bench-pages-"))
    try:
        with _terminate_as_interrupt():
            _note(f"setting up a fresh deployment, the demonstration and the service in {folder}")
            with running_service(folder, database_url=None) as service:
                scans = shape.warmup + shape.scans
                grants = create_grants(service, count=max(1, min(scans, 20)), uses=math.ceil(scans / 20) + 1)
                with requests.Session() as session:
                    session.trust_env = False  # no proxy between us and 127.0.0.1
                    logins = [login_to_list(session, service, i) for i in range(shape.warmup + shape.logins)]
                    timed = [
                        scan_to_verdict(session, service, grant.link, grant.api_key)
                        for grant in (grants[i % len(grants)] for i in range(scans))
                    ]
                figures.node = service.node
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    logins, timed = logins[shape.warmup :], timed[shape.warmup :]
    for name, samples, target in (("login_to_list", logins, 300), ("scan_to_verdict", timed, 500)):
        figures.add(f"{name}_p50_ms", round(percentile(samples, 0.5), 1), "ms")
        figures.add(f"{name}_p95_ms", round(percentile(samples, 0.95), 1), "ms", target=f"<= {target}")
        figures.add(f"{name}_count", len(samples), "journeys")
    return figures
