"""Load the YAML gazetteers and taxonomy once and compile them into phrase matchers.

The package ships the gazetteers in `extractors/data/`. Users extend or correct the company
gazetteer with their own `companies.yaml` (see `overlay.py`) without editing the package; the
compiled resources are cached per overlay file and its modification time.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from avtomon.extractors.gazetteer import PhraseMatcher
from avtomon.extractors.nlp import NLP, fold, get_nlp
from avtomon.pipeline.config import SAFE_LOADER

_LOCK = threading.Lock()

# company kind → the product category it stands for: what a plant of that kind makes
KIND_CATEGORY = {"carmaker": "passenger_cars", "trucks": "trucks", "buses": "buses", "lcv": "lcv",
                 "ev": "electric_vehicles", "special": "special_machinery", "trailers": "trailers",
                 "engines": "engines", "transmissions": "transmissions", "electronics": "electronics",
                 "electric_motors": "electric_motors", "batteries": "batteries", "seats": "seats",
                 "lighting": "lighting", "glass": "glass", "tires": "tires", "brakes": "brakes",
                 "plastics": "plastic_parts", "exhaust": "exhaust_systems", "body": "body_parts",
                 "components": "components", "tooling": "tooling", "charging": "charging"}
COMPANY_KINDS = {*KIND_CATEGORY, "dealer", "leasing", "investor", "brand"}
ORG_KINDS = {"government", "media", "finance", "other"}


def load_yaml(name: str) -> Any:
    text = resources.files("avtomon.extractors").joinpath("data", name).read_text("utf-8")
    return yaml.load(text, Loader=SAFE_LOADER)


@dataclass(frozen=True)
class OrgEntry:
    """A company (entity company) or another organisation (entity organization) from the gazetteers."""

    entity: str  # company | organization
    key: str
    name: str
    kind: str  # a company kind (COMPANY_KINDS) or an organisation kind (ORG_KINDS)
    aliases: tuple[str, ...]
    parent: str | None = None  # key of the owning company
    owner: str | None = None  # brands: key of the company the brand is counted as
    region: str | None = None  # ISO 3166-2:RU code of the home region
    place: bool = False  # also names a place («в Кремле», «в ОЭЗ «Алабуга»»): not an organisation there


@dataclass(frozen=True)
class RegionEntry:
    code: str
    name: str
    source: str  # name | alias | city | adjective
    weak: bool = False  # dropped when it sits inside a company name (Волжский in Волжский автозавод)


@dataclass(frozen=True)
class TriggerEntry:
    type: str
    with_: frozenset[str]
    without: frozenset[str]
    weight: float = 1.0  # how surely the phrase alone tells the event (1: «приостановил», 0.5: «премьера»)
    sentence: bool = False  # `with` / `without` words count anywhere in the sentence, not only nearby


class Resources:
    """Compiled gazetteers: organisations, regions, categories and event triggers."""

    def __init__(self, nlp: NLP, companies: list[dict[str, Any]] | None = None) -> None:
        self.nlp = nlp
        self.orgs = PhraseMatcher(self._load_models())
        self.org_entries: dict[tuple[str, str], OrgEntry] = {}
        self.alias_index: dict[str, OrgEntry] = {}  # folded name or alias → entry
        self.regions = PhraseMatcher()
        self.region_names: dict[str, str] = {}
        self.categories = PhraseMatcher()
        self.category_names: dict[str, str] = {}
        self.events = PhraseMatcher()
        self._load_orgs(companies if companies is not None else load_yaml("companies.yaml"), "company")
        self._load_orgs(load_yaml("organizations.yaml"), "organization")
        self._load_regions()
        self._load_categories()
        self._load_events()
        for m in (self.orgs, self.regions, self.categories, self.events):
            m.finalize()

    def _load_models(self) -> frozenset[str]:
        self.model_category: dict[str, str] = {}  # vehicle or engine model name → its category key
        for key, names in load_yaml("models.yaml").items():
            for name in names:
                self.model_category.setdefault(name, key)
                self.model_category.setdefault(name.split()[0], key)
        self.models = frozenset(self.model_category)
        return self.models

    def company(self, key: str | None) -> OrgEntry | None:
        return self.org_entries.get(("company", key)) if key else None

    def resolve_brand(self, entry: OrgEntry) -> OrgEntry:
        """A brand counts as the company that owns it (Lada → АвтоВАЗ); other entries stand as they are."""
        seen = 0
        while entry.kind == "brand" and entry.owner and seen < 5:
            owner = self.company(entry.owner)
            if owner is None:
                break
            entry, seen = owner, seen + 1
        return entry

    def _load_orgs(self, raws: list[dict[str, Any]], entity: str) -> None:
        for raw in raws:
            entry = OrgEntry(entity, raw["key"], raw["name"], raw.get("kind", "other"),
                             tuple(raw.get("aliases") or ()), raw.get("parent"), raw.get("owner"), raw.get("region"),
                             bool(raw.get("place")))
            self.org_entries[(entity, entry.key)] = entry
            caps, strict = set(raw.get("caps") or ()), set(raw.get("strict") or ())
            quoted = set(raw.get("quoted") or ())
            for phrase in (entry.name, *entry.aliases):
                self.alias_index.setdefault(fold(phrase.replace("«", "").replace("»", "")), entry)
                self.orgs.add(self.nlp, phrase, entry, caps=phrase in caps, strict=phrase in strict,
                              quoted=phrase in quoted)

    def _word_set(self, words: list[str]) -> frozenset[str]:
        """Each word as written (they are written as lemmas) and as pymorphy3 lemmatises it: «марка»
        alone would become «марк» and never match the «марка» of the text."""
        return frozenset(form for w in words for form in (fold(w), self.nlp.lemmas(w)[0]))

    def _load_regions(self) -> None:
        for raw in load_yaml("regions.yaml"):
            code, strict, weak = raw["code"], set(raw.get("strict") or ()), set(raw.get("weak") or ())
            self.region_names[code] = raw["name"]
            groups = [("name", [raw["name"]]), ("alias", raw.get("aliases") or []), ("city", raw.get("cities") or []),
                      ("adjective", raw.get("adjectives") or [])]
            for source, phrases in groups:
                for phrase in phrases:
                    entry = RegionEntry(code, raw["name"], source, weak=phrase in weak)
                    self.regions.add(self.nlp, phrase, entry, strict=phrase in strict)

    def _load_categories(self) -> None:
        for key, raw in load_yaml("categories.yaml").items():
            self.category_names[key] = raw["name"]
            also = raw.get("also") or {}
            for phrase in raw["patterns"]:
                keys = (key, *also.get(phrase, ()))
                self.categories.add(self.nlp, phrase, keys)

    def _load_events(self) -> None:
        for etype, raw in load_yaml("events.yaml").items():
            for trig in raw["triggers"]:
                with_ = self._word_set(trig.get("with", ()))
                without = self._word_set(trig.get("without", ()))
                entry = TriggerEntry(etype, with_, without, float(trig.get("weight", 1.0)),
                                     trig.get("scope") == "sentence")
                self.events.add(self.nlp, " ".join(trig["lemmas"]), entry)


_CACHE: dict[tuple[str, float] | None, Resources] = {}
_OVERLAY: Path | None = None


def configure(overlay: str | Path | None) -> None:
    """Use this user companies.yaml (or none) for every later `get_resources()` of this process."""
    global _OVERLAY
    _OVERLAY = Path(overlay) if overlay else None


def overlay_path() -> Path | None:
    """The user companies.yaml configured here or by $AVTOMON_COMPANIES (the CLI sets it), if it exists."""
    path = _OVERLAY if _OVERLAY is not None else (Path(env) if (env := os.environ.get("AVTOMON_COMPANIES")) else None)
    return path if path is not None and path.is_file() else None


def get_resources() -> Resources:
    """Process-wide compiled resources (built on first use, again when the user overlay changes)."""
    from avtomon.extractors.overlay import merge_overlay

    path = overlay_path()
    ident = (str(path), path.stat().st_mtime) if path else None
    with _LOCK:
        res = _CACHE.get(ident)
        if res is None:
            companies = merge_overlay(load_yaml("companies.yaml"), path) if path else None
            res = Resources(get_nlp(), companies)
            _CACHE.clear()
            _CACHE[ident] = res
        return res
