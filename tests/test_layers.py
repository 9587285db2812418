"""The layers of design.md §2: a package imports only from the packages below it."""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path

LAYERS = ["ledger", "issuer", "verifier", "audit", "wallet_api", "scripts", "certledger"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_package_imports_from_a_layer_above_it(project_root: Path) -> None:
    violations = []
    checked = 0
    for rank, package in enumerate(LAYERS):
        for path in (project_root / package).rglob("*.py") if (project_root / package).is_dir() else []:
            checked += 1
            for imported in _imports(path) & set(LAYERS):
                if LAYERS.index(imported) > rank:
                    violations.append(f"{path.relative_to(project_root)} imports {imported}")
    assert checked > 10
    assert violations == []


def test_the_verifier_imports_no_project_package_but_the_ledger(project_root: Path) -> None:
    # design.md §2: verification needs only the document and the chain.
    imported = {
        f"{path.relative_to(project_root)} imports {package}"
        for path in (project_root / "verifier").rglob("*.py")
        for package in _imports(path) & (set(LAYERS) - {"ledger", "verifier"})
    }
    assert imported == set()


def test_the_repository_holds_no_absolute_machine_paths(project_root: Path) -> None:
    # The folders of this machine, as it reports them: the workplace the checkout sits in, the
    # user's home and the temporary folder. None may be written into the repository.
    machine = {str(project_root.parent), str(Path.home()), tempfile.gettempdir()}
    suspicious = sorted(folder.rstrip(os.sep) + os.sep for folder in machine if folder != os.sep)
    assert len(suspicious) >= 2
    offenders = []
    folders = (
        "ledger",
        "issuer",
        "verifier",
        "audit",
        "wallet_api",
        "scripts",
        "certledger",
        "tests",
        "contracts",
        "docs",
        "migrations",
    )
    suffixes = {".py", ".sol", ".json", ".md", ".js", ".cjs", ".html", ".css", ".toml", ".txt"}
    files = [path for folder in folders for path in (project_root / folder).rglob("*")]
    files += [project_root / name for name in ("README.md", "Makefile", "pyproject.toml", "package.json")]
    for path in files:
        if path.is_file() and (path.suffix in suffixes or path.name == "Makefile"):
            text = path.read_text(encoding="utf-8", errors="replace")
            offenders += [f"{path.relative_to(project_root)}: {s}" for s in suspicious if s in text]
    assert offenders == []


def test_the_readme_draws_the_layers_in_their_order(project_root: Path) -> None:
    """The README's layout diagram lists the packages top down: the reverse of `LAYERS`."""
    readme = (project_root / "README.md").read_text(encoding="utf-8")
    diagram = readme.split("## Layout", 1)[1].split("```", 2)[1]
    drawn = [line.split("/", 1)[0] for line in diagram.strip().splitlines()]
    assert drawn == list(reversed(LAYERS))
