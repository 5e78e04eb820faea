"""The user's own companies.yaml: companies and aliases added to the shipped gazetteer, or entries corrected.

It lives beside feeds.yaml (or wherever `--companies` / `$AVTOMON_COMPANIES` points) and uses the
fields of the shipped `extractors/data/companies.yaml`:

    companies:
      - key: tolyatti_seats          # a new company
        name: Тольяттинский завод сидений
        kind: seats
        aliases: [ТЗС]
        region: RU-SAM
      - key: kamaz                   # an existing entry: given fields replace, aliases are added
        aliases: [Камский автогигант]
      - key: tesla
        remove: true                 # never report this entry

Extraction results depend on it, so its digest is part of the extractor version: after editing it,
`avtomon extract --reextract` applies it to stored articles.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from avtomon.errors import ConfigError
from avtomon.pipeline.config import SAFE_LOADER

FIELDS = {"key", "name", "kind", "aliases", "parent", "owner", "region", "caps", "strict", "quoted", "remove",
          "replace_aliases"}
LISTS = ("aliases", "caps", "strict", "quoted")


def _entries(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return []
    items = data.get("companies") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a list under 'companies:'")
    return items


def _check(path: Path, n: int, raw: Any, known: set[str]) -> dict[str, Any]:
    """One entry, validated: errors name the file, the entry and the field."""
    from avtomon.extractors.resources import COMPANY_KINDS

    where = f"{path}: companies[{n}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or not raw["key"].strip():
        raise ConfigError(f"{where}: each entry needs a 'key' (a short id such as tolyatti_seats)")
    unknown = set(raw) - FIELDS
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}: unknown field (known: {', '.join(sorted(FIELDS))})")
    if raw["key"] not in known and not raw.get("remove") and not isinstance(raw.get("name"), str):
        raise ConfigError(f"{where}.name: a new company needs a name (key {raw['key']!r} is not in the gazetteer)")
    if "kind" in raw and raw["kind"] not in COMPANY_KINDS:
        raise ConfigError(f"{where}.kind: {raw['kind']!r} is not one of {', '.join(sorted(COMPANY_KINDS))}")
    for name in LISTS:
        value = raw.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ConfigError(f"{where}.{name}: expected a list of names, e.g. [ТЗС, TZS]")
    return raw


def merge_overlay(shipped: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """The shipped company entries with the user's file applied (see the module docstring)."""
    by_key = {raw["key"]: dict(raw) for raw in shipped}
    for n, raw in enumerate(_entries(path)):
        raw = _check(path, n, raw, set(by_key))
        key = raw["key"]
        if raw.get("remove"):
            by_key.pop(key, None)
            continue
        entry = by_key.setdefault(key, {"key": key, "kind": "components", "aliases": []})
        for name, value in raw.items():
            if name in ("key", "replace_aliases"):
                continue
            if name in LISTS and not (name == "aliases" and raw.get("replace_aliases")):
                entry[name] = list(dict.fromkeys([*(entry.get(name) or []), *value]))
            else:
                entry[name] = value
    for raw in by_key.values():
        for field in ("parent", "owner"):
            if raw.get(field) and raw[field] not in by_key:
                raise ConfigError(f"{path}: {raw['key']}.{field}: no company with key {raw[field]!r}")
    return list(by_key.values())


def digest(path: Path | None) -> str | None:
    """A short digest of the overlay file (part of the extractor version), or None without one."""
    if path is None:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]
