"""Decoding revert data into the contract's named custom error and its arguments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from ledger._errors import ContractRevertError

_ERROR_STRING = function_signature_to_4byte_selector("Error(string)")
_PANIC = function_signature_to_4byte_selector("Panic(uint256)")


def _type_string(parameter: Mapping[str, Any]) -> str:
    kind = str(parameter["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type_string(component) for component in parameter["components"])
        return f"({inner}){kind[5:]}"
    return kind


class RevertDecoder:
    """Knows every custom error of a set of ABIs by its 4-byte selector."""

    def __init__(self, abis: Iterable[Iterable[Mapping[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_type_string(p) for p in item["inputs"]]
                names = [str(p["name"]) or f"arg{i}" for i, p in enumerate(item["inputs"])]
                selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
                self._errors[selector] = (str(item["name"]), types, names)

    def decode(self, data: bytes) -> ContractRevertError:
        """The error that `data` encodes; unknown data is reported as ``UnknownRevert``."""
        selector, payload = data[:4], data[4:]
        try:
            if selector == _ERROR_STRING:
                (message,) = decode(["string"], payload)
                return ContractRevertError("Error", {"message": message}, data=data)
            if selector == _PANIC:
                (code,) = decode(["uint256"], payload)
                return ContractRevertError("Panic", {"code": code}, data=data)
            if selector in self._errors:
                name, types, names = self._errors[selector]
                values = [
                    to_checksum_address(value) if kind == "address" else value
                    for kind, value in zip(types, decode(types, payload), strict=True)
                ]
                return ContractRevertError(name, dict(zip(names, values, strict=True)), data=data)
        except DecodingError:
            pass
        return ContractRevertError("UnknownRevert", {"data": data}, data=data)
