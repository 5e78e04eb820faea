"""Turn feed HTML and URLs into clean text and canonical URLs."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Tags after which a paragraph ends; the rest are inline and only contribute text.
_BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "tr",
          "section", "article", "header", "footer", "figure", "figcaption", "pre", "dd", "dt"}
_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "svg"}
_TRACKING_PARAMS = {"yclid", "fbclid", "gclid", "from", "_openstat", "utm_referrer"}
# Zero-width and bidi controls are invisible but break matching and dedup.
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def clean_chars(text: str) -> str:
    """NFC-normalise and drop control and zero-width characters (keeping newlines and tabs)."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return _CONTROL.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n")


def normalize_space(text: str) -> str:
    """Collapse runs of spaces inside lines and keep at most one blank line between paragraphs."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def html_to_text(html: str) -> str:
    """Strip tags, unescape entities, keep paragraphs as blank-line-separated blocks."""
    if "<" not in html and "&" not in html:
        return normalize_space(clean_chars(html))
    parser = _TextCollector()
    parser.feed(html)
    parser.close()
    return normalize_space(clean_chars("".join(parser.parts)))


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment, default port and tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS]
    path = parts.path or ("/" if host else "")
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def content_hash(title: str, text: str) -> str:
    """A hash of title + text that ignores case and whitespace, for dedup of link-less items."""
    norm = re.sub(r"\s+", " ", f"{title}\n{text}".lower().replace("ё", "е")).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()
