"""Reading contract events from the chain in pages of blocks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from eth_typing import ABIEvent, BlockNumber, ChecksumAddress
from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.events import get_event_data
from web3.types import EventData, LogReceipt

from ledger._errors import ChainError
from ledger._rpc import RPCError, rpc

_TOO_MANY = ("too many", "more than", "limit", "range", "exceed", "too large")


@dataclass(frozen=True, slots=True)
class Event:
    """One decoded contract event and where it happened."""

    name: str
    args: Mapping[str, Any]
    address: ChecksumAddress
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


class EventReader:
    """Reads the events of one contract, by name, over any block range, a page at a time.

    Nodes cap how many blocks or logs one ``eth_getLogs`` may cover; a refused page is halved
    until it passes, and the page size grows back afterwards.
    """

    def __init__(
        self, w3: Web3, address: ChecksumAddress, abi: Iterable[Mapping[str, Any]], *, page_size: int = 5000
    ) -> None:
        self.w3 = w3
        self.address = address
        self.page_size = page_size
        self._events = {
            bytes(event_abi_to_log_topic(cast(ABIEvent, dict(item)))): dict(item)
            for item in abi
            if item.get("type") == "event"
        }
        self._names = {item["name"]: topic for topic, item in self._events.items()}

    def read(
        self,
        *,
        from_block: int,
        to_block: int | None = None,
        names: Iterable[str] | None = None,
        topics: list[Any] | None = None,
    ) -> Iterator[Event]:
        """Yields the events named `names` (all when None) in block order, oldest first.

        `topics` filters on indexed arguments after the event signature, as ``eth_getLogs`` does.
        """
        last = self.w3.eth.block_number if to_block is None else to_block
        wanted = [self._topic(name) for name in names] if names is not None else list(self._events)
        if not wanted:
            return
        page = self.page_size
        start = from_block
        while start <= last:
            end = min(start + page - 1, last)
            try:
                logs = self._logs(start, end, wanted, topics or [])
            except RPCError as error:
                if page > 1 and any(word in error.message.lower() for word in _TOO_MANY):
                    page = max(1, page // 2)
                    continue
                raise ChainError(f"eth_getLogs refused blocks {start}-{end}: {error.message}") from error
            for log in logs:
                yield self.decode(log)
            start = end + 1
            page = min(self.page_size, page * 2)

    def decode(self, log: LogReceipt) -> Event:
        """Decodes one log of this contract."""
        abi = self._events.get(bytes(log["topics"][0]))
        if abi is None:
            raise ChainError(f"log {bytes(log['topics'][0]).hex()} is not an event of this contract")
        data: EventData = get_event_data(self.w3.codec, abi, log)
        return Event(
            name=data["event"],
            args=dict(data["args"]),
            address=data["address"],
            block_number=data["blockNumber"],
            block_hash=bytes(data["blockHash"]),
            transaction_hash=bytes(data["transactionHash"]),
            log_index=data["logIndex"],
        )

    def decode_receipt_logs(self, logs: Iterable[LogReceipt]) -> list[Event]:
        """The events of this contract among a receipt's logs."""
        return [
            self.decode(log)
            for log in logs
            if log["address"] == self.address and log["topics"] and bytes(log["topics"][0]) in self._events
        ]

    def _topic(self, name: str) -> bytes:
        if name not in self._names:
            raise ValueError(f"the contract has no event {name}")
        return self._names[name]

    def _logs(self, start: int, end: int, wanted: list[bytes], topics: list[Any]) -> list[LogReceipt]:
        query = {
            "address": self.address,
            "fromBlock": hex(start),
            "toBlock": hex(end),
            "topics": [["0x" + topic.hex() for topic in wanted], *topics],
        }
        raw = rpc(self.w3, "eth_getLogs", [query])
        formatted: list[LogReceipt] = [self._format(entry) for entry in raw]
        return formatted

    @staticmethod
    def _format(entry: Mapping[str, Any]) -> LogReceipt:
        return {
            "address": Web3.to_checksum_address(entry["address"]),
            "topics": [HexBytes(topic) for topic in entry["topics"]],
            "data": HexBytes(entry["data"]),
            "blockNumber": BlockNumber(int(entry["blockNumber"], 16)),
            "blockHash": HexBytes(entry["blockHash"]),
            "transactionHash": HexBytes(entry["transactionHash"]),
            "transactionIndex": int(entry["transactionIndex"], 16),
            "logIndex": int(entry["logIndex"], 16),
            "removed": bool(entry.get("removed", False)),
        }
