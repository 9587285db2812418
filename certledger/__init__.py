"""The ``certledger`` command: the composition root that wires every layer's commands together.

The packages below it (``ledger`` → ``issuer`` → ``verifier`` → ``audit`` → ``wallet_api`` →
``scripts``) each offer their own commands; this package assembles them under one Typer app,
adds the main job (``certledger run``), and turns the layers' errors into one readable line.
Run it as ``certledger`` (the console script) or ``python -m certledger``.
"""

from certledger.cli import app, main

__all__ = ["app", "main"]
