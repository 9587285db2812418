"""The pages' words for the console's issuing card: refused rows, uploads, resuming."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
