"""HTTP plumbing: request ids, body limits, structured access logs, and problem+json errors.

The middleware is plain ASGI (no per-request task or body copy). Log lines are JSON with the
route's template, never the raw path or any body, so no personal data reaches the logs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer import SafeError, SafeIntegrityError
from ledger import ChainError, JSONTooDeepError, check_json_depth
from verifier import ChainReadError
from wallet_api._errors import AuthenticationError, RateLimitedError, WalletError
from wallet_api._problem_text import (
    Language,
    chinese_detail,
    negotiated_language,
    problem_title,
    validation_message,
)
from wallet_api._problems import ISSUER_PROBLEMS, FixedProblem, problem_kind

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PROBLEM_TYPE = "application/problem+json"
request_id: ContextVar[str] = ContextVar("request_id", default="-")
log = logging.getLogger("certledger.api")
security = logging.getLogger("certledger.security")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FIXED_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect"})
_STATUS_CODES = {
    400: "request.malformed",
    404: "not_found",
    405: "method_not_allowed",
    413: "request.too_large",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per log line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": request_id.get(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class RequestContext:
    """Request ids, the body limit, and one structured log line per request."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, max_piece: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_piece = max_piece

    def limit(self, method: str, path: str) -> int:
        """The most bytes a request's body may have: a records file sent whole, or a piece of a
        resumable one, may be larger than any other body (both are written to disk as they come)."""
        if method == "POST" and path == "/v1/office/issuance":
            return self.max_upload
        if method == "PATCH" and path.startswith("/v1/office/uploads/"):
            return self.max_piece
        return self.max_body

    async def _admitted(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        receive: Receive,
        send: Send,
        *,
        limit: int,
        overflow: list[int],
    ) -> Receive | int:
        """`receive` as the route may read it, or the status the body was refused with."""
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_problem(send, scope, 413, "request.too_large", f"the body exceeds {limit} bytes")
            return 413
        json_body = declared != b"0" and _parsed_as_json(headers)
        if declared is None and not json_body and limit > self.max_body:
            # A file sent in chunks of unknown total is counted as it streams to disk, never
            # held: past the limit, the route's next read fails and the request is refused
            # with 413, however the route's parser reports the failed read.
            return _counted(receive, limit, overflow)
        if declared is None or json_body:
            # Read the body here, within the limit, and replay it: a chunked body has no
            # declared length, and a JSON body's nesting is checked before any parser sees it.
            body, complete = await _read_bounded(receive, limit)
            if not complete:
                await _send_problem(send, scope, 413, "request.too_large", f"the body exceeds {limit} bytes")
                return 413
            if json_body:
                try:
                    check_json_depth(body)
                except JSONTooDeepError as error:
                    await _send_problem(send, scope, 422, "request.too_deep", str(error))
                    return 422
            return _replay(body, receive)
        return receive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else os.urandom(8).hex()
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        limit = self.limit(scope["method"], scope["path"])
        overflow: list[int] = []
        try:
            admitted = await self._admitted(scope, headers, receive, send, limit=limit, overflow=overflow)
            if isinstance(admitted, int):
                status = admitted
                return
            receive = admitted
            responded = False

            async def send_with_id(message: Message) -> None:
                nonlocal status, responded
                if overflow:
                    if not responded:
                        status, responded = 413, True
                        await _send_problem(
                            send, scope, 413, "request.too_large", f"the body exceeds {limit} bytes"
                        )
                    return
                if message["type"] == "http.response.start":
                    status, responded = message["status"], True
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                # Answered here, while the request id is known (Starlette's last-resort handler
                # would run outside this context).
                if overflow:
                    if not responded:
                        status = 413
                        await _send_problem(
                            send, scope, 413, "request.too_large", f"the body exceeds {limit} bytes"
                        )
                    return
                if responded:
                    raise
                log.error("unhandled error", exc_info=True)
                status = 500
                await _send_problem(
                    send, scope, 500, "internal", "something went wrong; quote the request id"
                )
        finally:
            template = getattr(scope.get("route"), "path", None)
            if template is None:  # not one of the API's routes: only fixed paths are named
                template = scope["path"] if scope["path"] in _FIXED_PATHS else "unmatched"
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "requestId": rid,
                        "route": template,
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                },
            )
            request_id.reset(token)


def _parsed_as_json(headers: dict[bytes, bytes]) -> bool:
    """Whether FastAPI will parse the body as JSON: no content type, or `application/json` or
    `application/…+json` (the rule of `fastapi.routing`)."""
    media_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return (
        not media_type
        or media_type == b"application/json"
        or (media_type.startswith(b"application/") and media_type.endswith(b"+json"))
    )


async def _read_bounded(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body, and whether it ended within `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts), True


class BodyTooLargeError(Exception):
    """A body sent without a declared length went past its limit while the route read it."""


def _counted(receive: Receive, limit: int, overflow: list[int]) -> Receive:
    """`receive`, failing once more than `limit` bytes came (and saying so in `overflow`)."""
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                overflow.append(size)
                raise BodyTooLargeError(f"the body exceeds {limit} bytes")
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_problem(send: Send, scope: Scope, status: int, code: str, detail: str) -> None:
    accepted = next((value for name, value in scope.get("headers", ()) if name == b"accept-language"), None)
    language = negotiated_language(accepted.decode("latin-1") if accepted is not None else None)
    if language == "zh":
        detail = chinese_detail(code, status)
    body = json.dumps(
        _problem_body(
            status,
            code,
            problem_title(status, "zh") if language == "zh" else _title(status),
            detail,
            scope.get("path", ""),
        ),
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_TYPE.encode()),
                (b"content-language", language.encode()),
                (b"vary", b"Accept-Language"),
                (b"x-request-id", request_id.get().encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _title(status: int) -> str:
    from http import HTTPStatus  # noqa: PLC0415

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def language_of(request: Request) -> Language:
    """The language the caller reads: `zh` or `en`, from its `Accept-Language`."""
    return negotiated_language(request.headers.get("accept-language"))


def _problem_body(status: int, code: str, title: str, detail: str, instance: str) -> dict[str, Any]:
    return {
        "type": f"https://certledger.invalid/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "requestId": request_id.get(),
    }


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    title_zh: str | None = None,
    detail_zh: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 problem+json response in the caller's language: the English `title` and
    `detail`, or for a caller that prefers Chinese, `title_zh` (the status's title by default) and
    `detail_zh` (the code's sentence by default). The `code` is the same in both."""
    language = language_of(request)
    if language == "zh":
        title = title_zh or problem_title(status, "zh")
        detail = detail_zh or chinese_detail(code, status)
    body = _problem_body(status, code, title, detail, request.url.path) | extra
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers={"Content-Language": language, "Vary": "Accept-Language"},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as problem+json with a stable code."""

    @app.exception_handler(WalletError)
    async def _wallet(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, WalletError)  # noqa: S101
        kind = problem_kind(error)
        response = problem(
            request,
            kind.status,
            error.error_code,
            kind.title,
            error.detail,
            title_zh=kind.title_zh,
            detail_zh=error.detail_zh,
        )
        if isinstance(error, AuthenticationError):
            response.headers["WWW-Authenticate"] = error.scheme
        if isinstance(error, RateLimitedError):
            response.headers["Retry-After"] = str(max(1, round(error.retry_after)))
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)  # noqa: S101
        # The offending values are not echoed: they may be passwords or identity numbers.
        language = language_of(request)
        route = request.url.path
        items = error.errors()
        errors = [
            {
                "location": [str(part) for part in item.get("loc", ())],
                "message": item.get("msg", "")
                if language == "en"
                else validation_message(item, "zh", route=route),
            }
            for item in items
        ]
        first = errors[0] if errors else {"location": [], "message": "invalid"}
        detail = f"{'.'.join(first['location'])}: {first['message']}"
        # In Chinese, every broken field in one sentence, each by its label ("登录名至少 11 个字符").
        said_zh = "；".join(dict.fromkeys(validation_message(item, "zh", route=route) for item in items[:5]))
        if any(item.get("type") == "json_invalid" for item in items):
            return problem(
                request,
                400,
                "request.malformed",
                "Bad Request",
                "the body is not JSON: " + detail,
                detail_zh="提交的内容不是有效的 JSON。",
            )
        return problem(
            request,
            422,
            "request.invalid",
            "The request is not valid",
            detail,
            title_zh="请求的内容不符合要求",
            detail_zh=(said_zh + "。") if said_zh else None,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)  # noqa: S101
        code = _STATUS_CODES.get(error.status_code, f"http.{error.status_code}")
        return problem(
            request,
            error.status_code,
            code,
            _title(error.status_code),
            str(error.detail),
            title_zh=problem_title(error.status_code, "zh"),
        )

    for error_class, fixed in ISSUER_PROBLEMS.items():
        app.add_exception_handler(error_class, _fixed_answer(fixed))

    @app.exception_handler(SafeError)
    async def _integrity(request: Request, error: Exception) -> JSONResponse:
        # A security event: stored ciphertext was altered or moved, or a key is missing. The
        # record is named so that it can be found; its content never is.
        record = error.record if isinstance(error, SafeIntegrityError) else "the master keyring"
        security.error(
            "safe integrity failure",
            extra={"fields": {"event": "safe.integrity", "record": record, "error": str(error)}},
        )
        return problem(
            request,
            500,
            "safe.integrity",
            "Internal Server Error",
            "a stored certificate failed its integrity check; the bureau is alerted; quote the request id",
        )

    @app.exception_handler(ChainError)
    @app.exception_handler(ChainReadError)
    async def _chain(request: Request, error: Exception) -> JSONResponse:
        log.warning("chain unavailable", extra={"fields": {"error": type(error).__name__}})
        return problem(
            request,
            503,
            "chain.unavailable",
            "Temporarily unavailable",
            "the ledger cannot be reached; try again",
        )

    @app.exception_handler(sa.exc.OperationalError)
    @app.exception_handler(sa.exc.InterfaceError)
    @app.exception_handler(sa.exc.DisconnectionError)  # a pool invalidated after a server restart
    async def _database(request: Request, error: Exception) -> JSONResponse:
        log.warning("database unavailable", extra={"fields": {"error": type(error).__name__}})
        return problem(
            request,
            503,
            "database.unavailable",
            "Temporarily unavailable",
            "the database cannot be reached; try again",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=error)
        return problem(
            request, 500, "internal", "Internal Server Error", "something went wrong; quote the request id"
        )


def _fixed_answer(fixed: FixedProblem) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def answer(request: Request, error: Exception) -> JSONResponse:
        return problem(request, fixed.status, fixed.code, fixed.title, fixed.detail, title_zh=fixed.title_zh)

    return answer


_PROBLEM_DESCRIPTIONS = {
    400: "the body is not JSON text in UTF-8",
    401: "no credentials, or wrong, expired or revoked ones",
    403: "not allowed for this caller, or a grant refused",
    404: "no such object (or not the caller's)",
    409: "exists already, or in a state that does not allow this",
    410: "gone: a grant revoked, expired or used up; erased content",
    413: "the body is too large",
    422: "the request is not valid (`request.invalid`, and `errors` lists where), or its JSON "
    "nests too deep (`request.too_deep`)",
    429: "too many requests; Retry-After says when to try again",
    500: "an unexpected error, or a stored certificate failing its integrity check "
    "(`safe.integrity`); quote the request id",
    503: "the ledger cannot be reached now",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of problem+json responses with these status codes."""
    from wallet_api.schemas import Problem  # noqa: PLC0415 — schemas import nothing from here

    return {status: {"model": Problem, "description": _PROBLEM_DESCRIPTIONS[status]} for status in statuses}


def problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with error bodies under ``application/problem+json``, as they are sent
    (an error answered with a body of its own, such as the readiness check's 503, stays JSON)."""
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                json_body = content.get("application/json")
                if (
                    status.isdigit()
                    and int(status) >= 400
                    and json_body
                    and json_body.get("schema") == problem
                ):
                    content[PROBLEM_TYPE] = content.pop("application/json")
    return schema
