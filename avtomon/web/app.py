"""The ASGI application of `avtomon serve`: routes, the token check, security headers and error pages.

Every page is a plain (sync) function run in Starlette's thread pool over a read-only engine
(db.open_readonly): the view can never change the store, whatever a URL says.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from avtomon.db import HINTS, problem_of
from avtomon.labels import EVENT_TYPES_RU, KINDS_RU, category_names, company_kind, region_names
from avtomon.pipeline.filters import FilterError, local
from avtomon.web import pages
from avtomon.web.params import BadRequest, filters_from, with_dates, with_page, with_value, without

log = logging.getLogger(__name__)
COOKIE = "avtomon_session"
STATIC = Path(__file__).parent / "static"
# no script at all; styles and images only from this server (charts are inline SVG)
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # a link to the original must not tell the outlet what was searched
    "x-frame-options": "DENY",
}
EXPORT_TABLES = ("articles", "mentions", "companies", "regions", "categories", "events")


def _templates(tz: str) -> Environment:
    env = Environment(loader=PackageLoader("avtomon.web", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        when=lambda value: local(value, tz).strftime("%d.%m.%Y %H:%M") if value else "—",  # type: ignore[union-attr]
        day=lambda value: value.strftime("%d.%m.%Y") if value else "—",
        event_ru=lambda key: EVENT_TYPES_RU.get(key, key),
        category_ru=lambda key: category_names().get(key, key),
        region_ru=lambda key: region_names().get(key, key) if key else "",
        kind_ru=lambda key: KINDS_RU.get(key, key),
        company_kind=company_kind,
        entity_url=lambda key, kind: pages.entity_url(kind, key),
        number=lambda n: f"{n:,}".replace(",", "\u202f"),
    )
    env.globals.update(with_value=with_value, without=without, with_page=with_page, with_dates=with_dates, tz=tz,
                       urlencode=urlencode)
    return env


def _session_value(token: str) -> str:
    """What the cookie holds: a keyed hash of the token, never the token itself."""
    return hmac.new(token.encode(), b"avtomon serve session", hashlib.sha256).hexdigest()


class Guard(BaseHTTPMiddleware):
    """The token check (when a token is set), security headers and the server time of every response."""

    def __init__(self, app: Any, token: str | None) -> None:
        super().__init__(app)
        self.token = token

    def allowed(self, request: Request) -> bool:
        if not self.token or request.url.path.startswith(("/static/", "/login")):
            return True
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if given and hmac.compare_digest(given.encode(), self.token.encode()):
            return True
        cookie = request.cookies.get(COOKIE, "")
        return hmac.compare_digest(cookie.encode(), _session_value(self.token).encode())

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        if self.allowed(request):
            response = await call_next(request)
        else:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        response.headers.update(SECURITY_HEADERS)
        response.headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


def create_app(engine: Engine, tz: str = "Europe/Moscow", token: str | None = None) -> Starlette:
    """The web view over an engine opened with db.open_readonly.

    Args:
        engine: a read-only engine of the store.
        tz: time zone of the dates shown and of since/until days.
        token: when set, every page but the login asks for it (a cookie after the login page, or an
            `Authorization: Bearer` header for scripts).
    """
    env = _templates(tz)

    def render(request: Request, template: str, code: int = 200, /, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(request=request, params=request.query_params, **context)
        return HTMLResponse(html, status_code=code)

    def dashboard(request: Request) -> Response:
        return render(request, "dashboard.html", **pages.dashboard(engine, request.query_params, tz))

    def search(request: Request) -> Response:
        return render(request, "search.html", **pages.search(engine, request.query_params, tz))

    def entity(request: Request) -> Response:
        kind, key = request.path_params["kind"], request.path_params["key"]
        return render(request, "entity.html", **pages.entity(engine, kind, key, request.query_params, tz))

    def article(request: Request) -> Response:
        return render(request, "article.html", **pages.article(engine, request.path_params["id"]))

    def export(request: Request) -> Response:
        return _export(engine, request, tz)

    def watch_feed(request: Request) -> Response:
        return Response(pages.watch_feed(engine, request.path_params["name"], str(request.url)),
                        media_type="application/atom+xml; charset=utf-8")

    async def login(request: Request) -> Response:
        target = request.query_params.get("next", "/")
        target = target if target.startswith("/") and not target.startswith("//") else "/"
        if request.method == "POST":
            form = parse_qs((await request.body()).decode("utf-8", "replace"))
            given = (form.get("token") or [""])[0]
            if token and hmac.compare_digest(given.encode(), token.encode()):
                response = RedirectResponse(target, status_code=303)
                response.set_cookie(COOKIE, _session_value(token), httponly=True, samesite="strict")
                return response
            return render(request, "login.html", 401, target=target, wrong=True)
        return render(request, "login.html", 401 if token else 200, target=target, wrong=False)

    def error(request: Request, status: int, message: str) -> Response:
        return render(request, "error.html", status, status=status, message=message)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = "такой страницы нет" if exc.status_code == 404 else str(exc.detail)
        return error(request, exc.status_code, message)

    async def on_bad(request: Request, exc: Exception) -> Response:
        return error(request, 400, str(exc).removeprefix("--"))  # the CLI's message names its option

    async def on_missing(request: Request, exc: Exception) -> Response:
        return error(request, 404, str(exc))

    async def on_store(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DBAPIError)
        kind, reason = problem_of(exc)
        log.error("the store cannot be read: %s", reason)
        return error(request, 503, f"база недоступна: {reason} ({HINTS[kind]})")

    async def on_bug(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path, exc_info=exc)
        return error(request, 500, "внутренняя ошибка: подробности в журнале сервера")

    routes = [  # the static files before the entity pages' /{kind}/{key}
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/", dashboard), Route("/search", search), Route("/export", export),
        Route("/article/{id:int}", article), Route("/watch/{name:str}", watch_feed),
        Route("/{kind:str}/{key:str}", entity_route(entity)),
        Route("/login", login, methods=["GET", "POST"]),
    ]
    handlers = {HTTPException: on_http, BadRequest: on_bad, FilterError: on_bad, pages.NotFound: on_missing,
                DBAPIError: on_store, Exception: on_bug}
    return Starlette(routes=routes, exception_handlers=handlers,  # type: ignore[arg-type]
                     middleware=[Middleware(Guard, token=token)])


def entity_route(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Only /company/…, /region/… and /category/… are entity pages; any other path is a 404."""

    def route(request: Request) -> Response:
        if request.path_params["kind"] not in pages.RELATED:
            raise HTTPException(404)
        return handler(request)

    return route


def _export(engine: Engine, request: Request, tz: str) -> Response:
    """The current page's filters written by the CLI's export code to a temporary file, then sent."""
    from avtomon.pipeline.export import export

    params = request.query_params
    fmt = params.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise BadRequest(f"format={fmt!r}: use xlsx or csv")
    table = params.get("table") or None
    if table is not None and table not in EXPORT_TABLES:
        raise BadRequest(f"table={table!r}: one of {', '.join(EXPORT_TABLES)}")
    f = filters_from(params, tz)
    folder = Path(tempfile.mkdtemp(prefix="avtomon-export-"))
    name = f"avtomon-{datetime.now(UTC):%Y%m%d-%H%M}{'-' + table if table else ''}.{fmt}"
    try:
        export(engine, f, folder / name, table=table, russian=params.get("russian") == "1")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
             else "text/csv; charset=utf-8")
    return FileResponse(folder / name, media_type=media, filename=name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
