"""The web pages: the citizen's phone wallet, the unit's verifier, the issuer's console and the
auditor's view, served by the same application as the API they call.

Pages are server-rendered shells (Jinja2) with plain ES modules; there is no build step. The two
browser libraries come pinned from the npm lockfile (`make setup` installs them) and are served
from ``node_modules``: ethers signs grants with the key held on the device, jsQR decodes QR codes
where the browser has no ``BarcodeDetector``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Cookie, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ledger import NODE_MODULES
from wallet_api._errors import AuthenticationError, RateLimitedError, WalletError
from wallet_api._problems import problem_kind
from wallet_api.deps import AuthorizedUnit, ServicesDep
from wallet_api.pages._i18n import LANGUAGES, MESSAGES, messages_for
from wallet_api.routers.redemptions import redeem_link
from wallet_api.schemas import RedeemRequest

HERE = Path(__file__).parent
VENDOR = {
    # served name → file in node_modules, pinned by package-lock.json
    "ethers.js": Path("ethers/dist/ethers.min.js"),
    "jsqr.js": Path("jsqr/dist/jsQR.js"),
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)

Lang = Annotated[str | None, Query(pattern="^(zh|en)$", description="page language")]
LangCookie = Annotated[str | None, Cookie(alias="lang")]


def _page(request: Request, name: str, lang: str | None, saved: str | None, **extra: Any) -> HTMLResponse:
    chosen = lang or (saved if saved in LANGUAGES else None) or "zh"
    text = messages_for(chosen)
    response = templates.TemplateResponse(
        request,
        f"{name}.html",
        {
            "lang": chosen,
            "other": "en" if chosen == "zh" else "zh",
            "t": text,
            "page": name,
            "messages_json": orjson.dumps(text).decode().replace("</", "<\\/"),
            **extra,
        },
        headers=_SECURITY_HEADERS,
    )
    if lang is not None:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, lang: Lang = None, saved: LangCookie = None) -> HTMLResponse:
    """Where each kind of user goes."""
    return _page(request, "index", lang, saved)


@router.get("/wallet", response_class=HTMLResponse)
def wallet(request: Request, lang: Lang = None, saved: LangCookie = None) -> HTMLResponse:
    """The citizen's phone wallet."""
    return _page(request, "wallet", lang, saved)


@router.get("/verify", response_class=HTMLResponse)
def verify(request: Request, lang: Lang = None, saved: LangCookie = None) -> HTMLResponse:
    """The unit's verifier: scan, upload or paste a grant's link."""
    return _page(request, "verify", lang, saved)


@router.get("/r/{reference}", response_class=HTMLResponse)
def grant_link(request: Request, reference: str, lang: Lang = None, saved: LangCookie = None) -> HTMLResponse:
    """A grant's link opens the verifier; the key after '#' never reaches the server."""
    del reference
    return _page(request, "verify", lang, saved)


@router.get("/console", response_class=HTMLResponse)
def console(request: Request, lang: Lang = None, saved: LangCookie = None) -> HTMLResponse:
    """The issuing office's console."""
    return _page(request, "console", lang, saved)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, lang: Lang = None, saved: LangCookie = None) -> HTMLResponse:
    """The auditor's view."""
    return _page(request, "audit", lang, saved)


@router.post("/verify/redeem")
async def redeem_for_page(body: RedeemRequest, unit: AuthorizedUnit, services: ServicesDep) -> dict[str, Any]:
    """The verifier page's redemption: the same as ``POST /v1/redemptions``, except that a refused
    grant is an answer (200, ``outcome: refused`` with the problem) rather than an HTTP error —
    for the page a refusal is a result to show, and browsers log every 4xx as a console error.
    A wrong API key or too many scans stay HTTP errors."""
    try:
        redemption = await redeem_link(body, unit, services, with_view=True)
    except (AuthenticationError, RateLimitedError):
        raise
    except WalletError as error:
        return {
            "outcome": "refused",
            "problem": {
                "status": problem_kind(error).status,
                "code": error.error_code,
                "detail": error.detail,
            },
        }
    return {
        "outcome": "redeemed",
        "redemption": redemption.model_dump(mode="json", by_alias=True),
    }


@router.get("/vendor/{name}")
def vendor(name: str) -> Response:
    """A pinned browser library from node_modules."""
    relative = VENDOR.get(name)
    if relative is None:
        return Response(status_code=404)
    path = NODE_MODULES / relative
    if not path.is_file():
        return Response(
            f"// {relative} is missing: run `make setup` (npm ci) to install the pinned browser libraries\n",
            status_code=503,
            media_type="text/javascript",
        )
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    """The mark, as SVG."""
    return RedirectResponse("/static/mark.svg", status_code=308)


def install_pages(app: FastAPI) -> None:
    """Mounts the pages and their static files on `app`."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


__all__ = ["LANGUAGES", "MESSAGES", "install_pages"]
