"""The worked examples in docs/ are recomputed from the code."""

from __future__ import annotations

import re
from pathlib import Path

from ledger import BatchTree, keccak256


def _block(text: str, heading: str) -> dict[str, list[str]]:
    section = text.split(heading, 1)[1]
    body = section.split("```", 2)[1]
    values: dict[str, list[str]] = {}
    label = ""
    for line in body.strip().splitlines():
        match = re.match(r"^(\S.*?)\s{2,}([0-9a-f]{64})$", line)
        if match:
            label = match.group(1)
            values[label] = [match.group(2)]
        else:
            values[label].append(line.strip())
    return values


def test_batch_tree_worked_example(project_root: Path) -> None:
    text = (project_root / "docs" / "contracts.md").read_text(encoding="utf-8")
    values = _block(text, "### Worked example")
    roots = [keccak256(f"document {i}".encode()) for i in range(3)]
    tree = BatchTree.build(roots)
    computed = {
        **{f"document root {i}": [root.hex()] for i, root in enumerate(roots)},
        **{f"leaf {i}": [leaf.hex()] for i, leaf in enumerate(tree.levels[0])},
        "node (0,1)": [tree.levels[1][0].hex()],
        "node (2,pad)": [tree.levels[1][1].hex()],
        "batch root": [tree.root.hex()],
        "proof of 2": [sibling.hex() for sibling in tree.proof(2)],
    }
    assert values == computed
