"""problem+json answers follow `Accept-Language`: Chinese titles and details for a caller that
prefers Chinese (the pages), English otherwise; the stable `code` is the same in both, and a
validation error names the field by its label and the rule in words."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from web3 import Web3

from tests.wallet_api.conftest import WalletWorld, module_world
from wallet_api._problem_text import negotiated_language, validation_message

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture(scope="module", params=["sqlite"])
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """One populated service for the module."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN", "zh"),
        ("zh-Hans-CN,zh;q=0.9", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("en;q=0.5, zh;q=0.8", "zh"),
        ("fr-FR, de;q=0.9", "en"),
        ("zh;q=0, en", "en"),
        ("*", "en"),
        ("zh-TW", "zh"),
        ("zh-CN;q=abc, en", "en"),  # a malformed range is skipped, not guessed at
        ("zh-CN" + ", x" * 200, "en"),  # too long to read
    ],
)
def test_the_language_is_negotiated(header: str | None, language: str) -> None:
    assert negotiated_language(header) == language


def test_a_short_login_is_named_by_its_label_in_chinese(world: WalletWorld) -> None:
    body = {"login": "1390000", "password": "x"}
    chinese = world.client.post("/v1/auth/login", json=body, headers=ZH)
    english = world.client.post("/v1/auth/login", json=body, headers=EN)
    assert chinese.status_code == english.status_code == 422
    assert chinese.json()["code"] == english.json()["code"] == "request.invalid"
    assert chinese.json()["title"] == "请求的内容不符合要求"
    assert chinese.json()["detail"] == "登录名至少 11 个字符。"
    assert chinese.json()["errors"] == [{"location": ["body", "login"], "message": "登录名至少 11 个字符"}]
    assert chinese.headers["content-language"] == "zh"
    assert english.json()["title"] == "The request is not valid"
    assert english.json()["detail"] == "body.login: String should have at least 11 characters"
    assert english.headers["content-language"] == "en"
    assert "Accept-Language" in chinese.headers["vary"]


def test_every_broken_field_is_named_and_no_value_is_echoed(world: WalletWorld) -> None:
    body = {"identityNumber": "37100219790330748Y", "phone": "123", "password": "short", "zzz": 1}
    answer = world.client.post("/v1/citizens", json=body, headers=ZH)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    for said in (
        "公民身份号码的格式不对",
        "缺少开户码",
        "手机号的格式不对",
        "密码至少 10 个字符",
        "不认识的字段 zzz",
    ):
        assert said in detail or said in str(answer.json()["errors"]), said
    assert "37100219790330748Y" not in answer.text and "short" not in answer.text
    assert "body." not in detail


def test_a_service_refusal_is_chinese_with_the_same_code(world: WalletWorld) -> None:
    body = {"login": "13900000000", "password": "not the password"}
    chinese = world.client.post("/v1/auth/login", json=body, headers=ZH)
    english = world.client.post("/v1/auth/login", json=body)  # no header: English
    assert chinese.status_code == english.status_code == 401
    assert chinese.json()["code"] == english.json()["code"] == "auth.bad_credentials"
    assert (chinese.json()["title"], chinese.json()["detail"]) == ("需要登录", "账号或密码不对。")
    assert english.json()["title"] == "Authentication is required"
    assert english.json()["detail"] == "wrong identity number, phone or password"
    assert chinese.headers["www-authenticate"] == english.headers["www-authenticate"]


def test_routing_errors_and_middleware_refusals_are_chinese(world: WalletWorld) -> None:
    missing = world.client.get("/v1/no-such-thing", headers=ZH)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (missing.json()["title"], missing.json()["detail"]) == ("没有找到", "没有找到要找的内容。")
    malformed = world.client.post(
        "/v1/auth/login", content=b"{not json", headers=ZH | {"Content-Type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["code"]) == (400, "request.malformed")
    assert malformed.json()["detail"] == "提交的内容不是有效的 JSON。"
    deep = world.client.post(
        "/v1/auth/login", content=b"[" * 1000, headers=ZH | {"Content-Type": "application/json"}
    )
    assert (deep.status_code, deep.json()["code"]) == (422, "request.too_deep")
    assert (deep.json()["title"], deep.json()["detail"]) == (
        "请求的内容不符合要求",
        "提交的 JSON 嵌套层数过多。",
    )
    assert deep.headers["content-language"] == "zh"
    english = world.client.post(
        "/v1/auth/login", content=b"[" * 1000, headers={"Content-Type": "application/json"}
    )
    assert english.json()["detail"] == "the JSON nests arrays and objects more than 64 deep"
    assert english.json()["title"] == HTTPStatus(422).phrase  # as English callers always had it


def test_a_units_wrong_key_is_refused_in_chinese(world: WalletWorld) -> None:
    answer = world.client.get("/v1/units/me", headers=ZH | {"X-API-Key": "ck_nothing.nothing"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "auth.invalid_key"
    assert answer.json()["detail"] == "单位密钥无效或已停用。"


@pytest.mark.parametrize(
    ("item", "said"),
    [
        ({"type": "missing", "loc": ("body", "purpose"), "msg": "Field required"}, "缺少用途"),
        (
            {"type": "less_than_equal", "loc": ("body", "uses"), "msg": "", "ctx": {"le": 1000}},
            "可用次数最多为 1000",
        ),
        (
            {"type": "too_short", "loc": ("body", "fields"), "msg": "", "ctx": {"min_length": 1}},
            "授权内容至少 1 项",
        ),
        (
            {"type": "string_too_long", "loc": ("body", "fields", 2), "msg": "", "ctx": {"max_length": 64}},
            "授权内容第 3 项最多 64 个字符",
        ),
        (
            {
                "type": "literal_error",
                "loc": ("query", "format"),
                "msg": "",
                "ctx": {"expected": "'certificate' or 'vc'"},
            },
            "格式只能是 certificate、vc",
        ),
        ({"type": "some_new_type", "loc": ("query", "q"), "msg": "odd"}, "查找内容不符合要求"),
        ({"type": "string_too_short", "loc": ("body", "login"), "msg": "", "ctx": {}}, "登录名不符合要求"),
    ],
)
def test_validation_messages_in_chinese(item: dict[str, Any], said: str) -> None:
    assert validation_message(item, "zh") == said
