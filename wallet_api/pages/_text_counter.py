"""The pages' words for the console's counter jobs and the staff audit trail."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
