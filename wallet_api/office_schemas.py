"""Bodies of the office's upload and issuance routes (`routers/office.py`). camelCase JSON names,
like every other body."""

from __future__ import annotations

from pydantic import Field

from wallet_api.schemas import Body, Out


class UploadOpen(Body):
    """A records file the console is about to send in pieces."""

    filename: str = Field(
        min_length=1, max_length=200, description="the file's name; its extension says its format"
    )
    size: int = Field(ge=1, description="the file's size in bytes")
    key: str = Field(
        min_length=1,
        max_length=200,
        description="the console's own key for the file (its name, size and modification time): the"
        " same file opened again with the same key goes on where it stopped",
    )


class UploadOut(Out):
    """An upload and how much of it the service holds."""

    id: str
    filename: str
    size: int
    received: int
    complete: bool
    piece: int = Field(description="the most bytes a piece may have")


class IssuanceStart(Body):
    """Issue a complete upload as a certificate type."""

    type: str = Field(min_length=1, max_length=60, description="type: name, name/vN, id")
