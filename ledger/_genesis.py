"""The embedded chain's genesis block, pinned so that restarts never rewrite history.

anvil makes a fresh genesis block, stamped with the current time, each time it starts with
`--state FILE`, and its next dump adds that block beside the old ones. After a few restarts the
file holds several block-0 entries and a reload may take a different one: block 0's hash changes
while block 1 still names the old one, and the chain looks like another chain.

So the first start records block 0 (its timestamp and hash) in `genesis.json`; every later start
passes that timestamp to `--timestamp`, which makes the fresh genesis the same block again, and
checks the hash. A data folder from before this was pinned is repaired once: the genesis that
block 1 names is found among the file's entries by hashing their headers, and the others are
dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger._errors import ChainProcessError
from ledger._files import write_json_atomically
from ledger._hashing import keccak256

# The block header's fields in RLP order (Prague), as anvil writes them into its state file.
_HEADER_FIELDS = (
    "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot",
    "logsBloom", "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData",
    "mixHash", "nonce", "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas",
    "parentBeaconBlockRoot", "requestsHash",
)  # fmt: skip
_INTEGER_FIELDS = frozenset(
    {
        "difficulty",
        "number",
        "gasLimit",
        "gasUsed",
        "timestamp",
        "baseFeePerGas",
        "blobGasUsed",
        "excessBlobGas",
    }
)


@dataclass(frozen=True, slots=True)
class Genesis:
    """Block 0 of the embedded chain: enough to make it again and to recognise it."""

    timestamp: int
    hash: str

    @classmethod
    def load(cls, path: Path) -> Genesis | None:
        """The genesis recorded at `path`, or None when nothing was recorded."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            return cls(timestamp=int(document["timestamp"]), hash=str(document["hash"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            raise ChainProcessError(
                f"{path} is damaged ({error}); it pins the chain's genesis block: restore it from a "
                "backup, or delete it to take the genesis that block 1 of the state names"
            ) from error

    def save(self, path: Path) -> None:
        """Writes the record atomically: a crash leaves no half-written file."""
        write_json_atomically(path, {"timestamp": self.timestamp, "hash": self.hash})


def header_hash(header: dict[str, Any]) -> str:
    """The block hash of a header as anvil's state file holds it: keccak256 of its RLP."""
    items = []
    for name in _HEADER_FIELDS:
        if name not in header:  # a field before its fork (nothing we start lacks one)
            break
        value = str(header[name])
        if name in _INTEGER_FIELDS:
            number = int(value, 16)
            items.append(number.to_bytes((number.bit_length() + 7) // 8, "big"))
        else:
            items.append(bytes.fromhex(value.removeprefix("0x")))
    return "0x" + keccak256(_rlp_list(items)).hex()


def _rlp_list(items: list[bytes]) -> bytes:
    """The RLP encoding of a flat list of byte strings (all a block header is)."""
    payload = b"".join(
        item if len(item) == 1 and item[0] < 0x80 else _rlp_length(len(item), 0x80) + item for item in items
    )
    return _rlp_length(len(payload), 0xC0) + payload


def _rlp_length(length: int, offset: int) -> bytes:
    if length <= 55:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def repair_state(state_file: Path) -> Genesis | None:
    """The genesis a state file's history was built on, with every other block-0 entry dropped
    from the file; None when the file holds no block 0."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    blocks: list[dict[str, Any]] = state.get("blocks") or []
    candidates = [block for block in blocks if int(block["header"]["number"], 16) == 0]
    if not candidates:
        return None
    first = next((block for block in blocks if int(block["header"]["number"], 16) == 1), None)
    if first is None:  # nothing was ever built on block 0: the earliest one is as good as any
        chosen = min(candidates, key=lambda block: int(block["header"]["timestamp"], 16))
    else:
        named = first["header"]["parentHash"]
        matching = [block for block in candidates if header_hash(block["header"]) == named]
        if not matching:
            raise ChainProcessError(
                f"{state_file} holds no block 0 with the hash {named} that block 1 names; the "
                "chain's history cannot be rebuilt from it: restore the file from a backup"
            )
        chosen = matching[0]
    genesis = Genesis(int(chosen["header"]["timestamp"], 16), header_hash(chosen["header"]))
    kept = [block for block in blocks if block is chosen or int(block["header"]["number"], 16) != 0]
    if len(kept) != len(blocks):
        state["blocks"] = kept
        write_json_atomically(state_file, state, indent=None)
    return genesis
