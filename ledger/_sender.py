"""Sending transactions from one key: local nonces, fee bumps, confirmations, clear failures."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.types import TxReceipt

from ledger._devnode import mine, mines_on_demand
from ledger._errors import (
    ChainUnavailableError,
    ContractRevertError,
    TransactionError,
    TransactionReplacedError,
    TransactionTimeoutError,
    TransactionUnconfirmedError,
)
from ledger._revert import RevertDecoder
from ledger._rpc import RPCError, rpc

T = TypeVar("T")

_GAS_MARGIN = 1.2
_FEE_BUMP = 1.125  # nodes accept a replacement only if both fees rise by at least 10%
_MAX_NONCE_RESYNCS = 3
_DEFAULT_TIP = 10**9  # 1 gwei, when the node suggests no priority fee


@dataclass(frozen=True, slots=True)
class Receipt:
    """A mined, successful and confirmed transaction."""

    transaction_hash: bytes
    block_number: int
    block_hash: bytes
    gas_used: int
    contract_address: ChecksumAddress | None
    logs: tuple[Any, ...]
    raw: TxReceipt


class TransactionSender:
    """Sends transactions from one account, one at a time, until each is confirmed.

    The next nonce is tracked locally and re-read from the node when it answers "nonce too low"
    (another process used the key, or the node restarted). A transaction not mined within
    `resend_after` seconds is re-signed with the same nonce and fees raised by 12.5%, so exactly
    one of its versions can ever be mined. Calls are estimated first, so a contract's refusal
    comes back as a `ContractRevertError` naming the custom error before any nonce is used.

    Keep one sender per key and process (see `sender_for`): two senders on one key would hand
    out the same nonce twice.
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        confirmations: int = 1,
        timeout: float = 120.0,
        resend_after: float = 20.0,
        poll_interval: float = 0.02,
        unreachable_grace: float = 5.0,
        decoder: RevertDecoder | None = None,
    ) -> None:
        if confirmations < 1:
            raise ValueError("confirmations counts the including block, so it is at least 1")
        self.w3 = w3
        self.account = account
        self.confirmations = confirmations
        self.timeout = timeout
        self.resend_after = resend_after
        self.poll_interval = poll_interval
        self.unreachable_grace = unreachable_grace
        self._decoder = decoder
        self._lock = threading.Lock()
        self._nonce: int | None = None
        self._chain_id: int | None = None

    @property
    def address(self) -> ChecksumAddress:
        """The sending account."""
        return self.account.address

    def forget_nonce(self) -> None:
        """Drops the locally tracked nonce; the next send reads it from the node.

        Needed when the chain's state went back (a node restored from an older state, a test
        reverting to a snapshot): the local nonce would then be ahead of the chain.
        """
        with self._lock:
            self._nonce = None

    @property
    def decoder(self) -> RevertDecoder:
        """Decodes the custom errors of every certledger contract."""
        if self._decoder is None:
            from ledger._compiler import all_abis  # noqa: PLC0415 — artifacts load on first use

            self._decoder = RevertDecoder(all_abis().values())
        return self._decoder

    def send(
        self, *, to: ChecksumAddress | None, data: bytes, value: int = 0, gas: int | None = None
    ) -> Receipt:
        """Sends one transaction and returns its receipt once it has enough confirmations.

        Raises `ContractRevertError` when the contract refuses, `ChainUnavailableError` when the
        node cannot be reached, `TransactionTimeoutError` when it is not mined in time.
        """
        deadline = time.monotonic() + self.timeout
        call: dict[str, Any] = {"from": self.address, "data": HexBytes(data), "value": value}
        if to is not None:
            call["to"] = to
        with self._lock:
            gas_limit = gas if gas is not None else self._estimate(call)
            receipt = self._submit_until_mined(call, gas_limit, deadline)
        if receipt["status"] != 1:
            raise self._failure(call, receipt)
        return self._confirmed(receipt, deadline)

    # ---------------------------------------------------------------- steps

    def _estimate(self, call: dict[str, Any]) -> int:
        try:
            estimate = int(rpc(self.w3, "eth_estimateGas", [_json_call(call)]), 16)
        except RPCError as error:
            if error.data:
                raise self.decoder.decode(error.data) from None
            raise TransactionError(
                error.unreadable("the node refused to estimate the transaction")
            ) from error
        return math.ceil(estimate * _GAS_MARGIN)

    def _submit_until_mined(self, call: dict[str, Any], gas: int, deadline: float) -> TxReceipt:
        nonce = self._next_nonce()
        fees = self._fees()
        sent: list[bytes] = []
        resyncs = 0
        while True:
            transaction: dict[str, Any] = {
                **call,
                "gas": gas,
                "nonce": nonce,
                "chainId": self._chain(),
                **fees,
            }
            signed = self.account.sign_transaction(transaction)
            outcome = self._broadcast(signed.raw_transaction)
            if outcome == "nonce-too-low":
                mined = self._first_receipt(sent)
                if mined is not None:
                    self._nonce = nonce + 1
                    return mined
                if sent:
                    raise TransactionReplacedError(
                        f"nonce {nonce} of {self.address} was used by another transaction"
                    )
                resyncs += 1
                if resyncs > _MAX_NONCE_RESYNCS:
                    raise TransactionError(f"{self.address}: the node keeps refusing nonce {nonce}")
                nonce = self._resync_nonce()
                continue
            if outcome == "underpriced":
                fees = _bumped(fees)
                continue
            sent.append(bytes(signed.hash))
            mined = self._wait_for_any(sent, min(deadline, time.monotonic() + self.resend_after))
            if mined is not None:
                self._nonce = nonce + 1
                return mined
            if time.monotonic() >= deadline:
                # Forget the local nonce: the next send re-reads it from the node, which knows
                # whether this transaction is still pending or was dropped.
                self._nonce = None
                raise TransactionTimeoutError(
                    f"transaction 0x{sent[-1].hex()} was not mined within {self.timeout:.0f} s"
                )
            fees = _bumped(fees)

    def _broadcast(self, raw: bytes) -> str:
        """Sends raw bytes; returns "sent", "nonce-too-low" or "underpriced".

        A connection failure after the bytes may have left counts as sent: the transaction is
        identified by its hash, and sending the same bytes again is harmless.
        """
        try:
            rpc(self.w3, "eth_sendRawTransaction", ["0x" + raw.hex()])
        except RPCError as error:
            message = error.message.lower()
            if "nonce too low" in message or "nonce is too low" in message:
                return "nonce-too-low"
            if "already known" in message or "known transaction" in message:
                return "sent"
            if "underpriced" in message or "fee too low" in message:
                return "underpriced"
            if error.transaction_hash == bytes(keccak(raw)):
                # Hardhat mines a reverting transaction and still answers with its revert: the
                # receipt (status 0) tells what happened, and `_failure` why.
                return "sent"
            raise TransactionError(f"the node refused the transaction: {error.message}") from error
        except ChainUnavailableError:
            self._retry_unreachable(self._block_number)
        return "sent"

    def _wait_for_any(self, hashes: list[bytes], until: float) -> TxReceipt | None:
        while True:
            receipt = self._retry_unreachable(self._first_receipt, hashes)
            if receipt is not None:
                return receipt
            if time.monotonic() >= until:
                return None
            time.sleep(self.poll_interval)

    def _first_receipt(self, hashes: list[bytes]) -> TxReceipt | None:
        for transaction_hash in hashes:
            try:
                return self.w3.eth.get_transaction_receipt(HexBytes(transaction_hash))
            except TransactionNotFound:
                continue
        return None

    def _confirmed(self, receipt: TxReceipt, deadline: float) -> Receipt:
        """Waits until the receipt's block has `confirmations - 1` blocks on top of it.

        If the receipt disappears or moves to another block meanwhile (a reorganization), the
        wait starts again from where the transaction now is. A development node that mines only
        when sent a transaction would never bring those blocks: there they are mined here. Running
        out of time is `TransactionUnconfirmedError`, which says that the transaction happened.
        """
        on_demand: bool | None = None  # asked once, and only when a block is missing
        while True:
            target = receipt["blockNumber"] + self.confirmations - 1
            while (head := self._retry_unreachable(self._block_number)) < target:
                if on_demand is None:
                    on_demand = mines_on_demand(self.w3)
                if on_demand:
                    mine(self.w3, target - head)
                    continue
                if time.monotonic() >= deadline:
                    raise self._unconfirmed(receipt, head)
                time.sleep(self.poll_interval)
            if self.confirmations == 1:
                break
            hashes = [bytes(receipt["transactionHash"])]
            current = self._retry_unreachable(self._first_receipt, hashes)
            if current is not None and current["blockHash"] == receipt["blockHash"]:
                break
            if current is None:
                current = self._wait_for_any(hashes, deadline)
                if current is None:
                    raise TransactionTimeoutError("the transaction left the chain in a reorganization")
            receipt = current
        return Receipt(
            transaction_hash=bytes(receipt["transactionHash"]),
            block_number=receipt["blockNumber"],
            block_hash=bytes(receipt["blockHash"]),
            gas_used=receipt["gasUsed"],
            contract_address=receipt.get("contractAddress"),
            logs=tuple(receipt["logs"]),
            raw=receipt,
        )

    def _unconfirmed(self, receipt: TxReceipt, head: int) -> TransactionUnconfirmedError:
        transaction = bytes(receipt["transactionHash"])
        block = int(receipt["blockNumber"])
        have = max(0, head - block + 1)
        return TransactionUnconfirmedError(
            f"transaction 0x{transaction.hex()} was mined in block {block} and succeeded, but has "
            f"{have} of the {self.confirmations} confirmations asked for (CERTLEDGER_CONFIRMATIONS) "
            f"after {self.timeout:.0f} s, so a reorganization could still undo it. It is on chain: do "
            "not send it again (a status change or an anchor run again finds it there and records "
            "it). Raise CERTLEDGER_TRANSACTION_TIMEOUT if blocks come slowly on this network",
            transaction_hash=transaction,
            block_number=block,
        )

    def _failure(self, call: dict[str, Any], receipt: TxReceipt) -> TransactionError:
        """Why a mined transaction failed: its call replayed on the state before its block."""
        transaction = bytes(receipt["transactionHash"])
        where = f"transaction 0x{transaction.hex()} failed in block {receipt['blockNumber']}"
        try:
            rpc(self.w3, "eth_call", [_json_call(call), hex(receipt["blockNumber"] - 1)])
        except RPCError as error:
            if error.data:
                return self.decoder.decode(error.data)
            return TransactionError(error.unreadable(f"{where}; replaying it, the node answered"))
        return TransactionError(
            f"{where} without a reason: replayed on the state before its block it succeeds, so it "
            "ran out of gas or an earlier transaction of the block changed what it saw"
        )

    # ---------------------------------------------------------------- chain facts

    def _chain(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.w3.eth.chain_id
        return self._chain_id

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        return self._nonce

    def _resync_nonce(self) -> int:
        self._nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        return self._nonce

    def _fees(self) -> dict[str, int]:
        return fees(self.w3)

    def _block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def _retry_unreachable(self, action: Callable[..., T], *arguments: Any) -> T:
        """Runs `action`, retrying for `unreachable_grace` seconds while the node is unreachable."""
        give_up = time.monotonic() + self.unreachable_grace
        delay = 0.05
        while True:
            try:
                return action(*arguments)
            except ChainUnavailableError:
                if time.monotonic() >= give_up:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)


def _bumped(fees: dict[str, int]) -> dict[str, int]:
    return {
        name: (math.ceil(value * _FEE_BUMP) + 1 if name != "type" else value) for name, value in fees.items()
    }


def _json_call(call: dict[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {"from": call["from"], "data": "0x" + bytes(call["data"]).hex()}
    if "to" in call:
        rendered["to"] = call["to"]
    if call.get("value"):
        rendered["value"] = hex(call["value"])
    return rendered


_senders: dict[tuple[str, str], TransactionSender] = {}
_senders_lock = threading.Lock()


def sender_for(w3: Web3, account: LocalAccount, **options: Any) -> TransactionSender:
    """The process's one sender for `account` on the node `w3` talks to."""
    key = (str(getattr(w3.provider, "endpoint_uri", id(w3.provider))), account.address)
    with _senders_lock:
        sender = _senders.get(key)
        if sender is None:
            sender = _senders[key] = TransactionSender(w3, account, **options)
        return sender


__all__ = ["ContractRevertError", "Receipt", "TransactionSender", "sender_for"]


def fees(w3: Web3) -> dict[str, int]:
    """The fee fields of a transaction sent now: on a network with a base fee (EIP-1559), twice
    the base fee plus the tip as its most; elsewhere the node's gas price."""
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas")
    if base_fee is None:  # a pre-London or fixed-price network
        return {"gasPrice": int(w3.eth.gas_price)}
    tip = suggested_tip(w3)
    return {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip, "type": 2}


def max_fee_per_gas(w3: Web3) -> int:
    """The most a transaction sent now offers for a unit of gas (see `fees`)."""
    offered = fees(w3)
    return offered.get("maxFeePerGas", offered.get("gasPrice", 0))


def suggested_tip(w3: Web3) -> int:
    """The node's suggested priority fee; else the median tip of the last ten blocks (from
    eth_feeHistory); else 1 gwei. Neither method is in every client (some consortium nodes have
    none), and a node that lacks one answers with an RPC error."""
    try:
        return int(rpc(w3, "eth_maxPriorityFeePerGas", []), 16)
    except (RPCError, TypeError, ValueError):
        pass
    try:
        history = rpc(w3, "eth_feeHistory", [hex(10), "latest", [50]])
        tips = sorted(int(block[0], 16) for block in history["reward"] if block)
    except (RPCError, TypeError, ValueError, KeyError, IndexError):
        tips = []
    return tips[len(tips) // 2] if tips else _DEFAULT_TIP
