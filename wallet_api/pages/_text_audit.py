"""The pages' words for the auditor's page: reconciliation, differences, batches, chain state: (中文, English)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
