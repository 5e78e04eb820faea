"""Parse feed bytes with feedparser into `EntryRecord`s.

feedparser gets the raw bytes *and* the HTTP headers, so RFC 3023 charset rules apply and it can
fall back to the XML declaration or sniffing when a Russian feed declares the wrong charset.
"""

from __future__ import annotations

import calendar
import io
import logging
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from avtomon.pipeline.charset import choose_charset, declared_charsets, with_charset
from avtomon.pipeline.clean import canonical_url, clean_chars, content_hash, html_to_text, normalize_space

log = logging.getLogger(__name__)

# An article longer than this is a feed bug or an attack; the rest is cut (and noted).
MAX_TEXT_CHARS = 200_000
MAX_TITLE_CHARS = 1_000
# Dates outside this window are feed bugs (1970 epoch zeros, far-future typos): use the fetch time.
EARLIEST_DATE = datetime(1995, 1, 1)
FUTURE_SLACK = timedelta(days=1)
# feedparser asks xml.sax for libxml2's driver first; it is never installed, and the failed import
# on every parse costs more than parsing a small feed. expat (the default) is what we use.
feedparser.api.PREFERRED_XML_PARSERS = []
# Encoding notes that are expected with Russian feeds, not failures (see DESIGN.md).
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride,)


@dataclass(frozen=True)
class EntryRecord:
    """One feed entry, cleaned, ready to deduplicate and store."""

    feed: str
    url: str | None
    guid: str | None
    title: str
    text: str
    published_at: datetime  # naive UTC
    published_guessed: bool
    fetched_at: datetime
    content_hash: str


@dataclass
class ParsedFeed:
    """Entries of one feed plus what went wrong while parsing it."""

    entries: list[EntryRecord] = field(default_factory=list)
    error: str | None = None  # the feed is unusable (HTML page, not XML at all)
    note: str | None = None  # recoverable problem (malformed XML, encoding override)
    version: str = ""


def _entry_text(entry: Any) -> str:
    """The longest of full content, yandex:full-text and summary, as clean text."""
    candidates = [c.get("value", "") for c in entry.get("content", []) or []]
    candidates.append(entry.get("yandex_full-text", "") or "")
    candidates.append(entry.get("summary", "") or "")
    texts = [html_to_text(c) for c in candidates if c]
    return max(texts, key=len, default="")


def _published(entry: Any, fetched_at: datetime) -> tuple[datetime, bool]:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get: FeedParserDict would answer a missing updated_parsed with published_parsed again
        # (a deprecated fallback that also warns)
        value = dict.get(entry, key)
        if value:
            when = datetime.fromtimestamp(calendar.timegm(value), UTC).replace(tzinfo=None)
            if EARLIEST_DATE <= when <= fetched_at + FUTURE_SLACK:
                return when, False
            log.debug("implausible date %s in entry, using fetch time", when)
    return fetched_at, True


def _url(entry: Any, base: str) -> str | None:
    link = (entry.get("link") or "").strip()
    if not link:
        guid = (entry.get("id") or "").strip()
        link = guid if guid.startswith(("http://", "https://")) else ""
    if not link:
        return None
    if base.startswith("file:"):
        # a local sample feed may link local pages (make demo): keep file URLs, minus the fragment
        full = urljoin(base, link)
        if urlsplit(full).scheme == "file":
            return full.split("#", 1)[0]
    full = urljoin(base, link) if base.startswith(("http://", "https://")) else link
    return canonical_url(full) if urlsplit(full).scheme in ("http", "https") else None


def adapt_entry(entry: Any, feed: str, base_url: str, fetched_at: datetime) -> EntryRecord | None:
    """Convert a feedparser entry into our record; None when it has neither title nor text."""
    title = normalize_space(html_to_text(entry.get("title", "") or "").replace("\n", " "))[:MAX_TITLE_CHARS]
    text = _entry_text(entry)[:MAX_TEXT_CHARS]
    if not title and not text:
        return None
    published, guessed = _published(entry, fetched_at)
    guid = clean_chars((entry.get("id") or "").strip())[:2000] or None
    return EntryRecord(feed=feed, url=_url(entry, base_url), guid=guid, title=title, text=text,
                       published_at=published, published_guessed=guessed, fetched_at=fetched_at,
                       content_hash=content_hash(title, text))


def _bozo_message(exc: Exception | None, kept: int) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"malformed XML at line {exc.getLineNumber()}: {exc.getMessage()}; {kept} entries kept"
    return f"malformed feed: {exc or 'unknown problem'}; {kept} entries kept"


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


def parse_feed(body: bytes, headers: dict[str, str], feed: str, base_url: str,
               fetched_at: datetime) -> ParsedFeed:
    """Parse one feed body.

    Args:
        body: raw bytes as received (not decoded).
        headers: HTTP response headers (lower-case keys); Content-Type carries the charset.
        feed: feed name recorded on every entry.
        base_url: where the body came from, to resolve relative links.
        fetched_at: naive UTC fetch time, used for entries without a date.

    Returns:
        The entries that could be read, and an error or note about the rest.
    """
    out = ParsedFeed()
    if not body.strip():
        out.error = "empty response body"
        return out
    charset = choose_charset(body, headers)
    if charset:
        http, _decl = declared_charsets(body, headers)
        if http and http != charset:
            out.note = f"charset: server said {http}, content is {charset}"
        headers = with_charset(headers, charset)
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=False)
    out.version = parsed.get("version", "") or ""
    empty = 0
    for entry in parsed.entries:
        record = adapt_entry(entry, feed, base_url, fetched_at)
        if record is None:
            empty += 1
        else:
            out.entries.append(record)
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        message = _bozo_message(exc, len(out.entries))
        if not isinstance(exc, _BENIGN_BOZO):
            out.note = message
        elif not out.note:
            out.note = f"encoding note: {exc}"
    if empty:
        skipped = f"{empty} entries without title or text skipped"
        out.note = f"{out.note}; {skipped}" if out.note else skipped
    if not out.entries and not out.version:
        if _looks_like_html(body):
            out.error = "not a feed: got an HTML page (check the feed URL)"
        else:
            out.error = f"not a feed: {out.note or 'no RSS or Atom content found'}"
    return out
