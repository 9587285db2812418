"""The exceptions of the ledger kernel; the hierarchy is drawn in the package docstring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class LedgerError(Exception):
    """Base of every error raised by the ledger kernel."""


class LedgerConfigError(LedgerError, ValueError):
    """The settings, a key file or a deployment manifest is missing or wrong."""


class CompilerError(LedgerError, RuntimeError):
    """The Solidity compiler could not be found or refused the sources."""


class MerkleError(LedgerError, ValueError):
    """A tree or proof was asked for with impossible arguments."""


class ChainError(LedgerError):
    """Talking to the chain failed."""


class ChainUnavailableError(ChainError, ConnectionError):
    """The node cannot be reached, timed out, or answered something that is not JSON-RPC."""


class ChainMismatchError(ChainError):
    """The node is not the chain we expected (chain id or genesis block differ)."""


class ChainProcessError(ChainError, RuntimeError):
    """The managed local node could not be started or stopped."""


class TransactionError(LedgerError):
    """A transaction could not be sent, was not mined, or failed."""


class ContractRevertError(TransactionError):
    """A contract refused a call with a decoded custom error, `Error(string)` or `Panic(uint256)`.

    `error` is the error's name (``"CertificateLedgerDuplicateRoot"``) and `arguments` its
    decoded arguments by name, so callers and tests can match the exact refusal.
    """

    def __init__(self, error: str, arguments: Mapping[str, Any], *, data: bytes = b"") -> None:
        self.error = error
        self.arguments = dict(arguments)
        self.data = data
        rendered = ", ".join(f"{name}={_render(value)}" for name, value in self.arguments.items())
        super().__init__(f"{error}({rendered})")


class TransactionTimeoutError(TransactionError, TimeoutError):
    """A transaction was not mined, or not confirmed, within the allowed time."""


class TransactionUnconfirmedError(TransactionTimeoutError):
    """A transaction was mined and succeeded, but did not reach the confirmations asked for in time.

    It happened: it is on chain in `block_number` and must not be sent again. Only its finality
    is not yet known (a reorganization could still remove it).
    """

    def __init__(self, message: str, *, transaction_hash: bytes, block_number: int) -> None:
        super().__init__(message)
        self.transaction_hash = transaction_hash
        self.block_number = block_number


class TransactionReplacedError(TransactionError):
    """Another transaction took our nonce, so ours can never be mined."""


class DeploymentError(LedgerError):
    """The contracts could not be deployed or found."""


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)


def describe_failure(error: BaseException, *own: type[BaseException]) -> str:
    """`error` in words that hold no personal data, for logs and health checks: certledger's own
    errors (`LedgerError` and the classes `own` names) with the first line of their message, a
    database error by its type and its driver's (its text carries the statement's values),
    anything else by its type alone."""
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415 — only failures need it

    kind = type(error).__name__
    if isinstance(error, DBAPIError) and error.orig is not None:
        return f"{kind} ({type(error.orig).__name__})"
    if isinstance(error, (LedgerError, *own)):
        first = str(error).splitlines()[0] if str(error) else ""
        return f"{kind}: {first[:200]}" if first else kind
    return kind
