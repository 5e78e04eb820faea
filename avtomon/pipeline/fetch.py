"""Fetch feeds over HTTP (httpx) or from local files, politely and within limits.

httpx objects stop here: callers get `FetchResult` records. feedparser never fetches by itself
(it has no timeout); it only sees the bytes and headers we hand it.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from avtomon import settings as defaults

log = logging.getLogger(__name__)

PERMANENT_REDIRECTS = (301, 308)


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch, with the validators from the last successful poll."""

    feed: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    """The outcome of one fetch; `status` is ok, not_modified or error."""

    feed: str
    url: str
    status: str
    http_status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None  # set when a permanent redirect moved the feed
    etag: str | None = None
    last_modified: str | None = None
    truncated: bool = False
    error: str | None = None
    retry_after: float | None = None  # seconds, from Retry-After on 429/503
    duration_ms: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))


@dataclass(frozen=True)
class FetchLimits:
    """Timeouts, body cap and identity; defaults come from avtomon.settings."""

    timeout: float = defaults.TIMEOUT
    connect_timeout: float = defaults.CONNECT_TIMEOUT
    max_body_bytes: int = defaults.MAX_BODY_BYTES
    max_redirects: int = defaults.MAX_REDIRECTS
    user_agent: str = defaults.USER_AGENT
    concurrency: int = defaults.CONCURRENCY


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (now if now is not None else time.time())
    return max(0.0, min(seconds, defaults.RETRY_AFTER_MAX))


def make_client(limits: FetchLimits) -> httpx.AsyncClient:
    """One pooled client for a whole poll; redirects are followed up to the limit.

    httpx's API on aiohttp's connections (httpx-aiohttp, by httpx's maintainer): httpcore's pool spends
    ~1 ms of CPU per request on bookkeeping that grows with the pool (encode/httpcore#1035); aiohttp's
    C parser and pool, under httpx's API, do a conditional GET in a quarter of that.
    """
    from httpx_aiohttp import HttpxAiohttpClient

    return HttpxAiohttpClient(
        timeout=httpx.Timeout(limits.timeout, connect=limits.connect_timeout),
        limits=httpx.Limits(max_connections=limits.concurrency, max_keepalive_connections=limits.concurrency),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={"User-Agent": limits.user_agent, "Accept": "application/rss+xml, application/atom+xml, "
                 "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"},
    )


def _conditional_headers(req: FetchRequest) -> dict[str, str]:
    headers = {}
    if req.etag:
        headers["If-None-Match"] = req.etag
    if req.last_modified:
        headers["If-Modified-Since"] = req.last_modified
    return headers


def _moved_to(response: httpx.Response) -> str | None:
    """The new URL if every redirect in the chain was permanent."""
    if response.history and all(r.status_code in PERMANENT_REDIRECTS for r in response.history):
        return str(response.url)
    return None


async def read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """Read the decoded body up to `cap` bytes; counting decoded bytes also stops gzip bombs."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        if size + len(chunk) > cap:
            chunks.append(chunk[: cap - size])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


async def _fetch_http(client: httpx.AsyncClient, req: FetchRequest, limits: FetchLimits) -> FetchResult:
    result = FetchResult(feed=req.feed, url=req.url, status="error")
    async with client.stream("GET", req.url, headers=_conditional_headers(req)) as response:
        result.http_status = response.status_code
        result.headers = {k.lower(): v for k, v in response.headers.items()}
        if response.status_code == 304:
            await response.aread()  # empty; reading it lets the connection go back to the pool
            result.status = "not_modified"
            result.etag, result.last_modified = req.etag, req.last_modified
            return result
        if response.status_code >= 400:
            if response.status_code in (429, 503):
                result.retry_after = parse_retry_after(response.headers.get("retry-after"))
            result.error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            return result
        result.body, result.truncated = await read_capped(response, limits.max_body_bytes)
        result.status = "ok"
        result.final_url = _moved_to(response)
        result.etag = response.headers.get("etag")
        result.last_modified = response.headers.get("last-modified")
        if result.truncated:
            result.error = f"body larger than {limits.max_body_bytes} bytes, cut off"
    return result


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    return Path(url2pathname(unquote(parts.path))) if parts.scheme == "file" else Path(url)


def fetch_file(req: FetchRequest, limits: FetchLimits) -> FetchResult:
    """Read a file:// URL or a local path, with the same body cap as HTTP."""
    result = FetchResult(feed=req.feed, url=req.url, status="error")
    path = _file_path(req.url)
    try:
        with path.open("rb") as fh:
            body = fh.read(limits.max_body_bytes + 1)
    except OSError as exc:
        result.error = f"cannot read {path}: {exc.strerror or exc}"
        return result
    result.body, result.truncated = body[: limits.max_body_bytes], len(body) > limits.max_body_bytes
    if result.truncated:
        result.error = f"body larger than {limits.max_body_bytes} bytes, cut off"
    result.status = "ok"
    return result


def _describe(exc: Exception, limits: FetchLimits, elapsed: float) -> str:
    """A short, actionable message for a transport error; `elapsed` is the real time the attempt took."""
    import aiohttp

    cause = exc.__cause__
    # httpx-aiohttp maps every aiohttp connection error to ConnectTimeout; say what really happened
    if isinstance(cause, aiohttp.ClientConnectorError):
        return f"cannot connect: {cause}"
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without an answer"
    if isinstance(cause, aiohttp.ClientError) and not isinstance(cause, asyncio.TimeoutError):
        # e.g. a reset on a kept-alive connection: a connection error, not a timeout
        return f"connection failed: {type(cause).__name__}: {cause}"[:300]
    if isinstance(exc, aiohttp.ClientResponseError):  # aiohttp's parser refused the answer
        return f"not a valid HTTP answer: {(exc.message or '').strip().splitlines()[0] if exc.message else exc.status}"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        kind = {httpx.ConnectTimeout: "connecting", httpx.ReadTimeout: "waiting for data"}.get(type(exc), "")
        limit = limits.connect_timeout if kind == "connecting" else limits.timeout
        return f"timed out after {elapsed:.1f} s{' ' + kind if kind else ''} (limit {limit:g} s)"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"more than {limits.max_redirects} redirects"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL: {exc}"
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


async def fetch_one(client: httpx.AsyncClient, req: FetchRequest, limits: FetchLimits) -> FetchResult:
    """Fetch one feed; never raises, errors come back in the result."""
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        if urlsplit(req.url).scheme in ("http", "https"):
            # An overall deadline too: the read timeout alone lets a slow-drip server hold us forever.
            async with asyncio.timeout(limits.timeout * 3 + limits.connect_timeout):
                result = await _fetch_http(client, req, limits)
        else:
            result = await asyncio.to_thread(fetch_file, req, limits)
    except Exception as exc:  # one broken feed must never stop the others
        log.debug("fetch %s failed", req.url, exc_info=True)
        result = FetchResult(feed=req.feed, url=req.url, status="error",
                             error=_describe(exc, limits, time.perf_counter() - started))
    result.duration_ms = int((time.perf_counter() - started) * 1000)
    result.started_at = started_at
    return result


async def fetch_many(requests: Iterable[FetchRequest], limits: FetchLimits,
                     client: httpx.AsyncClient | None = None) -> AsyncIterator[FetchResult]:
    """Fetch concurrently (at most `limits.concurrency` at once), yielding results as they finish.

    Finished results wait in a queue of `concurrency` places: when the consumer (parsing, storing)
    falls behind, fetching pauses instead of piling response bodies up in memory.
    """
    own = client is None
    client = client or make_client(limits)
    todo = list(requests)
    queue = iter(todo)  # shared by the fetchers; next() never awaits, so no two take the same request
    finished: asyncio.Queue[FetchResult] = asyncio.Queue(maxsize=limits.concurrency)

    async def fetcher() -> None:
        for req in queue:
            await finished.put(await fetch_one(client, req, limits))  # fetch_one never raises

    fetchers = [asyncio.create_task(fetcher()) for _ in range(min(limits.concurrency, len(todo)))]
    try:
        for _ in todo:
            yield await finished.get()
    finally:
        for task in fetchers:
            task.cancel()
        await asyncio.gather(*fetchers, return_exceptions=True)
        if own:
            await client.aclose()


def fetch_all(requests: Iterable[FetchRequest], limits: FetchLimits,
              on_result: Callable[[FetchResult], None] | None = None) -> list[FetchResult]:
    """Synchronous helper: fetch everything and return the results (used by `feeds check`)."""

    async def run() -> list[FetchResult]:
        out = []
        async for res in fetch_many(requests, limits):
            if on_result:
                on_result(res)
            out.append(res)
        return out

    return asyncio.run(run())
