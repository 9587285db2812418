"""How every benchmark reports: one ``name: value unit`` line per figure, or one JSON object;
either way headed by the node the figures were measured on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rich.console import Console


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure, with the target it is held to when there is one."""

    name: str
    value: float
    unit: str
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Node:
    """The chain node a benchmark measured."""

    url: str  # without credentials
    chain_id: int
    client_version: str
    external: bool  # the configured node (CERTLEDGER_RPC_URL), not an anvil of the benchmark's own

    def describe(self) -> str:
        """``anvil/v1.7.1, chain 31337, at http://127.0.0.1:8545 (external)``."""
        whose = "external, CERTLEDGER_RPC_URL" if self.external else "the benchmark's own anvil"
        return f"{self.client_version}, chain {self.chain_id}, at {self.url} ({whose})"

    def to_json(self) -> dict[str, object]:
        """The node as the JSON output's ``node`` entry."""
        return {
            "url": self.url,
            "chain_id": self.chain_id,
            "client_version": self.client_version,
            "external": self.external,
        }


@dataclass(slots=True)
class Figures:
    """The figures of one benchmark run, printed in the order they were measured."""

    items: list[Figure] = field(default_factory=list)
    node: Node | None = None

    def add(self, name: str, value: float, unit: str, *, target: str | None = None) -> None:
        """Records one figure."""
        self.items.append(Figure(name, value, unit, target))

    def as_json(self) -> str:
        """``{"node": {...}, "name": {"value": v, "unit": u, "target": t}, ...}``: every key but
        ``node`` (present when a chain was used) is a figure."""
        document: dict[str, object] = {} if self.node is None else {"node": self.node.to_json()}
        for f in self.items:
            document[f.name] = {"value": f.value, "unit": f.unit, "target": f.target}
        return json.dumps(document, indent=2)

    def as_lines(self) -> str:
        """``name: value unit`` a line, with the target in a trailing comment, after a comment
        line naming the node."""
        lines = [] if self.node is None else [f"# node: {self.node.describe()}"]
        for figure in self.items:
            value = f"{figure.value:.0f}" if float(figure.value).is_integer() else f"{figure.value:.2f}"
            target = f"  # target {figure.target}" if figure.target else ""
            lines.append(f"{figure.name}: {value} {figure.unit}{target}")
        return "\n".join(lines)

    def emit(self, *, as_json: bool, console: Console | None = None) -> None:
        """Prints the figures to standard output."""
        text = self.as_json() if as_json else self.as_lines()
        print(text)
        del console
