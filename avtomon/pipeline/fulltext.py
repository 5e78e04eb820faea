"""Full text from the article page when the feed carries only a lead (Коммерсантъ, Ведомости, РБК).

Pages are fetched with the feed client's limits (timeouts, size cap, User-Agent), politely: at most
2 requests at once per host, a minimum delay between requests to one host, robots.txt respected
(read once per host per run). The main text is extracted with trafilatura. A page that fails leaves
the feed's text in place and records why.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.robotparser
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from avtomon import settings
from avtomon.db import chunks
from avtomon.extractors.relevance import AUTO_TAGS
from avtomon.models import Article
from avtomon.pipeline.clean import clean_chars, normalize_space
from avtomon.pipeline.config import FeedConfig
from avtomon.pipeline.fetch import FetchLimits, FetchRequest, fetch_file, make_client, read_capped
from avtomon.pipeline.parse import MAX_TEXT_CHARS, EntryRecord

log = logging.getLogger(__name__)

SHORT_TEXT = 600  # characters: a feed text shorter than this is probably a lead only
MIN_PAGE_TEXT = 200  # a page yielding less is a paywall stub or a gallery
CUT_MARKERS = ("…", "...", "[…]", "[...]", "Читать далее", "читать далее", "Подробнее", "подробнее")
CLEARLY_IRRELEVANT = 0.15  # quick relevance below this: no page is fetched
PER_HOST = 2


def looks_cut(text: str) -> bool:
    tail = text.rstrip()[-40:]
    return any(tail.endswith(m) or m in tail for m in CUT_MARKERS)


def wants_page(entry: EntryRecord, cfg: FeedConfig, quick: Callable[[str], float] | None = None) -> bool:
    """Should this new entry get its text from the article page?"""
    if not entry.url or cfg.fulltext == "never":
        return False
    if cfg.fulltext == "always":
        return True
    if len(entry.text) >= SHORT_TEXT and not looks_cut(entry.text):
        return False
    if set(cfg.tags) & AUTO_TAGS or quick is None:
        return True
    return quick(f"{entry.title}\n\n{entry.text}") >= CLEARLY_IRRELEVANT


def page_text(body: bytes, title: str) -> str:
    """The article body of an HTML page as clean text, paragraphs separated by blank lines."""
    import trafilatura

    # no deduplicate=True: trafilatura's dedup cache is process-wide, and would blank a page seen
    # before (a refetch, or the same article syndicated twice)
    extracted = trafilatura.extract(body, favor_precision=True, include_comments=False, include_tables=False,
                                    include_images=False) or ""
    lines = [normalize_space(line) for line in clean_chars(extracted).split("\n")]
    lines = [line for line in lines if line]
    if lines and title and normalize_space(lines[0]).casefold() == normalize_space(title).casefold():
        lines = lines[1:]  # the page repeats the title as its <h1>
    return "\n\n".join(lines)[:MAX_TEXT_CHARS]


@dataclass
class PageResult:
    article_id: int
    status: str  # ok | short | failed | robots
    text: str = ""
    error: str | None = None


@dataclass
class Polite:
    """Per-host concurrency and pacing, and a robots.txt cache."""

    limits: FetchLimits
    delay: float = settings.HOST_DELAY
    _sems: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _next: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict)
    _robot_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def sem(self, host: str) -> asyncio.Semaphore:
        return self._sems.setdefault(host, asyncio.Semaphore(PER_HOST))

    async def pace(self, host: str) -> None:
        now = time.monotonic()
        start = max(now, self._next[host])
        self._next[host] = start + self.delay
        if start > now:
            await asyncio.sleep(start - now)

    async def allowed(self, client: httpx.AsyncClient, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robot_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(client, origin)
        parser = self._robots[origin]
        return True if parser is None else parser.can_fetch(self.limits.user_agent.split("/")[0], url)

    async def _load_robots(self, client: httpx.AsyncClient, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """None = everything allowed (no robots.txt); a 5xx or no answer = nothing allowed (RFC 9309)."""
        parser = urllib.robotparser.RobotFileParser()
        try:
            async with client.stream("GET", f"{origin}/robots.txt") as response:
                if 400 <= response.status_code < 500:
                    return None
                if response.status_code >= 500:
                    parser.disallow_all = True
                    return parser
                body, _ = await read_capped(response, 512 * 1024)
        except httpx.HTTPError:
            parser.disallow_all = True
            return parser
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return parser


async def fetch_page(client: httpx.AsyncClient, polite: Polite, article_id: int, url: str, title: str
                     ) -> PageResult:
    """Fetch and extract one page; never raises."""
    try:
        if urlsplit(url).scheme == "file":
            res = await asyncio.to_thread(fetch_file, FetchRequest("page", url), polite.limits)
            if res.status != "ok":
                return PageResult(article_id, "failed", error=res.error)
            body = res.body
        else:
            if not await polite.allowed(client, url):
                return PageResult(article_id, "robots", error="robots.txt forbids this page")
            host = urlsplit(url).netloc
            async with polite.sem(host):
                await polite.pace(host)
                async with client.stream("GET", url, headers={"Accept": "text/html,*/*;q=0.5"}) as response:
                    if response.status_code >= 400:
                        return PageResult(article_id, "failed", error=f"HTTP {response.status_code}")
                    body, _ = await read_capped(response, polite.limits.max_body_bytes)
        text = await asyncio.to_thread(page_text, body, title)
    except Exception as exc:  # a broken page never stops the others
        log.debug("page %s failed", url, exc_info=True)
        return PageResult(article_id, "failed", error=f"{type(exc).__name__}: {exc}"[:500])
    return PageResult(article_id, "ok", text=text)


@dataclass
class PageSummary:
    fetched: int = 0  # text taken from the page
    kept: int = 0  # page worse than the feed (paywall, empty): feed text kept
    failed: int = 0

    def line(self) -> str:
        return f"{self.fetched} full texts from pages, {self.kept} kept from feed, {self.failed} pages failed"


def _apply(engine: Engine, result: PageResult, summary: PageSummary) -> None:
    with Session(engine) as s, s.begin():
        article = s.get(Article, result.article_id)
        if article is None:
            return
        values: dict[str, object] = {"page_error": result.error}
        better = len(result.text) > len(article.text) or article.text_source == "page"
        if result.status == "ok" and len(result.text) >= MIN_PAGE_TEXT and better:
            values.update(text=result.text, text_source="page", page_status="ok")
            if result.text != article.text:
                values["extract_status"] = "pending"  # new text, new facts
            summary.fetched += 1
        elif result.status == "ok":
            values.update(page_status="short", page_error="page text shorter than the feed's (paywall?)")
            summary.kept += 1
        else:
            values.update(page_status=result.status)
            summary.failed += 1
        s.execute(update(Article).where(Article.id == result.article_id).values(**values))


async def fetch_pending_pages(engine: Engine, client: httpx.AsyncClient, limits: FetchLimits,
                              delay: float = settings.HOST_DELAY) -> PageSummary:
    """Fetch pages of every article whose page_status is pending, one short transaction each."""
    with Session(engine) as s:
        rows = list(s.execute(select(Article.id, Article.url, Article.title)
                              .where(Article.page_status == "pending").order_by(Article.id)))
    summary = PageSummary()
    if not rows:
        return summary
    polite = Polite(limits, delay)
    sem = asyncio.Semaphore(limits.concurrency)

    async def one(aid: int, url: str, title: str) -> PageResult:
        async with sem:
            return await fetch_page(client, polite, aid, url, title)

    for done in asyncio.as_completed([one(*r) for r in rows]):
        _apply(engine, await done, summary)
    return summary


def mark_for_refetch(engine: Engine, ids: list[int]) -> int:
    """Queue pages of these articles again (`avtomon refetch`)."""
    with Session(engine) as s, s.begin():
        for chunk in chunks(ids):
            s.execute(update(Article).where(Article.id.in_(chunk), Article.url.is_not(None))
                      .values(page_status="pending"))
    return len(ids)


def refetch(engine: Engine, ids: list[int], limits: FetchLimits, delay: float = settings.HOST_DELAY) -> PageSummary:
    """Fetch the pages of these articles again; updated articles go back to the extraction backlog."""
    mark_for_refetch(engine, ids)

    async def run() -> PageSummary:
        client = make_client(limits)
        try:
            return await fetch_pending_pages(engine, client, limits, delay)
        finally:
            await client.aclose()

    return asyncio.run(run())
