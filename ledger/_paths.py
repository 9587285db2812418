"""Where the project's own files are: the Solidity sources, the pinned Node tools, the artifacts."""

from __future__ import annotations

import platform
import shutil
from pathlib import Path

from ledger._errors import ChainProcessError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
NODE_MODULES = PROJECT_ROOT / "node_modules"
ARTIFACTS_DIR = PACKAGE_DIR / "artifacts"

_ANVIL_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Darwin", "arm64"): "darwin-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
}


def anvil_executable() -> Path:
    """The anvil binary from the pinned npm package, or an `anvil` on the PATH.

    The native binary is started directly rather than through the package's Node wrapper, so
    that a signal sent to the node reaches the node itself.
    """
    suffix = _ANVIL_PLATFORMS.get((platform.system(), platform.machine()))
    if suffix is not None:
        pinned = NODE_MODULES / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"
        if pinned.is_file():
            return pinned
    on_path = shutil.which("anvil")
    if on_path is not None:
        return Path(on_path)
    raise ChainProcessError(
        "anvil is not installed: run `make setup` (npm ci installs the pinned @foundry-rs/anvil)"
    )
