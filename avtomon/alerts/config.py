"""Load and check watches.yaml: named channels, watches (filters + channels), spike and Atom settings.

Secrets never sit in the file: a channel names the environment variable that holds its secret
(`secret_env`, `password_env`, `token_env`), and a missing variable is a configuration error that
names it. Every error names the field, e.g. ``watches[2].channels: unknown channel 'mail'``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from avtomon.errors import ConfigError
from avtomon.pipeline.config import SAFE_LOADER, parse_duration

EVENT_TYPES = ("launch", "investment", "suspension", "localization", "sales", "partnership", "model_launch", "deal",
               "output", "recall")
CHANNEL_FIELDS = {
    "webhook": {"type", "url", "secret_env", "timeout", "retries"},
    "email": {"type", "host", "port", "starttls", "ssl", "username", "password_env", "sender", "to", "timeout",
              "ca_file"},
    "telegram": {"type", "token_env", "chat_id", "api", "timeout", "retries"},
}


@dataclass(frozen=True)
class Channel:
    """Where alerts go. `options` holds the type's fields; `secret` the value of its *_env variable."""

    name: str
    type: str
    options: dict[str, Any]
    secret: str | None = None


@dataclass(frozen=True)
class Watch:
    """What an analyst follows: the same filters as queries, and the channels its alerts go to."""

    name: str
    company: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    event: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    text: str | None = None
    channels: tuple[str, ...] = ()
    spikes: bool = False  # also alert when a company of this watch (any, without --company) spikes


@dataclass(frozen=True)
class AlertSettings:
    lookback: float = 2 * 86400  # seconds: stories first seen longer ago are never alerted
    spike_multiple: float = 3.0  # stories in 24 h above this multiple of the 30-day daily mean …
    spike_min: int = 3  # … and at least this many stories in 24 h
    atom_dir: str | None = None  # write one Atom feed per watch here (relative: beside watches.yaml)
    atom_entries: int = 50


@dataclass(frozen=True)
class WatchesConfig:
    settings: AlertSettings = field(default_factory=AlertSettings)
    channels: dict[str, Channel] = field(default_factory=dict)
    watches: tuple[Watch, ...] = ()
    base_dir: Path = Path(".")

    def atom_path(self, watch: str) -> Path | None:
        if not self.settings.atom_dir:
            return None
        folder = Path(self.settings.atom_dir)
        return (folder if folder.is_absolute() else self.base_dir / folder) / f"{slug(watch)}.xml"


def slug(name: str) -> str:
    """A file and URL name for a watch: its letters and digits, other characters as '-'."""
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "watch"


def _strings(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}.{key}: expected a name or a list of names")
    return tuple(v.strip() for v in value)


def _number(raw: dict[str, Any], key: str, where: str, default: float, integer: bool = False) -> Any:
    value = raw.get(key, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if not ok or (integer and not isinstance(value, int)):
        raise ConfigError(f"{where}.{key}: expected a positive {'whole ' if integer else ''}number, got {value!r}")
    return value


def _secret(raw: dict[str, Any], key: str, where: str, env: dict[str, str], required: bool) -> str | None:
    var = raw.get(key)
    if var is None:
        if required:
            raise ConfigError(f"{where}.{key}: required: the name of the environment variable holding the secret")
        return None
    if not isinstance(var, str) or not var:
        raise ConfigError(f"{where}.{key}: expected an environment variable name, got {var!r}")
    if var not in env:
        raise ConfigError(f"{where}.{key}: environment variable {var} is not set (secrets stay out of the file)")
    return env[var]


def _channel(name: str, raw: Any, env: dict[str, str]) -> Channel:
    where = f"channels.{name}"
    if not isinstance(raw, dict) or raw.get("type") not in CHANNEL_FIELDS:
        raise ConfigError(f"{where}.type: expected one of {', '.join(CHANNEL_FIELDS)}")
    kind = raw["type"]
    unknown = sorted(set(raw) - CHANNEL_FIELDS[kind])
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown field for a {kind} channel "
                          f"(known: {', '.join(sorted(CHANNEL_FIELDS[kind]))})")
    options = dict(raw)
    options["timeout"] = _number(raw, "timeout", where, 10.0)
    if kind == "webhook":
        url = raw.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url: expected an http(s) URL, got {url!r}")
        options["retries"] = _number(raw, "retries", where, 3, integer=True)
        return Channel(name, kind, options, _secret(raw, "secret_env", where, env, required=True))
    if kind == "telegram":
        if not isinstance(raw.get("chat_id"), str | int):
            raise ConfigError(f"{where}.chat_id: required (a chat id such as -1001234567890 or @channel)")
        options["api"] = str(raw.get("api", "https://api.telegram.org")).rstrip("/")
        options["retries"] = _number(raw, "retries", where, 3, integer=True)
        return Channel(name, kind, options, _secret(raw, "token_env", where, env, required=True))
    for key in ("host", "sender"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ConfigError(f"{where}.{key}: required")
    to = _strings(raw, "to", where)
    if not to:
        raise ConfigError(f"{where}.to: at least one address")
    options["to"] = to
    options["port"] = _number(raw, "port", where, 587, integer=True)
    password = _secret(raw, "password_env", where, env, required=False)
    if password is not None and not raw.get("username"):
        raise ConfigError(f"{where}.username: required with password_env")
    return Channel(name, kind, options, password)


def _watch(raw: Any, index: int, channels: dict[str, Channel]) -> Watch:
    where = f"watches[{index}]"
    known = {"name", "company", "region", "category", "event", "source", "text", "channels", "spikes"}
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise ConfigError(f"{where}.name: required, a non-empty string")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown field (known: {', '.join(sorted(known))})")
    events = _strings(raw, "event", where)
    bad = [e for e in events if e not in EVENT_TYPES]
    if bad:
        raise ConfigError(f"{where}.event: unknown event type {bad[0]!r} (known: {', '.join(EVENT_TYPES)})")
    names = _strings(raw, "channels", where)
    missing = [c for c in names if c not in channels]
    if missing:
        defined = ", ".join(channels) or "none"
        raise ConfigError(f"{where}.channels: unknown channel {missing[0]!r} (defined: {defined})")
    text = raw.get("text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise ConfigError(f"{where}.text: expected words to search for")
    spikes = raw.get("spikes", False)
    if not isinstance(spikes, bool):
        raise ConfigError(f"{where}.spikes: expected true or false")
    return Watch(name=raw["name"].strip(), company=_strings(raw, "company", where),
                 region=_strings(raw, "region", where), category=_strings(raw, "category", where), event=events,
                 source=_strings(raw, "source", where), text=text, channels=names, spikes=spikes)


def _settings(raw: Any) -> AlertSettings:
    if raw is None:
        return AlertSettings()
    if not isinstance(raw, dict):
        raise ConfigError("settings: expected a mapping")
    known = set(AlertSettings.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"settings.{unknown[0]}: unknown setting (known: {', '.join(sorted(known))})")
    defaults = AlertSettings()
    atom_dir = raw.get("atom_dir")
    if atom_dir is not None and not isinstance(atom_dir, str):
        raise ConfigError("settings.atom_dir: expected a folder path")
    return AlertSettings(
        lookback=parse_duration(raw["lookback"], "settings.lookback") if "lookback" in raw else defaults.lookback,
        spike_multiple=float(_number(raw, "spike_multiple", "settings", defaults.spike_multiple)),
        spike_min=_number(raw, "spike_min", "settings", defaults.spike_min, integer=True),
        atom_dir=atom_dir, atom_entries=_number(raw, "atom_entries", "settings", defaults.atom_entries, integer=True))


def parse_watches(data: Any, base_dir: Path, env: dict[str, str] | None = None) -> WatchesConfig:
    """Check an already-loaded YAML document; `env` is where *_env variables are looked up."""
    env = dict(os.environ) if env is None else env
    if not isinstance(data, dict) or not isinstance(data.get("watches"), list):
        raise ConfigError("watches: the file must be a mapping with a 'watches:' list")
    unknown = sorted(set(data) - {"settings", "channels", "watches"})
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown top-level key (known: settings, channels, watches)")
    raw_channels = data.get("channels") or {}
    if not isinstance(raw_channels, dict):
        raise ConfigError("channels: expected a mapping of channel names to channels")
    channels = {str(name): _channel(str(name), raw, env) for name, raw in raw_channels.items()}
    watches = [_watch(raw, i, channels) for i, raw in enumerate(data["watches"])]
    seen: set[str] = set()
    for i, w in enumerate(watches):
        if w.name in seen:
            raise ConfigError(f"watches[{i}].name: duplicate name {w.name!r}")
        seen.add(w.name)
    return WatchesConfig(_settings(data.get("settings")), channels, tuple(watches), base_dir)


def load_watches(path: str | Path) -> WatchesConfig:
    """Read and check a watches file (ConfigError with the file and field on any mistake)."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise ConfigError(f"{path}: watches file not found (pass --watches FILE or set AVTOMON_WATCHES)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the watches file: {exc}") from None
    try:
        return parse_watches(data, path.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
