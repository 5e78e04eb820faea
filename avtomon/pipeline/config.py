"""Load and validate feeds.yaml into typed records.

Every error names the feed and the field, e.g. ``feeds[3].url: not an http(s) or file URL``,
so a user can fix the file without reading our code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from avtomon import settings
from avtomon.errors import ConfigError

# libyaml's loader when PyYAML has it (its wheels do): ~7× faster on a feeds.yaml of hundreds of feeds
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FULLTEXT_MODES = ("auto", "always", "never")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 60.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True)
class Settings:
    """Global poll settings (the optional ``settings:`` block)."""

    concurrency: int = settings.CONCURRENCY
    timeout: float = settings.TIMEOUT
    max_body_bytes: int = settings.MAX_BODY_BYTES
    user_agent: str = settings.USER_AGENT
    backoff_max: float = settings.BACKOFF_MAX
    host_delay: float = settings.HOST_DELAY  # seconds between two page requests to one host


@dataclass(frozen=True)
class FeedConfig:
    """One source to poll."""

    name: str
    url: str
    homepage: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    interval: float | None = None  # seconds between polls; None = every run
    fulltext: str = "auto"


@dataclass(frozen=True)
class FeedsConfig:
    """The whole feeds.yaml."""

    settings: Settings = field(default_factory=Settings)
    feeds: tuple[FeedConfig, ...] = ()

    def by_name(self) -> dict[str, FeedConfig]:
        return {f.name: f for f in self.feeds}


def parse_duration(value: Any, where: str) -> float:
    """Seconds from ``900``, ``"15m"``, ``"1h"``, ``"2d"`` (a bare number means minutes)."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a duration such as 15m, 1h or 1d, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:  # YAML reads .inf and .nan as floats
            raise ConfigError(f"{where}: expected a positive duration such as 15m, 1h or 1d, got {value!r}")
        return float(value) * 60.0
    m = _DURATION.match(str(value))
    if not m:
        raise ConfigError(f"{where}: expected a duration such as 15m, 1h or 1d, got {value!r}")
    seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if seconds <= 0:
        raise ConfigError(f"{where}: expected a positive duration such as 15m, 1h or 1d, got {value!r}")
    return seconds


def normalize_source(url: str, base_dir: Path) -> str | None:
    """Return an http(s) or file URL, or None if `url` is neither (a relative path is resolved)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if parts.scheme == "file":
        return url
    if parts.scheme == "" and url:
        path = Path(url)
        if not path.is_absolute():
            path = (base_dir / path).resolve()
        return path.as_uri()
    return None


def _require_str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key}: required, a non-empty string")
    return value.strip()


def _load_feed(raw: Any, index: int, base_dir: Path) -> FeedConfig:
    where = f"feeds[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with name and url, got {type(raw).__name__}")
    known = {"name", "url", "homepage", "tags", "enabled", "interval", "fulltext"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown field (known: {', '.join(sorted(known))})")
    name = _require_str(raw, "name", where)
    url = normalize_source(_require_str(raw, "url", where), base_dir)
    if url is None:
        raise ConfigError(f"{where}.url: not an http(s) or file URL ({raw['url']!r})")
    homepage = raw.get("homepage")
    if homepage is not None and not (isinstance(homepage, str) and homepage.startswith(("http://", "https://"))):
        raise ConfigError(f"{where}.homepage: not an http(s) URL ({homepage!r})")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{where}.tags: expected a list of strings")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled: expected true or false, got {enabled!r}")
    interval = raw.get("interval")
    seconds = parse_duration(interval, f"{where}.interval") if interval is not None else None
    fulltext = raw.get("fulltext", "auto")
    if fulltext not in FULLTEXT_MODES:
        raise ConfigError(f"{where}.fulltext: expected one of {', '.join(FULLTEXT_MODES)}, got {fulltext!r}")
    return FeedConfig(name=name, url=url, homepage=homepage, tags=tuple(tags), enabled=enabled,
                      interval=seconds, fulltext=fulltext)


def _load_settings(raw: Any) -> Settings:
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise ConfigError("settings: expected a mapping")
    defaults = Settings()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in Settings.__dataclass_fields__:
            known = ", ".join(Settings.__dataclass_fields__)
            raise ConfigError(f"settings.{key}: unknown setting (known: {known})")
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) or (
            isinstance(value, int | float) and not (math.isfinite(value) and value > 0)  # .inf, .nan, 0, -1
        ):
            raise ConfigError(f"settings.{key}: expected a positive {expected.__name__}, got {value!r}")
        out[key] = value
    return Settings(**out)


def parse_feeds(data: Any, base_dir: Path) -> FeedsConfig:
    """Validate an already-loaded YAML document."""
    if not isinstance(data, dict) or "feeds" not in data:
        raise ConfigError("feeds: the file must be a mapping with a 'feeds:' list")
    unknown = sorted(set(data) - {"settings", "feeds"})
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown top-level key (known: settings, feeds)")
    raw_feeds = data["feeds"]
    if not isinstance(raw_feeds, list):
        raise ConfigError("feeds: expected a list of feeds")
    feeds = [_load_feed(raw, i, base_dir) for i, raw in enumerate(raw_feeds)]
    seen: dict[str, int] = {}
    for i, feed in enumerate(feeds):
        if feed.name in seen:
            raise ConfigError(f"feeds[{i}].name: duplicate name {feed.name!r} (also feeds[{seen[feed.name]}])")
        seen[feed.name] = i
    return FeedsConfig(settings=_load_settings(data.get("settings")), feeds=tuple(feeds))


def load_feeds(path: str | Path) -> FeedsConfig:
    """Read and validate a feeds file.

    Args:
        path: feeds.yaml location; relative local feed paths inside are resolved against its folder.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: the file is missing, not YAML, or a field is invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: feeds file not found (pass --feeds FILE or set AVTOMON_FEEDS)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read feeds file: {exc}") from None
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        return parse_feeds(data, path.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
