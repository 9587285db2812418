"""The words of problem+json answers in Simplified Chinese and English, chosen by `Accept-Language`.

A problem's `code` is stable and never translated; its `title` comes from its HTTP status and its
`detail` from its code. The English detail is the one the service wrote where it refused (it names
the values involved); the Chinese one is the code's sentence here, or the error's own Chinese
detail when the raise site gave one. The pages draw the same sentences (`code.<code>` messages,
`wallet_api/pages/_text_errors.py`), and a test walks every code raised in `wallet_api/` to check
that each one has its Chinese here.

Validation errors (FastAPI's 422) are worded here too: the field by its label, the rule in words
("登录名至少 11 个字符"), never the raw location ("body.login").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

Language = Literal["zh", "en"]

# API clients that say nothing get English (the language of the API's reference and of its
# existing clients); the pages send `Accept-Language` and get Chinese by default.
DEFAULT_LANGUAGE: Final[Language] = "en"
_MAX_HEADER = 256  # an Accept-Language header longer than this is not read
_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$"
)


def negotiated_language(header: str | None) -> Language:
    """The language of the answer: `zh` or `en`, whichever the caller ranks higher in
    `Accept-Language` (RFC 9110 §12.5.4; ties go to the one named first); the default when the
    header names neither, is missing, malformed or too long."""
    if not header or len(header) > _MAX_HEADER:
        return DEFAULT_LANGUAGE
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate(header.split(",")[:16]):
        match = _RANGE.match(item)
        if match is None:
            continue
        primary = match.group(1).split("-")[0].lower()
        if primary not in ("zh", "en"):
            continue
        quality = float(match.group(2)) if match.group(2) else 1.0
        if quality <= 0:
            continue
        language: Language = "zh" if primary == "zh" else "en"
        candidate = (quality, -position, language)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best is not None else DEFAULT_LANGUAGE


# Titles by HTTP status: (中文, English). The English ones are what the API has always sent.
STATUS_TITLES: Final[Mapping[int, tuple[str, str]]] = {
    400: ("请求无法处理", "Bad Request"),
    401: ("需要登录", "Authentication is required"),
    403: ("不允许这样做", "Not allowed"),
    404: ("没有找到", "Not found"),
    405: ("不支持这种请求方法", "Method Not Allowed"),
    406: ("无法提供所要的格式", "Not Acceptable"),
    409: ("与现有状态冲突", "Conflict"),
    410: ("已不存在", "Gone"),
    411: ("缺少内容长度", "Length Required"),
    413: ("提交的内容过大", "Request Entity Too Large"),
    415: ("不支持这种内容格式", "Unsupported Media Type"),
    422: ("请求的内容不符合要求", "The request is not valid"),
    429: ("请求太频繁", "Too many requests"),
    500: ("服务内部出错", "Internal Server Error"),
    503: ("服务暂时不可用", "Temporarily unavailable"),
}
_ANY_TITLE = ("出错了", "Error")

# Each problem code in plain words: (中文, English). The English sentence is what a page shows; the
# API's English `detail` stays the specific one written where the error was raised.
PROBLEM_TEXT: Final[Mapping[str, tuple[str, str]]] = {
    # the error classes' own codes, for a raise site that gives no finer one
    "wallet.error": ("请求无法处理。", "The request cannot be served."),
    "request.invalid": ("请求的内容不符合要求。", "The request is not valid."),
    "auth.required": ("请先登录。", "Log in first."),
    "auth.forbidden": ("您的账号不能做这件事。", "Your account may not do this."),
    "not_found": ("没有找到要找的内容。", "Not found."),
    "conflict": ("与现有状态冲突，无法完成。", "This conflicts with the current state."),
    "grant.refused": ("这项授权无法使用。", "The grant cannot be redeemed."),
    "rate_limited": ("操作太频繁，请稍后再试。", "Too many attempts; try again shortly."),
    "service.unavailable": ("服务暂时不可用，请稍后再试。", "The service is unavailable; try again shortly."),
    # HTTP itself, the middleware and the parts the service stands on
    "request.malformed": ("提交的内容不是有效的 JSON。", "The body is not valid JSON."),
    "request.too_large": ("提交的内容过大。", "The request is too large."),
    "request.too_deep": ("提交的 JSON 嵌套层数过多。", "The JSON nests too deep."),
    "method_not_allowed": ("这个地址不支持这种请求方法。", "This address does not take this method."),
    "safe.integrity": (
        "一份存储的证明未通过完整性检查，已通知经办机构；请告知请求编号。",
        "A stored certificate failed its integrity check; the bureau is alerted; quote the request id.",
    ),
    "chain.unavailable": (
        "暂时连不上区块链，请稍后再试。",
        "The ledger cannot be reached; try again shortly.",
    ),
    "database.unavailable": (
        "暂时连不上数据库，请稍后再试。",
        "The database cannot be reached; try again shortly.",
    ),
    "internal": ("服务出了意外的错误；请告知请求编号。", "Something went wrong; quote the request id."),
    # accounts and sessions
    "auth.bad_credentials": ("账号或密码不对。", "Wrong login or password."),
    "auth.expired": ("登录已过期，请重新登录。", "The session expired; log in again."),
    "auth.invalid_key": ("单位密钥无效或已停用。", "The unit key is not valid or was disabled."),
    "auth.invalid_token": ("登录凭证无效，请重新登录。", "The session token is not valid; log in again."),
    "auth.session_ended": ("登录已结束，请重新登录。", "The session ended; log in again."),
    "auth.wrong_role": ("您的账号没有这项操作的权限。", "Your account's role may not do this."),
    "citizen.not_enrolled": (
        "这个身份证号还没有开户，请改为发放开户码。",
        "Nobody with this identity number has enrolled; issue an enrolment code instead.",
    ),
    "enrolment.code_invalid": (
        "开户码不对、已用过或已过期，请到服务窗口重新领取。",
        "The enrolment code is wrong, used or expired; ask at a service counter for a new one.",
    ),
    "identity.invalid": ("这不是有效的公民身份号码。", "That is not a valid identity number."),
    "password.too_short": ("密码太短。", "The password is too short."),
    "phone.invalid": (
        "手机号应为 11 位大陆手机号码。",
        "The phone must be a mainland mobile number of 11 digits.",
    ),
    "phone.taken": ("这个手机号已被另一个账号使用。", "The phone number belongs to another account."),
    "wallet.backup_too_large": (
        "钱包密钥备份过大（最多 8 KiB）。",
        "The key backup is too large (at most 8 KiB).",
    ),
    "wallet.no_backup": ("还没有存入钱包密钥备份。", "No key backup was deposited."),
    "wallet.proof_invalid": ("钱包密钥的签名不对。", "The wallet key's signature does not match."),
    "staff.exists": ("这个用户名已被使用。", "The username is taken."),
    "staff.role": ("工作人员角色只能是经办员或审计员。", "A staff role is operator or auditor."),
    "staff.username": (
        "用户名为 3 到 64 个小写字母、数字或 . _ -。",
        "A username is 3 to 64 lower-case letters, digits, '.', '_' or '-'.",
    ),
    "staff_action.not_found": ("没有这条操作记录。", "No such staff action."),
    # certificates and types
    "certificate.not_found": ("没有这份证明。", "No such certificate."),
    "certificate.erased": ("这份证明的内容已按申请销毁。", "The certificate's content was erased."),
    "certificate.not_anchored": (
        "证明正在上链，请稍候。",
        "The certificate is being anchored; wait a moment.",
    ),
    "certificate.type_unknown": (
        "这份证明的类型本服务不认识，暂时不能分享。",
        "The certificate's type is not known to this service.",
    ),
    "certificate.not_bound": (
        "证明正在绑定到您的钱包密钥，请稍候再分享。",
        "The certificate is being bound to your wallet key; share it in a few seconds.",
    ),
    "certificate.not_valid": (
        "这份证明已被暂停或撤销，不能分享。",
        "The certificate is suspended or revoked; it cannot be shared.",
    ),
    "type.not_found": ("没有这种证明类型。", "There is no such certificate type."),
    # grants and redemptions
    "grant.revoked": ("持证人已撤回这项授权。", "The holder revoked this grant."),
    "grant.expired": ("这项授权已过期。", "This grant has expired."),
    "grant.used_up": ("这项授权的使用次数已用完。", "This grant has no uses left."),
    "grant.wrong_unit": ("这项授权不是给本单位的。", "This grant is for another unit."),
    "grant.bad_key": ("链接不完整或已损坏。", "The link is incomplete or damaged."),
    "grant.not_found": ("没有找到这项授权。", "No such grant."),
    "grant.key_malformed": ("链接不完整或已损坏。", "The link is incomplete or damaged."),
    "grant.link_malformed": ("这不是证照授权链接。", "This is not a grant link."),
    "grant.other_certificate": ("这个链接属于另一份证明。", "That grant is for another certificate."),
    "grant.exists": ("这项授权已存在，请重新起草。", "A grant with this id exists already; draft a new one."),
    "grant.expires": ("授权的有效期超出了允许的范围。", "The grant's expiry is outside the allowed range."),
    "grant.fields": ("所选内容不在这份证明中。", "The certificate has no such field."),
    "grant.invalid": ("授权内容不完整或格式不对。", "The grant is incomplete or malformed."),
    "grant.bad_signature": ("授权不是用您的钱包密钥签署的。", "The grant is not signed by your wallet key."),
    # printing with a 验证码 (wallet_api._print_codes)
    "print.code_unknown": (
        "没有这个验证码，请核对打印件上的 16 位验证码。",
        "No such code: check the 16 characters on the paper.",
    ),
    "print.revoked": ("持证人已撤回这张打印件的验证码。", "The holder withdrew this printout's code."),
    "print.expired": ("这张打印件的验证码已过期。", "This printout's code has expired."),
    "print.used_up": ("这张打印件的验证码核验次数已用完。", "This printout's code has no lookups left."),
    "print.pdf_no_code": ("这份 PDF 没有可核验的验证码。", "This PDF carries no code to check."),
    "print.code_malformed": ("验证码格式不对。", "The code is malformed."),
    "print.expires": ("验证码的有效期超出了允许的范围。", "The code's expiry is outside the allowed range."),
    "print.exists": ("这个验证码已存在，请重新生成。", "This code exists already; draft a new one."),
    "print.not_found": ("没有找到这张打印件的验证码。", "No such printout code."),
    "print.font_missing": (
        "服务器缺少打印字体，暂时无法生成 PDF。",
        "The print font is not installed; no PDF can be made now.",
    ),
    # the scan stand's requests (wallet_api/_requests.py)
    "request.not_found": ("没有这个请求。", "No such request."),
    "request.expired": (
        "这个请求已过期，请让单位重新出示二维码。",
        "The request has expired; ask the unit for a new one.",
    ),
    "request.used": ("这个请求已经被回应过了。", "The request was answered already."),
    "request.type": ("没有这种证明类型。", "There is no such certificate type."),
    "request.fields": ("证明中没有所要的内容。", "No certificate has the fields asked for."),
    "request.purpose": ("请写明用途。", "Say why the fields are needed."),
    "request.grant_term": ("授权期限超出了允许的范围。", "The grant's term is outside the allowed range."),
    "request.lifetime": (
        "请求的有效时间应在 30 秒到 10 分钟之间。",
        "A request waits 30 seconds to 10 minutes.",
    ),
    "request.bad_collect_key": ("取件密钥与这个请求不符。", "The collection key does not fit this request."),
    "request.not_bound": ("这项授权不是为这个请求签署的。", "The grant was not drafted for this request."),
    "request.fields_not_covered": (
        "这项授权没有包含单位所要的全部内容。",
        "The grant does not cover every field asked for.",
    ),
    "request.grant_inactive": ("这项授权已撤回、过期或用完。", "The grant is revoked, expired or used up."),
    # a unit's own history
    "verification.not_found": ("本单位没有这条核验记录。", "This unit made no such verification."),
    # units
    "unit.name": ("单位名称为 2 到 100 个字。", "A unit's name has 2 to 100 characters."),
    "unit.credit_code": ("这不是有效的统一社会信用代码。", "That is not a valid unified social credit code."),
    "unit.exists": (
        "这个统一社会信用代码的单位已登记。",
        "A unit with this credit code is registered already.",
    ),
    "unit.not_found": ("没有这个单位。", "No such unit."),
    # the office: uploads, issuance, search, status changes
    "upload.too_large": ("文件超过了允许的最大大小。", "The file is larger than an upload may be."),
    "upload.no_space": (
        "服务器磁盘空间不足，请稍后重新上传。",
        "The server's disk is full; send the file again later.",
    ),
    "upload.not_found": ("没有这次上传，或已过期清理，请重新上传。", "No such upload; send the file again."),
    "upload.offset_mismatch": (
        "上传位置不一致，请从服务器已收到处继续。",
        "The piece does not go where the upload stands.",
    ),
    "upload.too_long": ("这一段超出了文件的大小。", "The piece goes past the file's size."),
    "upload.incomplete": ("文件尚未上传完整。", "The file has not been sent whole yet."),
    "issuance.bad_file": (
        "这不是可出具的记录文件，请使用 .csv、.xlsx 或 .jsonl。",
        "Not a records file; give .csv, .xlsx or .jsonl.",
    ),
    "issuance.unknown_type": ("没有这种证明类型。", "There is no such certificate type."),
    "issuance.running": (
        "这个文件正在出具中，请等待其完成。",
        "This file is being issued; wait for it to finish.",
    ),
    "issuance.not_started": ("这次上传还没有出具。", "This upload has not been issued yet."),
    "issuance.no_refusals": ("这次出具没有保留被拒绝的行。", "No refused rows are kept for this issuance."),
    "issuance.interrupted": (
        "出具在完成前中断（服务曾重启），请再次出具该文件。",
        "The issuance stopped before it ended (the service restarted); issue the file again.",
    ),
    "search.query": ("请输入要查找的内容。", "Say what to search for."),
    "search.identity": ("这不是有效的身份证号。", "That is not a valid identity number."),
    "status.bad_reason": ("这不是可用的原因代码。", "That is not a reason code."),
    "status.reason_mismatch": ("这个原因不适用于所选操作。", "The reason does not fit this action."),
    "status.not_applied": ("区块链拒绝了这次状态变更。", "The ledger refused the change."),
    "status.refused": ("这份证明当前的状态不允许这项操作。", "The certificate's status does not allow this."),
    # the audit views
    "audit.bad_query": (
        "查询条件不对，请检查日期和范围。",
        "The query is not valid; check the dates and range.",
    ),
    "audit.no_batch": ("链上索引中没有这个批次。", "The chain index has no such batch."),
    "audit.no_reconciliation": ("还没有进行过对账。", "No reconciliation has run yet."),
    "audit.reconcile_running": (
        "对账正在进行，请等它完成后查看结果。",
        "A reconciliation is running; wait for its result.",
    ),
    "log.no_entry": ("访问日志中没有这一条。", "The access log has no such entry."),
    "log.not_anchored": ("这一条访问日志还没有锚定上链。", "This access log entry is not anchored yet."),
    "log.bad_size": ("日志大小不对。", "The log size is not valid."),
}


def problem_title(status: int, language: Language) -> str:
    """The problem's title for `status` in `language`."""
    pair = STATUS_TITLES.get(status, _ANY_TITLE)
    return pair[0] if language == "zh" else pair[1]


def chinese_detail(code: str, status: int) -> str:
    """The Chinese detail of a problem with `code`: its sentence, or its status's title when the
    code has none (a test keeps every raised code in `PROBLEM_TEXT`)."""
    pair = PROBLEM_TEXT.get(code)
    return pair[0] if pair is not None else problem_title(status, "zh") + "。"


# Labels of the request fields (JSON names, query and path parameters, headers), for the
# validation messages: (中文, English). A test checks that every parameter of every route has one.
FIELD_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "login": ("登录名", "login"),
    "username": ("用户名", "username"),
    "password": ("密码", "password"),
    "identityNumber": ("公民身份号码", "identity number"),
    "code": ("验证码", "code"),
    "phone": ("手机号", "phone"),
    "walletAddress": ("钱包地址", "wallet address"),
    "walletProof": ("钱包签名", "wallet proof"),
    "keyBackup": ("钱包密钥备份", "key backup"),
    "name": ("名称", "name"),
    "creditCode": ("统一社会信用代码", "unified social credit code"),
    "certificateId": ("证明编号", "certificate id"),
    "unitId": ("单位编号", "unit id"),
    "fields": ("授权内容", "fields"),
    "purpose": ("用途", "purpose"),
    "expires": ("有效期", "expiry"),
    "uses": ("可用次数", "uses"),
    "grantId": ("授权编号", "grant id"),
    "signature": ("签名", "signature"),
    "key": ("密钥", "key"),
    "link": ("授权链接", "grant link"),
    "reference": ("授权引用号", "grant reference"),
    "view": ("是否返回版式", "view"),
    "certificate": ("证明", "certificate"),
    "presentation": ("出示内容", "presentation"),
    "action": ("操作", "action"),
    "reason": ("原因", "reason"),
    "note": ("备注", "note"),
    "filename": ("文件名", "file name"),
    "size": ("大小", "size"),
    "type": ("证明类型", "certificate type"),
    "file": ("文件", "file"),
    "role": ("角色", "role"),
    "after": ("起点", "after"),
    "before": ("截止点", "before"),
    "limit": ("数量", "limit"),
    "offset": ("偏移", "offset"),
    "q": ("查找内容", "query"),
    "by": ("查找方式", "search by"),
    "format": ("格式", "format"),
    "start": ("起始序号", "start"),
    "seq": ("序号", "sequence number"),
    "first": ("第一个大小", "first size"),
    "second": ("第二个大小", "second size"),
    "from": ("起始日期", "from"),
    "to": ("截止日期", "to"),
    "office": ("出具机构", "office"),
    "order": ("排序", "order"),
    "batch_id": ("批次", "batch"),
    "block": ("区块", "block"),
    "version": ("版本", "version"),
    "number": ("证明编号", "certificate number"),
    "kind": ("类别", "kind"),
    "Upload-Offset": ("上传位置", "Upload-Offset"),
    "document": ("证明文件", "document"),
    "grantSeconds": ("授权时长", "grant duration"),
    "lifetimeSeconds": ("请求有效时长", "request lifetime"),
    "lang": ("语言", "language"),
    "wait": ("等待时长", "wait"),
    "X-Collect-Key": ("取件密钥", "collection key"),
    "request_id": ("请求编号", "request id"),
    "verification_id": ("核验编号", "verification id"),
    "days": ("天数", "days"),
    "print_id": ("打印件编号", "print id"),
    "upload_id": ("上传编号", "upload id"),
    "certificate_id": ("证明编号", "certificate id"),
    "grant_id": ("授权编号", "grant id"),
    "unit_id": ("单位编号", "unit id"),
}

# A name that means something else on one route: (the route's path, the name) → its label there.
FIELD_LABELS_AT: Final[Mapping[tuple[str, str], tuple[str, str]]] = {
    ("/v1/citizens", "code"): ("开户码", "enrolment code"),  # or a reset code: the counter's
}

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def field_label(location: Sequence[str | int], language: Language, *, route: str = "") -> str:
    """The field a validation error is about, by its label: the last named part of `location`
    (`["body", "login"]` → 登录名), with an item's place in a list (`fields[2]` → 授权内容第 3 项);
    on `route`, by the label the name has there, if it has one of its own."""
    names = [str(part) for part in location if isinstance(part, str) and part not in _LOCATIONS]
    indexes = [part for part in location if isinstance(part, int)]
    if not names:
        return "请求体" if language == "zh" else "body"
    name = names[-1]
    pair = FIELD_LABELS_AT.get((route, name)) or FIELD_LABELS.get(name)
    label = (pair[0] if language == "zh" else pair[1]) if pair else name
    if indexes and location and isinstance(location[-1], int):
        label += f"第 {indexes[-1] + 1} 项" if language == "zh" else f" item {indexes[-1] + 1}"
    return label


# Pydantic's error types in Chinese; {label} is the field, the others come from the error's context.
_VALIDATION_ZH: Final[Mapping[str, str]] = {
    "missing": "缺少{label}",
    "extra_forbidden": "不认识的字段 {raw}",
    "string_too_short": "{label}至少 {min_length} 个字符",
    "string_too_long": "{label}最多 {max_length} 个字符",
    "string_pattern_mismatch": "{label}的格式不对",
    "string_type": "{label}应为文字",
    "string_unicode": "{label}应为有效的文字",
    "int_type": "{label}应为整数",
    "int_parsing": "{label}应为整数",
    "int_from_float": "{label}应为整数",
    "float_type": "{label}应为数字",
    "float_parsing": "{label}应为数字",
    "bool_type": "{label}应为是或否",
    "bool_parsing": "{label}应为是或否",
    "greater_than": "{label}应大于 {gt}",
    "greater_than_equal": "{label}至少为 {ge}",
    "less_than": "{label}应小于 {lt}",
    "less_than_equal": "{label}最多为 {le}",
    "too_short": "{label}至少 {min_length} 项",
    "too_long": "{label}最多 {max_length} 项",
    "list_type": "{label}应为列表",
    "dict_type": "{label}应为对象",
    "model_type": "{label}应为 JSON 对象",
    "model_attributes_type": "{label}应为 JSON 对象",
    "literal_error": "{label}只能是 {expected}",
    "enum": "{label}只能是 {expected}",
    "date_parsing": "{label}应为日期（年-月-日）",
    "date_from_datetime_parsing": "{label}应为日期（年-月-日）",
    "date_type": "{label}应为日期（年-月-日）",
    "datetime_parsing": "{label}应为日期和时间",
    "datetime_type": "{label}应为日期和时间",
    "json_invalid": "提交的内容不是有效的 JSON",
    "json_type": "{label}应为 JSON 文本",
    "value_error": "{label}不符合要求",
    "assertion_error": "{label}不符合要求",
}
_VALIDATION_ANY_ZH = "{label}不符合要求"


def validation_message(item: Mapping[str, Any], language: Language, *, route: str = "") -> str:
    """One validation error in `language`: Chinese by its type, naming the field by its label (on
    `route`, the request's path); English as pydantic words it, after the field's label. The
    offending value is never repeated (it may be a password or an identity number)."""
    location = [part for part in item.get("loc", ()) if isinstance(part, (str, int))]
    label = field_label(location, language, route=route)
    if language == "en":
        return f"{label}: {item.get('msg', 'invalid')}"
    template = _VALIDATION_ZH.get(str(item.get("type", "")), _VALIDATION_ANY_ZH)
    context = item.get("ctx") or {}
    values = {key: _plain(value) for key, value in context.items() if isinstance(key, str) and key != "error"}
    raw = str(location[-1]) if location else ""
    try:
        return template.format(label=label, raw=raw[:64], **values)
    except (KeyError, IndexError, ValueError):
        return _VALIDATION_ANY_ZH.format(label=label)


def _plain(value: object) -> str:
    """A context value as a reader sees it: `'a' or 'b'` → a、b; at most 200 characters."""
    text = str(value)
    if "' or '" in text or "', '" in text:
        text = "、".join(part.strip(" '") for part in re.split(r"', '|' or '", text))
    return text[:200]


__all__ = [
    "DEFAULT_LANGUAGE",
    "FIELD_LABELS",
    "FIELD_LABELS_AT",
    "PROBLEM_TEXT",
    "STATUS_TITLES",
    "Language",
    "chinese_detail",
    "field_label",
    "negotiated_language",
    "problem_title",
    "validation_message",
]
