"""The wallet's worked examples in docs/wallet.md, recomputed from the code; its tables checked
against the models they describe."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from eth_account import Account

from ledger import Grant, GrantDomain, canonical_json, log_leaf_hash, recover_signer, sign_grant
from tests.conftest import NOW
from wallet_api.schemas import Readiness


def _section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1]


def _labelled(block: str) -> dict[str, str]:
    return {
        match[0]: match[1] for match in re.findall(r"^(\S.*?)\s{2,}([0-9a-f]{64,130})$", block, re.MULTILINE)
    }


def test_the_grant_example(project_root: Path) -> None:
    text = _section((project_root / "docs" / "wallet.md").read_text(encoding="utf-8"), "### Worked example")
    blocks = text.split("```")
    message = json.loads(blocks[1].split("\n", 1)[1])
    values = _labelled(blocks[3])
    key = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    assert Account.from_key(key).address == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    domain = GrantDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    grant = Grant.from_message(message)
    signed = sign_grant(grant, domain, key)
    assert values == {
        "domain separator": domain.separator().hex(),
        "struct hash": grant.struct_hash().hex(),
        "digest": grant.digest(domain).hex(),
        "signature": signed.signature.hex(),
    }
    assert (
        recover_signer(grant.digest(domain), bytes.fromhex(values["signature"]))
        == Account.from_key(key).address
    )


def test_the_access_log_entry_example(project_root: Path) -> None:
    text = _section((project_root / "docs" / "wallet.md").read_text(encoding="utf-8"), "## The access log")
    blocks = text.split("```")
    entry = blocks[1].strip().encode()
    assert canonical_json(json.loads(entry)) == entry  # the entry is stored canonical
    assert _labelled(blocks[3]) == {"leaf hash": log_leaf_hash(entry).hex()}
    from audit import LOG_FORMAT, LogEvent  # noqa: PLC0415

    written = LogEvent("grant.redeemed", "s", "g", "u", b"\x00" * 32).entry(2, NOW)
    assert json.loads(entry).keys() == written.keys()  # the example has today's fields
    assert json.loads(entry)["v"] == LOG_FORMAT


def test_the_enrolment_message_example(project_root: Path) -> None:
    from wallet_api import enrolment_message  # noqa: PLC0415

    text = _section(
        (project_root / "docs" / "wallet.md").read_text(encoding="utf-8"), "## Accounts and tokens"
    )
    shown = "\n".join(line.strip() for line in text.split("```")[1].strip().splitlines())
    assert shown == enrolment_message("ABCD-EFGH-JKMN", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")


def _fields(schema: dict[str, Any], definitions: dict[str, Any], path: str = "") -> set[str]:
    """The dotted names of every field under `path` of a JSON schema (`[]` after a list)."""
    if "$ref" in schema:
        return _fields(definitions[schema["$ref"].rsplit("/", 1)[1]], definitions, path)
    for variant in schema.get("anyOf", []):
        if variant.get("type") != "null":
            return _fields(variant, definitions, path)
    if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        return {path + "[]"} | _fields(schema["items"], definitions, path + "[]")
    if "properties" not in schema:
        return {path}
    return {
        name
        for key, field in schema["properties"].items()
        for name in _fields(field, definitions, f"{path}.{key}" if path else key)
    }


def test_every_readiness_field_is_documented(project_root: Path) -> None:
    text = (project_root / "docs" / "wallet.md").read_text(encoding="utf-8")
    table = text.split("**`GET /v1/health/ready`**", 1)[1].split("\n\n", 2)[1]
    documented = {
        name
        for row in table.splitlines()[2:]
        for name in re.findall(r"`([A-Za-z.\[\]]+)`", row.split(" | ", 1)[0])
    }
    schema = Readiness.model_json_schema(by_alias=True)
    assert documented == _fields(schema, schema["$defs"])
