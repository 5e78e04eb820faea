"""Load the YAML gazetteers and taxonomy once and compile them into phrase matchers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from avtomon.extractors.gazetteer import PhraseMatcher
from avtomon.extractors.nlp import NLP, fold, get_nlp
from avtomon.pipeline.config import SAFE_LOADER

_LOCK = threading.Lock()


def load_yaml(name: str) -> Any:
    text = resources.files("avtomon.extractors").joinpath("data", name).read_text("utf-8")
    return yaml.load(text, Loader=SAFE_LOADER)


@dataclass(frozen=True)
class OrgEntry:
    """A company (kind company) or another organisation from the gazetteers."""

    entity: str  # company | organization
    key: str
    name: str
    kind: str
    aliases: tuple[str, ...]


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


class Resources:
    """Compiled gazetteers: organisations, regions, categories and event triggers."""

    def __init__(self, nlp: NLP) -> None:
        self.nlp = nlp
        self.orgs = PhraseMatcher()
        self.org_entries: dict[tuple[str, str], OrgEntry] = {}
        self.alias_index: dict[str, OrgEntry] = {}  # folded name or alias → entry
        self.regions = PhraseMatcher()
        self.region_names: dict[str, str] = {}
        self.categories = PhraseMatcher()
        self.category_names: dict[str, str] = {}
        self.events = PhraseMatcher()
        self._load_orgs("companies.yaml", "company")
        self._load_orgs("organizations.yaml", "organization")
        self._load_regions()
        self._load_categories()
        self._load_events()
        for m in (self.orgs, self.regions, self.categories, self.events):
            m.finalize()

    def _load_orgs(self, file: str, entity: str) -> None:
        for raw in load_yaml(file):
            entry = OrgEntry(entity, raw["key"], raw["name"], raw.get("kind", "other"),
                             tuple(raw.get("aliases") or ()))
            self.org_entries[(entity, entry.key)] = entry
            caps, strict = set(raw.get("caps") or ()), set(raw.get("strict") or ())
            for phrase in (entry.name, *entry.aliases):
                self.alias_index.setdefault(fold(phrase.replace("«", "").replace("»", "")), entry)
                self.orgs.add(self.nlp, phrase, entry, caps=phrase in caps, strict=phrase in strict)

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
                self.events.add(self.nlp, " ".join(trig["lemmas"]), TriggerEntry(etype, with_, without))


@cache
def _build() -> Resources:
    return Resources(get_nlp())


def get_resources() -> Resources:
    """Process-wide compiled resources (built on first use)."""
    with _LOCK:
        return _build()
