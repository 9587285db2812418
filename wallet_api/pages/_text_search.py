"""The pages' words for the console's search card: finding a person's certificates, status dialogs."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
