"""Every error code the service can answer with, and every field a person reads, has Chinese.

The codes are collected from the source, not from a list kept by hand: an AST walk over
`wallet_api/` finds each code a service error is raised with (`NotFoundError(..., code="...")`,
the codes of the HTTP layer and of the issuance stream), beside the error classes' own codes and
the grant refusals. A new code without its Chinese sentence fails here, and so does a raise site
whose code cannot be read from the source. Every field of every certificate type (as
`GET /v1/types` lists them) has a Chinese title, every enumerated value a Chinese label, and
every parameter of every route a label for the validation messages.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

import wallet_api
from tests.wallet_api.conftest import WalletWorld, module_world
from wallet_api import GrantRefusal, WalletError
from wallet_api._grants import GrantState
from wallet_api._http import _STATUS_CODES
from wallet_api._problem_text import FIELD_LABELS, PROBLEM_TEXT, STATUS_TITLES
from wallet_api._problems import ISSUER_PROBLEMS
from wallet_api.pages import MESSAGES, _i18n, _text_errors

PACKAGE = Path(wallet_api.__file__).parent
CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Calls that carry a code as a positional argument: the function's name → the argument's place.
POSITIONAL_CODE = {"problem": 2, "_send_problem": 3, "IssuanceFailed": 0}
# Raise sites that pass a code on from a variable, each checked by what it passes on.
PASSED_ON = {
    ("_errors.py", "code"),  # WalletError's and AuthenticationError's own parameter
    ("_errors.py", "reason.value"),  # a GrantRefusal: walked below
    ("_office.py", "state.error['code']"),  # an issuance's failure told again: its code was walked
    ("_http.py", "error.error_code"),  # a WalletError's: walked at its raise site
    ("_http.py", "fixed.code"),  # ISSUER_PROBLEMS: walked below
    ("_http.py", "code"),  # _http._STATUS_CODES: walked below
}
# Codes built from an enumeration: the site → (the enumeration's class in that module, the members
# that never become a code).
# code=f"print.{found.state}": every state of a grant but the one that is no refusal.
FAMILIES: dict[tuple[str, str], tuple[type[StrEnum], set[str]]] = {
    ("_print_codes.py", "f'print.{found.state}'"): (GrantState, {"active"})
}
REFUSAL = re.compile(r"^GrantRefusal\.([A-Z_]+)\.value$")


def _subclasses(cls: type[WalletError]) -> set[type[WalletError]]:
    return {cls} | {sub for child in cls.__subclasses__() for sub in _subclasses(child)}


ERROR_CLASSES = {cls.__name__ for cls in _subclasses(WalletError)}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _module_dicts(tree: ast.Module) -> dict[str, ast.Dict]:
    found: dict[str, ast.Dict] = {}
    target: ast.expr
    value: ast.expr | None
    for statement in tree.body:
        if isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Dict):
            found[target.id] = value
    return found


def _enumerations(tree: ast.Module) -> dict[str, list[str]]:
    """The string values of each StrEnum class in `tree`, by class name."""
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(_name(base) == "StrEnum" for base in node.bases):
            found[node.name] = [
                statement.value.value
                for statement in node.body
                if isinstance(statement, ast.Assign)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ]
    return found


def _codes_passed(call: ast.Call) -> list[ast.expr]:
    """The expressions `call` passes as a problem's code, if it is a call that takes one."""
    callee = _name(call.func)
    values: list[ast.expr] = []
    if callee in ERROR_CLASSES or callee == "__init__":
        values += [keyword.value for keyword in call.keywords if keyword.arg == "code"]
    if callee in POSITIONAL_CODE and len(call.args) > POSITIONAL_CODE[callee]:
        values.append(call.args[POSITIONAL_CODE[callee]])
    return values


def _read(value: ast.expr, module: str, tree: ast.Module) -> list[str] | None:
    """The codes `value` can be in the module named `module`; None when the walk cannot tell."""
    text = ast.unparse(value)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    dicts = _module_dicts(tree)
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and value.value.id in dicts:
        # code=_NOT_FOUND[type(error)]: every value of that table
        items = dicts[value.value.id].values
        return [
            item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)
        ]
    if refusal := REFUSAL.match(text):
        return [GrantRefusal[refusal[1]].value]
    if (module, text) in FAMILIES:
        family, never = FAMILIES[(module, text)]
        prefix = text[2:].split("{", 1)[0]
        return [prefix + member.value for member in family if member.value not in never]
    if (module, text) in PASSED_ON:
        return []
    return None


def raised_codes() -> tuple[dict[str, str], list[str]]:
    """The codes raised in `wallet_api/` (code → where first), and the sites whose code the walk
    cannot read."""
    codes: dict[str, str] = {}
    unreadable: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(PACKAGE))
        for name, members in _enumerations(tree).items():
            if name.endswith("Refusal"):  # "the value is the stable error code"
                for member in members:
                    codes.setdefault(member, f"{where} {name}")
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for value in _codes_passed(node):
                found = _read(value, path.name, tree)
                if found is None:
                    unreadable.append(f"{where}:{node.lineno}: code={ast.unparse(value)}")
                for code in found or ():
                    codes.setdefault(code, f"{where}:{node.lineno}")
    return codes, unreadable


def every_code() -> dict[str, str]:
    """Every code the service can answer with → where it comes from."""
    codes, _ = raised_codes()
    for cls in _subclasses(WalletError):
        codes.setdefault(cls.code, f"class {cls.__name__}")
    for refusal in GrantRefusal:
        codes.setdefault(refusal.value, "GrantRefusal")
    for fixed in ISSUER_PROBLEMS.values():
        codes.setdefault(fixed.code, "ISSUER_PROBLEMS")
    for code in _STATUS_CODES.values():
        codes.setdefault(code, "_http._STATUS_CODES")
    return codes


def test_the_walk_finds_the_codes_it_should() -> None:
    """The walk is not empty-handed: it finds codes of each kind of site."""
    codes = every_code()
    for known in (
        "grant.fields",  # a keyword at a raise site
        "log.no_entry",  # through a module's table
        "request.too_deep",  # the middleware's positional code
        "safe.integrity",  # a handler's positional code
        "issuance.interrupted",  # the issuance stream
        "grant.used_up",  # a refusal
        "certificate.erased",  # an issuer error's fixed answer
        "method_not_allowed",  # HTTP itself
        "auth.forbidden",  # a class's own code
    ):
        assert known in codes, known
    assert len(codes) > 60


def test_every_raise_site_has_a_readable_code() -> None:
    _, unreadable = raised_codes()
    assert not unreadable, "codes the walk cannot read (write them as literals): " + ", ".join(unreadable)


def test_every_code_is_well_formed() -> None:
    malformed = {code: site for code, site in every_code().items() if not CODE.match(code)}
    assert not malformed


def test_every_code_has_a_chinese_problem_detail() -> None:
    missing = {code: site for code, site in every_code().items() if code not in PROBLEM_TEXT}
    assert not missing, f"codes without Chinese in wallet_api/_problem_text.py: {missing}"
    for code, (chinese, english) in PROBLEM_TEXT.items():
        assert CJK.search(chinese), code
        assert english and not CJK.search(english), code


def test_each_code_and_label_is_worded_once() -> None:
    """A dict literal keeps the last of two equal keys silently; several hands add to these."""
    tree = ast.parse((PACKAGE / "_problem_text.py").read_text(encoding="utf-8"))
    for table in ("PROBLEM_TEXT", "FIELD_LABELS", "STATUS_TITLES"):
        literal = next(
            node.value
            for node in tree.body
            if isinstance(node, ast.AnnAssign) and _name(node.target) == table and node.value is not None
        )
        assert isinstance(literal, ast.Dict)
        keys = [ast.literal_eval(key) for key in literal.keys if key is not None]
        assert len(keys) == len(set(keys)), {key for key in keys if keys.count(key) > 1}


def test_every_code_has_a_page_message_in_both_languages() -> None:
    missing = {
        code: site
        for code, site in every_code().items()
        if code not in _text_errors.SHOWN_AS_SENT and f"code.{code}" not in MESSAGES["zh"]
    }
    assert not missing, f"codes without a page message (code.<code>): {missing}"
    for key, chinese in MESSAGES["zh"].items():
        if key.startswith("code."):
            assert CJK.search(chinese), key
            assert not CJK.search(MESSAGES["en"][key]), key


def test_the_codes_worded_in_i18n_are_listed_for_the_errors_module() -> None:
    """`_text_errors` leaves these codes to `_i18n.py`; the list must say exactly which they are."""
    source = Path(_i18n.__file__).read_text(encoding="utf-8")
    in_table = set(re.findall(r'^\s+"code\.([a-z_.]+)":', source, re.MULTILINE))
    assert in_table == _text_errors.IN_I18N


def test_every_certificate_status_has_a_name_in_both_languages() -> None:
    """The pages name a status by its label (`status.<state>`), never by the stored word."""
    from issuer import CertificateState  # noqa: PLC0415

    for state in CertificateState:
        assert CJK.search(MESSAGES["zh"].get(f"status.{state.value}", "")), state
        assert MESSAGES["en"][f"status.{state.value}"], state


def test_every_status_the_api_declares_has_a_chinese_title() -> None:
    from wallet_api._http import _PROBLEM_DESCRIPTIONS  # noqa: PLC0415

    for status in _PROBLEM_DESCRIPTIONS:
        assert CJK.search(STATUS_TITLES[status][0]), status


# ------------------------------------------------------------ the schemas and the routes' fields


@pytest.fixture(scope="module", params=["sqlite"])
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """One populated service for the module."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


def _resolved(node: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = schema
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
    return node


def _fields(
    node: Mapping[str, Any], schema: Mapping[str, Any], path: str = ""
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every property under `node`, with its path: nested objects and the items of arrays too."""
    node = _resolved(node, schema)
    for name, child in node.get("properties", {}).items():
        field = _resolved(child, schema)
        yield f"{path}{name}", field
        yield from _fields(field, schema, f"{path}{name}.")
    if isinstance(node.get("items"), Mapping):
        yield from _fields(node["items"], schema, f"{path}[]")


def test_every_field_of_every_type_has_a_chinese_title(world: WalletWorld) -> None:
    types = world.client.get("/v1/types").json()
    assert len(types) >= 3
    untitled: list[str] = []
    unlabelled: list[str] = []
    walked = 0
    for listed in types:
        schema = world.client.get(f"/v1/types/{listed['name']}/v{listed['version']}/schema").json()
        assert CJK.search(schema["title"]), listed["key"]
        for path, node in _fields(schema, schema):
            walked += 1
            if not CJK.search(str(node.get("title", ""))):
                untitled.append(f"{listed['key']} {path}")
            labels = node.get("x-labels", {})
            for value in node.get("enum", []):
                if not CJK.search(str(labels.get(value, ""))):
                    unlabelled.append(f"{listed['key']} {path} = {value}")
        assert set(listed["fields"]) <= {path for path, _ in _fields(schema, schema)}
    assert walked > 20
    assert not untitled, f"fields without a Chinese title: {untitled}"
    assert not unlabelled, f"values without a Chinese label: {unlabelled}"


def _operation_fields(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                yield where, parameter["name"]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for name, _ in _fields(content.get("schema", {}), document):
                    yield where, name.rsplit(".", 1)[-1].removeprefix("[]")


def test_every_field_a_request_can_get_wrong_has_a_chinese_label(world: WalletWorld) -> None:
    document = world.client.app.openapi()  # type: ignore[attr-defined]
    fields = list(_operation_fields(document))
    assert ("POST /v1/auth/login", "login") in fields
    missing = sorted({f"{name} ({where})" for where, name in fields if name not in FIELD_LABELS})
    assert not missing, f"request fields without a label in wallet_api/_problem_text.py: {missing}"
    for name, (chinese, english) in FIELD_LABELS.items():
        assert CJK.search(chinese) and english, name
