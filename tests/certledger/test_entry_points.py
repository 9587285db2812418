"""The command answers by both its names: the ``certledger`` console script and
``python -m certledger``, with every layer's sub-commands under it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.issuing import CERTLEDGER

SUB_COMMANDS = (
    "chain",
    "contracts",
    "deploy",
    "types",
    "issue",
    "worker",
    "revoke",
    "export",
    "safe",
    "verify",
    "present",
    "audit",
    "serve",
    "staff",
    "run",
    "bench",
)


@pytest.mark.parametrize("command", [[str(CERTLEDGER)], [sys.executable, "-m", "certledger"]])
def test_the_command_lists_every_layers_sub_commands(command: list[str]) -> None:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CERTLEDGER_")}
    done = subprocess.run(
        [*command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment | {"COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    listed = {
        line.split()[1]
        for line in done.stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 1
    }
    assert set(SUB_COMMANDS) <= listed
    assert (
        "Usage: " + ("certledger" if command[0] == str(CERTLEDGER) else "python -m certledger") in done.stdout
    )
