"""Each package's `__all__` is exactly what it exports (ruff keeps it sorted: RUF022), and its docstring names every
error it exports (as httpx's tests/test_exported_members.py locks its own): a name added to a
package's namespace without a decision, or an error left out of the documented tree, fails here."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

PACKAGES = ["ledger", "issuer", "verifier", "audit", "wallet_api", "certledger"]


def _package(name: str) -> ModuleType:
    return importlib.import_module(name)


def _public(package: ModuleType) -> list[str]:
    """The names the package's namespace offers, submodules aside."""
    return [
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    ]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_exactly_the_public_namespace(name: str) -> None:
    package = _package(name)
    exported = list(package.__all__)
    assert len(exported) == len(set(exported)), "a name is exported twice"
    assert sorted(_public(package)) == sorted(exported)


@pytest.mark.parametrize("name", PACKAGES)
def test_the_docstring_names_every_exported_error(name: str) -> None:
    package = _package(name)
    errors = [
        member
        for member in package.__all__
        if isinstance(getattr(package, member), type) and issubclass(getattr(package, member), Exception)
    ]
    docstring = package.__doc__ or ""
    assert [error for error in errors if error not in docstring] == []
