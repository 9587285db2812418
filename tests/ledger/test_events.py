"""Reading events in pages of blocks, shrinking the page when the node refuses a large one."""

from __future__ import annotations

import os
from typing import Any

from web3 import Web3
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from ledger import EventReader
from tests.world import LOG_ID, World


def _append_checkpoints(world: World, count: int) -> list[int]:
    log = world.access_log("operator")
    start = log.head(LOG_ID).size
    blocks = []
    for size in range(start + 1, start + count + 1):
        blocks.append(log.append(LOG_ID, root=os.urandom(32), size=size).block_number)
    return blocks


def test_pages_cover_every_block_once(fresh: World) -> None:
    blocks = _append_checkpoints(fresh, 7)
    reader = EventReader(fresh.w3, fresh.deployment.access_log, fresh.access_log().abi, page_size=2)
    events = list(reader.read(from_block=blocks[0], to_block=blocks[-1], names=["LogRootAppended"]))
    assert [event.block_number for event in events] == blocks
    assert [event.args["sequence"] for event in events] == list(range(1, 8))


def test_indexed_topics_filter(fresh: World) -> None:
    _append_checkpoints(fresh, 3)
    reader = fresh.access_log().events
    size_two = "0x" + (2).to_bytes(32, "big").hex()
    events = list(reader.read(from_block=0, names=["LogRootAppended"], topics=[None, size_two]))
    assert [event.args["size"] for event in events] == [2]


class _CappedProvider(BaseProvider):
    """Passes calls through, refusing `eth_getLogs` over more than `cap` blocks like public nodes do."""

    def __init__(self, inner: BaseProvider, cap: int) -> None:
        super().__init__()
        self.inner = inner
        self.cap = cap
        self.refused = 0
        self.endpoint_uri = getattr(inner, "endpoint_uri", "")

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_getLogs":
            span = int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16) + 1
            if span > self.cap:
                self.refused += 1
                return {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "error": {"code": -32005, "message": "query exceeds max block range 3"},
                }
        return self.inner.make_request(method, params)


def test_refused_pages_are_halved(fresh: World) -> None:
    blocks = _append_checkpoints(fresh, 9)
    provider = _CappedProvider(fresh.w3.provider, cap=3)
    capped = Web3(provider)
    reader = EventReader(capped, fresh.deployment.access_log, fresh.access_log().abi, page_size=16)
    events = list(reader.read(from_block=blocks[0], to_block=blocks[-1]))
    assert [event.block_number for event in events] == blocks
    assert provider.refused > 0
