"""How every benchmark reports: one ``name: value unit`` line per figure, or one JSON object."""

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


@dataclass(slots=True)
class Figures:
    """The figures of one benchmark run, printed in the order they were measured."""

    items: list[Figure] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, *, target: str | None = None) -> None:
        """Records one figure."""
        self.items.append(Figure(name, value, unit, target))

    def as_json(self) -> str:
        """``{"name": {"value": v, "unit": u, "target": t}, ...}``."""
        return json.dumps(
            {f.name: {"value": f.value, "unit": f.unit, "target": f.target} for f in self.items}, indent=2
        )

    def as_lines(self) -> str:
        """``name: value unit`` a line, with the target in a trailing comment."""
        lines = []
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
