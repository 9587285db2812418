"""No import circles: the project's modules import one another as a graph without cycles.

The graph is built from the source alone (ast): every ``import a.b`` and ``from a.b import c``,
at module level or inside a function, between the project's own modules. ``from a import b``
points at the module ``a.b`` when ``b`` is one, and at ``a`` (its ``__init__``) otherwise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = ("ledger", "issuer", "verifier", "audit", "wallet_api", "scripts", "certledger", "migrations")
"""The project's top-level packages (those not present yet are skipped)."""


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path) -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        if (root / package / "__init__.py").is_file():
            for path in sorted((root / package).rglob("*.py")):
                modules[_module_name(path, root)] = path
    return modules


def _imported(module: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules that `module` imports, anywhere in its source."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
            ]
        else:
            continue
        # A name that is no module of the project is another library's (or a broken import,
        # which the other tests find).
        yield from (name for name in names if name in modules and name != module)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each project module and the project modules it imports."""
    modules = project_modules(root)
    return {module: set(_imported(module, path, modules)) for module, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as the path of modules around it (the first repeated at the end), or
    None when the graph has none."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        # Iterative depth-first search; `path` holds the modules of the current branch, in order.
        path: list[str] = [start]
        on_path = {start}
        pending: list[Iterator[str]] = [iter(sorted(graph[start]))]
        while pending:
            following = next(pending[-1], None)
            if following is None:
                pending.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
            elif following in on_path:
                return [*path[path.index(following) :], following]
            elif following not in done:
                path.append(following)
                on_path.add(following)
                pending.append(iter(sorted(graph.get(following, ()))))
    return None


def test_the_project_imports_without_cycles(project_root: Path) -> None:
    graph = import_graph(project_root)
    assert len(graph) > 80
    assert {"wallet_api.app", "wallet_api.cli", "certledger.cli"} <= graph.keys()
    assert "wallet_api.app" in graph["certledger.cli"] or "wallet_api.cli" in graph["certledger.cli"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_find_cycle_reports_the_path_around_a_cycle(
    graph: dict[str, set[str]], cycle: list[str] | None
) -> None:
    assert find_cycle(graph) == cycle


def test_from_a_package_import_a_submodule_points_at_the_submodule(tmp_path: Path) -> None:
    package = tmp_path / "ledger"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from ledger.sub import leaf\n", encoding="utf-8")
    (package / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "leaf.py").write_text(
        "def f() -> None:\n    from ledger import NAME\n", encoding="utf-8"
    )
    (package / "other.py").write_text("from . import sub\nfrom .sub.leaf import f\n", encoding="utf-8")
    assert import_graph(tmp_path) == {
        "ledger": {"ledger.sub.leaf"},
        "ledger.sub": set(),
        "ledger.sub.leaf": {"ledger"},
        "ledger.other": {"ledger.sub", "ledger.sub.leaf"},
    }
    assert find_cycle(import_graph(tmp_path)) == ["ledger", "ledger.sub.leaf", "ledger"]
