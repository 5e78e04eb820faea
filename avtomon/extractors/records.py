"""Small typed records passed between extractors and to the store and the JSON output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Mention:
    """A span of the analysed text: text[start:end] == text."""

    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass
class EntityHit:
    """One entity found in a text with all its mentions."""

    kind: str  # company | organization | region | category | person
    key: str
    name: str
    mentions: list[Mention] = field(default_factory=list)
    known: bool = True
    org_kind: str | None = None  # organizations only: government | media | finance | other
    company_kind: str | None = None  # companies: the gazetteer kind (carmaker, tires…), None when unknown
    parent: str | None = None  # companies: key of the owning company, from the gazetteer

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "name": self.name}
        if self.kind == "company":
            out["known"] = self.known
        if self.kind == "organization":
            out["kind"] = self.org_kind or "other"
        if self.kind == "person":
            out = {"name": self.name}
        out["mentions"] = [m.to_json() for m in sorted(self.mentions, key=lambda m: m.start)]
        return out


@dataclass(frozen=True)
class EventHit:
    """An event found in one sentence."""

    type: str
    company: str | None
    company_key: str | None
    region: str | None
    categories: tuple[str, ...]
    start: int
    end: int
    sentence: str

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "company": self.company, "company_key": self.company_key,
                "region": self.region, "categories": list(self.categories), "start": self.start,
                "end": self.end, "sentence": self.sentence}


@dataclass
class Analysis:
    """Everything extracted from one text (the `avtomon analyze` JSON)."""

    companies: list[EntityHit] = field(default_factory=list)
    organizations: list[EntityHit] = field(default_factory=list)
    regions: list[EntityHit] = field(default_factory=list)
    categories: list[EntityHit] = field(default_factory=list)  # what the news is about
    passing: list[EntityHit] = field(default_factory=list)  # categories named only in passing
    persons: list[EntityHit] = field(default_factory=list)
    events: list[EventHit] = field(default_factory=list)
    relevance: float = 0.0
    relevant: bool = False
    # the features each decision was made on, for `train.py`; not part of the JSON
    trace: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def entities(self) -> list[EntityHit]:
        """Every entity with its mentions; categories in passing too (nothing named is lost)."""
        return [*self.companies, *self.organizations, *self.regions, *self.categories, *self.passing, *self.persons]

    def to_json(self) -> dict[str, Any]:
        return {
            "companies": [e.to_json() for e in self.companies],
            "organizations": [e.to_json() for e in self.organizations],
            "regions": [e.to_json() for e in self.regions],
            "categories": [e.to_json() for e in self.categories],
            "categories_in_passing": [e.to_json() for e in self.passing],
            "persons": [e.to_json() for e in self.persons],
            "events": [e.to_json() for e in self.events],
            "relevance": round(self.relevance, 3),
            "relevant": self.relevant,
        }
