"""The pages' words for the auditor's page: reconciliation, differences, batches."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
