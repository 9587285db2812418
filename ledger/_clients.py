"""Typed clients of the deployed contracts: plain values in, dataclasses out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any, Self

from eth_abi.abi import decode, encode
from eth_typing import ChecksumAddress
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract

from ledger._compiler import load_artifact
from ledger._errors import ChainUnavailableError, ContractRevertError, TransactionError
from ledger._events import Event, EventReader
from ledger._revert import RevertDecoder, _type_string
from ledger._rpc import RPCError, rpc
from ledger._sender import Receipt, TransactionSender

OPEN_END = 2**64 - 1
_DECODER: RevertDecoder | None = None


def _decoder() -> RevertDecoder:
    global _DECODER  # noqa: PLW0603 — built once from the artifacts, on first use
    if _DECODER is None:
        from ledger._compiler import all_abis  # noqa: PLC0415

        _DECODER = RevertDecoder(all_abis().values())
    return _DECODER


def _time(value: int) -> int | None:
    """A contract time, with the open end (``type(uint64).max``) as None."""
    return None if value == OPEN_END else value


@dataclass(frozen=True, slots=True)
class Office:
    """An issuing office as the registry knows it."""

    office_id: int
    region_code: int
    registered_at: int
    suspended_from: int | None
    display_name: str


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A signing key of an office; `valid_until` is None for a key without an end."""

    key: ChecksumAddress
    office_id: int
    key_id: int
    valid_from: int
    valid_until: int | None


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time window; `until` is None while it is open."""

    start: int
    until: int | None


@dataclass(frozen=True, slots=True)
class Batch:
    """An anchored batch of certificates."""

    root: bytes
    batch_id: int
    anchored_at: int
    anchored_block: int
    count: int
    type_id: int
    office_id: int
    key_id: int


class CertificateStatus(IntEnum):
    """The on-chain status of one certificate."""

    VALID = 0
    SUSPENDED = 1
    REVOKED = 2


@dataclass(frozen=True, slots=True)
class Anchored:
    """The outcome of anchoring a batch."""

    batch_id: int
    root: bytes
    receipt: Receipt


@dataclass(frozen=True, slots=True)
class LogHead:
    """The latest checkpoint of an access log."""

    size: int
    root: bytes
    checkpoints: int
    anchored_at: int


class _Client:
    """A contract at an address, with an optional sender for state-changing calls."""

    artifact_name: str

    def __init__(self, w3: Web3, address: str, *, sender: TransactionSender | None = None) -> None:
        self.w3 = w3
        self.address: ChecksumAddress = Web3.to_checksum_address(address)
        self.sender = sender
        self.abi = load_artifact(self.artifact_name).abi
        self.contract: Contract = w3.eth.contract(address=self.address, abi=self.abi)
        self.events = EventReader(w3, self.address, self.abi)

    def with_sender(self, sender: TransactionSender) -> Self:
        """The same client, sending from `sender`'s key."""
        return type(self)(self.w3, self.address, sender=sender)

    @cached_property
    def _functions(self) -> dict[str, tuple[bytes, list[str], list[str]]]:
        """Selector, input types and output types of every function, by name."""
        table = {}
        for item in self.abi:
            if item.get("type") == "function":
                inputs = [_type_string(parameter) for parameter in item["inputs"]]
                outputs = [_type_string(parameter) for parameter in item["outputs"]]
                selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(inputs)})")
                table[str(item["name"])] = (selector, inputs, outputs)
        return table

    def _call(self, function: str, *args: Any) -> Any:
        """Calls a view with one ``eth_call``; a revert comes back as `ContractRevertError`.

        The ABI work is done here with eth-abi directly: web3's contract layer costs several
        milliseconds a call, which a verifier reading thousands of statuses cannot afford.
        """
        selector, inputs, outputs = self._functions[function]
        data = "0x" + (selector + encode(inputs, list(args))).hex()
        try:
            result = rpc(self.w3, "eth_call", [{"to": self.address, "data": data}, "latest"])
        except RPCError as error:
            if error.data and len(error.data) >= 4:
                raise _decoder().decode(error.data) from None
            message = error.unreadable(f"the node refused the call {function}")
            revert = error.data or b""
            raise ContractRevertError("UnknownRevert", {"message": message}, data=revert) from error
        if not isinstance(result, str) or not result.startswith("0x"):
            raise ChainUnavailableError(f"the node answered eth_call with {str(result)[:40]!r}, not data")
        values = decode(outputs, bytes.fromhex(result[2:]))
        return values[0] if len(values) == 1 else values

    def _transact(self, function: str, *args: Any, gas: int | None = None) -> Receipt:
        if self.sender is None:
            raise TransactionError(f"{type(self).__name__} has no sender: it can only read")
        data = self.contract.encode_abi(function, args=list(args))
        return self.sender.send(to=self.address, data=bytes.fromhex(data[2:]), gas=gas)

    def receipt_events(self, receipt: Receipt) -> list[Event]:
        """The events this contract emitted in a transaction."""
        return self.events.decode_receipt_logs(receipt.logs)


class CertificateLedgerClient(_Client):
    """The certificate ledger and the issuer registry it carries, at one address."""

    artifact_name = "CertificateLedger"

    # ---------------------------------------------------------------- registry: reads

    def governor(self) -> ChecksumAddress:
        """The registry's governor."""
        return Web3.to_checksum_address(self._call("governor"))

    def pending_governor(self) -> ChecksumAddress | None:
        """The account offered the governor role, if any."""
        address = self._call("pendingGovernor")
        return None if int(address, 16) == 0 else Web3.to_checksum_address(address)

    def office(self, office_id: int) -> Office | None:
        """The office registered under `office_id`, or None."""
        region, registered_at, suspended_from, name = self._call("office", office_id)
        if registered_at == 0:
            return None
        return Office(office_id, region, registered_at, suspended_from or None, name)

    def office_keys(self, office_id: int) -> list[ChecksumAddress]:
        """Every key ever added to the office."""
        return [Web3.to_checksum_address(key) for key in self._call("officeKeys", office_id)]

    def office_types(self, office_id: int) -> list[int]:
        """Every certificate type ever allowed to the office."""
        return list(self._call("officeTypes", office_id))

    def key_info(self, key: str) -> KeyInfo | None:
        """The registry's record of `key`, or None when it was never registered."""
        office_id, key_id, valid_from, valid_until = self._call("keyInfo", Web3.to_checksum_address(key))
        if office_id == 0:
            return None
        return KeyInfo(Web3.to_checksum_address(key), office_id, key_id, valid_from, _time(valid_until))

    def key_by_id(self, key_id: int) -> ChecksumAddress | None:
        """The key with serial number `key_id`, or None."""
        address = self._call("keyById", key_id)
        return None if int(address, 16) == 0 else Web3.to_checksum_address(address)

    def type_windows(self, office_id: int, type_id: int) -> list[Window]:
        """Every window in which the office was allowed the type, oldest first."""
        return [Window(start, _time(until)) for start, until in self._call("typeWindows", office_id, type_id)]

    def is_authorized(self, key: str, office_id: int, type_id: int, at: int) -> bool:
        """Whether `key` was allowed to issue `type_id` for `office_id` at time `at`."""
        return bool(self._call("isAuthorized", Web3.to_checksum_address(key), office_id, type_id, at))

    # ---------------------------------------------------------------- registry: governor's changes

    def transfer_governance(self, new_governor: str) -> Receipt:
        """Offers the governor role to `new_governor`."""
        return self._transact("transferGovernance", Web3.to_checksum_address(new_governor))

    def accept_governance(self) -> Receipt:
        """Accepts the governor role."""
        return self._transact("acceptGovernance")

    def register_office(
        self, office_id: int, *, region_code: int, display_name: str, type_ids: Sequence[int] = ()
    ) -> Receipt:
        """Registers an issuing office allowed `type_ids` from now on."""
        return self._transact("registerOffice", office_id, region_code, display_name, list(type_ids))

    def allow_certificate_type(self, office_id: int, type_id: int) -> Receipt:
        """Allows the office to issue `type_id` from now on."""
        return self._transact("allowCertificateType", office_id, type_id)

    def withdraw_certificate_type(self, office_id: int, type_id: int) -> Receipt:
        """Withdraws `type_id` from the office from now on."""
        return self._transact("withdrawCertificateType", office_id, type_id)

    def add_key(
        self, office_id: int, key: str, *, valid_from: int = 0, valid_until: int | None = None
    ) -> Receipt:
        """Adds a signing key to the office, valid from `valid_from` (now at the earliest)."""
        until = OPEN_END if valid_until is None else valid_until
        return self._transact("addKey", office_id, Web3.to_checksum_address(key), valid_from, until)

    def retire_key(self, key: str, *, at: int) -> Receipt:
        """Ends the key's validity at `at` (which may lie in the past, after a compromise)."""
        return self._transact("retireKey", Web3.to_checksum_address(key), at)

    def rotate_key(self, old_key: str, new_key: str, *, new_valid_until: int | None = None) -> Receipt:
        """Replaces `old_key` by `new_key` from now on."""
        until = OPEN_END if new_valid_until is None else new_valid_until
        return self._transact(
            "rotateKey", Web3.to_checksum_address(old_key), Web3.to_checksum_address(new_key), until
        )

    def suspend_office(self, office_id: int, *, since: int) -> Receipt:
        """Distrusts the office from `since` on."""
        return self._transact("suspendOffice", office_id, since)

    # ---------------------------------------------------------------- ledger

    def batch_count(self) -> int:
        """The number of batches anchored so far."""
        return int(self._call("batchCount"))

    def anchor(self, root: bytes, *, count: int, type_id: int, metadata_hash: bytes = bytes(32)) -> Anchored:
        """Anchors a batch root; the receipt's event gives its id."""
        receipt = self._transact("anchor", root, count, type_id, metadata_hash)
        for event in self.receipt_events(receipt):
            if event.name == "BatchAnchored":
                return Anchored(int(event.args["batchId"]), root, receipt)
        raise TransactionError("the anchoring transaction emitted no BatchAnchored event")

    def revoke(self, root: bytes, indexes: Sequence[int], *, reason: int) -> Receipt:
        """Revokes certificates of one batch, permanently."""
        return self._transact("revoke", root, sorted(indexes), reason)

    def suspend(self, root: bytes, indexes: Sequence[int], *, reason: int) -> Receipt:
        """Suspends certificates of one batch."""
        return self._transact("suspend", root, sorted(indexes), reason)

    def reinstate(self, root: bytes, indexes: Sequence[int], *, reason: int) -> Receipt:
        """Reinstates suspended certificates of one batch."""
        return self._transact("reinstate", root, sorted(indexes), reason)

    def batch(self, root: bytes) -> Batch | None:
        """The batch anchored under `root`, or None."""
        batch_id, anchored_at, anchored_block, count, type_id, office_id, key_id = self._call("batch", root)
        if batch_id == 0:
            return None
        return Batch(root, batch_id, anchored_at, anchored_block, count, type_id, office_id, key_id)

    def status_of(self, root: bytes, index: int) -> CertificateStatus:
        """The status of certificate `index` of the batch `root`."""
        return CertificateStatus(self._call("statusOf", root, index))

    def statuses_of(self, items: Sequence[tuple[bytes, int]]) -> list[CertificateStatus]:
        """Statuses of many certificates in one call."""
        roots = [root for root, _ in items]
        indexes = [index for _, index in items]
        return [CertificateStatus(value) for value in self._call("statusesOf", roots, indexes)]

    def verify_inclusion(
        self, document_root: bytes, index: int, proof: Sequence[bytes], batch_id: int
    ) -> bool:
        """The contract's own inclusion check."""
        return bool(self._call("verifyInclusion", document_root, index, list(proof), batch_id))


class AccessLogAnchorClient(_Client):
    """Checkpoints of the append-only access logs."""

    artifact_name = "AccessLogAnchor"

    def registry(self) -> ChecksumAddress:
        """The registry (the certificate ledger) whose governor manages operators."""
        return Web3.to_checksum_address(self._call("registry"))

    def authorize_operator(self, log_id: bytes, operator: str) -> Receipt:
        """Lets `operator` append to the log. Governor only."""
        return self._transact("authorizeOperator", log_id, Web3.to_checksum_address(operator))

    def revoke_operator(self, log_id: bytes, operator: str) -> Receipt:
        """Stops `operator` appending to the log. Governor only."""
        return self._transact("revokeOperator", log_id, Web3.to_checksum_address(operator))

    def is_operator(self, log_id: bytes, operator: str) -> bool:
        """Whether `operator` may append to the log."""
        return bool(self._call("isOperator", log_id, Web3.to_checksum_address(operator)))

    def append(self, log_id: bytes, *, root: bytes, size: int) -> Receipt:
        """Anchors the checkpoint (`size`, `root`)."""
        return self._transact("append", log_id, root, size)

    def head(self, log_id: bytes) -> LogHead:
        """The latest checkpoint of the log."""
        size, checkpoints, anchored_at, root = self._call("head", log_id)
        return LogHead(size, bytes(root), checkpoints, anchored_at)

    def root_at(self, log_id: bytes, size: int) -> bytes | None:
        """The root anchored at exactly `size` entries, or None."""
        root = bytes(self._call("rootAt", log_id, size))
        return None if root == bytes(32) else root
