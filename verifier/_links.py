"""A wallet's grant link, as read: what the sources find and what a `GrantLinkError` carries."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class GrantLink:
    """A wallet's grant link: the grant's reference in the path, its one-time key in the fragment
    (which browsers never send to a server). Printed, it shows no key."""

    text: str = field(repr=False)
    wallet: str
    reference: str
    key: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.wallet}/r/{self.reference}"
