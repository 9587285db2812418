"""The worked examples in docs/ are recomputed from the code."""

from __future__ import annotations

import re
from pathlib import Path

from ledger import (
    BatchTree,
    Certificate,
    batch_leaf_hash,
    canonical_json,
    field_commitment,
    keccak256,
    parse_json,
)


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


def _fenced(text: str, heading: str, index: int = 0) -> str:
    """The `index`-th fenced block after `heading`."""
    section = text.split(heading, 1)[1]
    return section.split("```")[2 * index + 1].split("\n", 1)[1]


def test_document_format_worked_example(project_root: Path) -> None:
    text = (project_root / "docs" / "document-format.md").read_text(encoding="utf-8")
    certificate = Certificate.from_json(parse_json(_fenced(text, "## Worked example", 4)))
    assert certificate.computed_root() == certificate.root
    assert (
        _fenced(text, "## Worked example", 0).strip() == canonical_json(certificate.header.to_json()).decode()
    )
    listed = {
        match.group(1): (bytes.fromhex(match.group(2)), bytes.fromhex(match.group(3)))
        for match in re.finditer(
            r"^\| `(\w+)` \| `([0-9a-f]{32})` \| `([0-9a-f]{64})` \|$", text, re.MULTILINE
        )
    }
    assert set(listed) == set(certificate.claims)
    for name, (salt, commitment) in listed.items():
        assert certificate.salts[name] == salt
        assert field_commitment(name, certificate.claims[name], salt) == commitment
    hashed = {
        line.split(" ", 1)[0]: line.split(" ", 1)[1].strip()
        for line in _fenced(text, "## Worked example", 1).strip().splitlines()
    }
    assert hashed == {
        name: canonical_json([name, value]).decode() for name, value in certificate.claims.items()
    }
    decoys = [bytes.fromhex(line) for line in _fenced(text, "## Worked example", 2).split()]
    assert tuple(decoys) == certificate.decoys
    root = bytes.fromhex(_fenced(text, "## Worked example", 3).strip())
    assert root == certificate.root
    assert f"batch leaf `{batch_leaf_hash(root, 0).hex()}`" in text
