"""The pages' sentence for every error code (`code.<code>`), in Chinese and English.

The sentences are the ones the API's problem+json answers carry (`wallet_api._problem_text`), so
the page and the API say the same. A card that words a refusal its own way keeps its sentence in
its own `_text_*.py` module (or in `_i18n.py`); this module leaves those codes to it, since a key is
defined once. A test walks every code raised in `wallet_api/` and checks that each has its
sentence in both languages.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from wallet_api._problem_text import PROBLEM_TEXT

# Codes whose sentence is in the table of `_i18n.py` itself (that module imports this one, so it
# cannot be read from here); a test keeps this list equal to that table's `code.*` keys.
IN_I18N: frozenset[str] = frozenset(
    {
        "auth.bad_credentials",
        "auth.expired",
        "auth.invalid_key",
        "auth.session_ended",
        "certificate.not_anchored",
        "certificate.not_found",
        "chain.unavailable",
        "grant.bad_key",
        "grant.expired",
        "grant.key_malformed",
        "grant.link_malformed",
        "grant.not_found",
        "grant.revoked",
        "grant.used_up",
        "grant.wrong_unit",
        "rate_limited",
    }
)


def _worded_by_other_cards() -> set[str]:
    """The `code.*` keys of the other `_text_*.py` modules beside this one."""
    keys: set[str] = set()
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("_text_") and module.name != "_text_errors":
            area = importlib.import_module(f"{__package__}.{module.name}")
            keys |= {key for key in getattr(area, "TEXT", {}) if key.startswith("code.")}
    return keys


_ELSEWHERE = _worded_by_other_cards() | {f"code.{code}" for code in IN_I18N}

# A refused form shows the API's own detail, which names the field and the rule
# ("登录名至少 11 个字符"), rather than one sentence for every invalid request.
SHOWN_AS_SENT: frozenset[str] = frozenset({"request.invalid"})

TEXT: dict[str, tuple[str, str]] = {
    f"code.{code}": pair
    for code, pair in PROBLEM_TEXT.items()
    if f"code.{code}" not in _ELSEWHERE and code not in SHOWN_AS_SENT
}
