"""Pick the right charset for Russian feeds whose servers lie about it.

feedparser follows RFC 3023: the HTTP charset wins, and `text/xml` without one means US-ASCII.
Russian feeds break this all the time: windows-1251 served as utf-8, KOI8-R labelled windows-1251,
no charset and no XML declaration at all. A single-byte Cyrillic codec decodes *any* bytes, so a
wrong guess gives mojibake silently instead of an error. Real Russian prose is mostly lower-case;
KOI8-R read as windows-1251 (and the reverse) flips the case of nearly every letter, and
windows-1251 read as Latin-1 has no Cyrillic at all. That makes a cheap, reliable score.
"""

from __future__ import annotations

import codecs
import re

_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.I)
_CYRILLIC_FALLBACKS = ("windows-1251", "koi8-r")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(body: bytes, headers: dict[str, str]) -> tuple[str | None, str | None]:
    """(HTTP charset, XML declaration encoding), each normalised or None."""
    m = _CHARSET.search(headers.get("content-type", ""))
    http = _codec(m.group(1)) if m else None
    d = _XML_DECL.match(body[:512])
    decl = _codec(d.group(1).decode("ascii")) if d else None
    return http, decl


def russian_score(text: str) -> float:
    """Share of lower-case among Cyrillic letters, weighted by how much Cyrillic there is."""
    lower = sum(1 for ch in text if "а" <= ch <= "я" or ch == "ё")
    upper = sum(1 for ch in text if "А" <= ch <= "Я" or ch == "Ё")
    total = lower + upper
    return 0.0 if total == 0 else (lower / total) * min(1.0, total / 50)


def choose_charset(body: bytes, headers: dict[str, str]) -> str | None:
    """The charset to decode `body` with, or None to let feedparser decide (ASCII, or no Cyrillic)."""
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
        return "utf-8"  # non-ASCII that is valid UTF-8 is never an accident, whatever the server says
    except UnicodeDecodeError:
        pass
    http, decl = declared_charsets(body, headers)
    candidates = [c for c in dict.fromkeys([http, decl, *map(_codec, _CYRILLIC_FALLBACKS)]) if c]
    sample = body[:200_000]
    best, best_score = None, -1.0
    for name in candidates:
        try:
            score = russian_score(sample.decode(name))
        except (UnicodeDecodeError, LookupError):
            continue
        if score > best_score + 0.05:  # prefer earlier (declared) candidates on near ties
            best, best_score = name, score
    return best if best_score > 0 else None


def with_charset(headers: dict[str, str], charset: str) -> dict[str, str]:
    """Copy of `headers` whose Content-Type names `charset` (keeping the media type)."""
    media = headers.get("content-type", "application/xml").split(";")[0].strip() or "application/xml"
    if media in ("text/xml", "text/plain", "text/html"):
        media = "application/xml"  # text/* would let RFC 3023 defaults override us again
    return {**headers, "content-type": f"{media}; charset={charset}"}
