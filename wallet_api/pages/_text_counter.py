"""The pages' words for the console's counter jobs (enrolment codes, units, resets) and the staff audit trail: (中文, English)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
