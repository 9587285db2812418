"""The node connection reads the environment once: background threads never race it."""

from __future__ import annotations

import pytest
import requests.utils
from web3 import Web3

from ledger import connect
from ledger._rpc import _session


def test_calls_do_not_read_the_environment(w3: Web3, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page tests' log anchorer died of `KeyError: 'PYTEST_CURRENT_TEST'`: `requests` scanned
    `os.environ` for proxies on every call (`getproxies`) while pytest changed it in the main
    thread. The connection takes the proxies once, when it is made, and calls never look again."""
    node = connect(w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    scans: list[str] = []

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        scans.append(url)
        return {}

    monkeypatch.setattr(requests.utils, "get_environ_proxies", counted)
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted, raising=False)
    for _ in range(3):
        assert node.eth.block_number >= 0
    assert scans == []


def test_the_proxies_and_ca_bundle_the_environment_names_are_still_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.bureau.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/bureau/ca.pem")
    outside = _session("https://node.province.invalid:8545")
    assert outside.proxies == {"https": "http://proxy.bureau.invalid:3128", "no": "localhost,127.0.0.1"}
    assert outside.verify == "/etc/bureau/ca.pem"
    assert not outside.trust_env
    assert _session("http://127.0.0.1:8545").proxies == {}  # NO_PROXY holds
