"""The shape of everything audit hands out: pydantic models with camelCase JSON names, which the
``certledger audit …`` commands print (``model_dump(mode="json")``) and the wallet's routes return
as they are. Each row is defined once, in the audit module that builds it.

Bytes leave as ``0x``-hex and chain times (epoch seconds) as ISO 8601 in China Standard Time; the
models hold the values themselves, so that code reading them compares bytes and seconds. The rows a
route returns are named as the API's schemas (``ChainBatchOut``, ``LogSummary``): the OpenAPI
document names its components after the classes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from ledger import BEIJING, hex0x


class Out(BaseModel):
    """A JSON body handed out: camelCase names."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class Row(Out):
    """An `Out` that does not change once built."""

    model_config = ConfigDict(frozen=True)


def chain_time(seconds: int) -> str:
    """A chain time as ISO 8601 in China Standard Time."""
    return datetime.fromtimestamp(seconds, BEIJING).isoformat()


Hex = Annotated[bytes, PlainSerializer(hex0x, return_type=str)]
"""Bytes, written ``0x…``."""

IsoTime = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(), return_type=str)]
"""A moment, written as ISO 8601 with its offset as it is (``+00:00``, not ``Z``)."""

ChainTime = Annotated[int, PlainSerializer(chain_time, return_type=str)]
"""A chain time in epoch seconds, written as ISO 8601 in China Standard Time."""
