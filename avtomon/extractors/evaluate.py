"""Score `analyze` against gold files (DESIGN.md format): P/R/F1 per field, micro-averaged over texts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avtomon.errors import AvtomonError
from avtomon.extractors.analyze import analyze_many, compose
from avtomon.extractors.records import Analysis, EntityHit

FIELDS = ("companies", "org_other", "regions", "categories", "events")


def norm(name: str) -> str:
    """Company names compare case-insensitively with ё = е, ignoring quotes."""
    return " ".join(name.lower().replace("ё", "е").replace("«", "").replace("»", "").replace('"', "").split())


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Relevance:
    """Confusion counts of `relevant` against the gold file's optional `relevant` flag."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, gold: bool) -> None:
        if predicted and gold:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.total if self.total else 1.0

    def row(self) -> list[Any]:
        s = Score(self.tp, self.fp, self.fn)
        return ["relevant", self.tp, self.fp, self.fn, round(s.precision, 3), round(s.recall, 3), round(s.f1, 3)]


@dataclass
class Report:
    scores: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in FIELDS})
    relevance: Relevance = field(default_factory=Relevance)
    texts: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # per text: what was missed or extra

    def table(self) -> list[list[Any]]:
        rows = [[f, s.tp, s.fp, s.fn, round(s.precision, 3), round(s.recall, 3), round(s.f1, 3)]
                for f, s in self.scores.items()]
        if self.relevance.total:
            rows.append(self.relevance.row())
        return rows


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Read a gold JSON Lines file; errors name the line."""
    items = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AvtomonError(f"{path}: cannot read gold file: {exc.strerror or exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AvtomonError(f"{path}:{n}: not valid JSON: {exc.msg}") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise AvtomonError(f"{path}:{n}: each line needs a 'text' string")
        items.append(item)
    return items


def _match_groups(pred: list[EntityHit], gold: list[list[str]]) -> tuple[Score, list, list]:
    """A predicted entity matches a gold one when its name is one of the names the gold file accepts for
    it. Strict on purpose: the gazetteer's own aliases do not count (an outside check has no gazetteer),
    so a wrong canonical name is an error."""
    groups = [{norm(n) for n in g} for g in gold]
    matched: set[int] = set()
    extra = []
    for hit in pred:
        idx = next((i for i, g in enumerate(groups) if norm(hit.name) in g), None)
        if idx is None:
            extra.append(hit.name)
        else:
            matched.add(idx)
    # several predicted spellings of one gold company count once, not as false positives
    missed = [gold[i][0] for i in range(len(gold)) if i not in matched]
    return Score(len(matched), len(extra), len(missed)), extra, missed


def _match_sets(pred: set, gold: set) -> Score:
    return Score(len(pred & gold), len(pred - gold), len(gold - pred))


def _event_pairs(a: Analysis, gold_companies: list[list[str]]) -> set[tuple[str, str]]:
    """Predicted (type, company) pairs, company named as in the gold file when it matches one."""
    out = set()
    for e in a.events:
        if not e.company:
            continue
        group = next((g for g in gold_companies if norm(e.company) in {norm(n) for n in g}), None)
        out.add((e.type, norm(group[0]) if group else norm(e.company)))
    return out


def score_one(a: Analysis, gold: dict[str, Any], report: Report) -> None:
    companies = gold.get("companies", [])
    s, extra_c, missed_c = _match_groups(a.companies, companies)
    report.scores["companies"] = _add(report.scores["companies"], s)
    s, extra_o, missed_o = _match_groups(a.organizations, gold.get("org_other", []))
    report.scores["org_other"] = _add(report.scores["org_other"], s)
    regions = _match_sets({r.key for r in a.regions}, set(gold.get("regions", [])))
    report.scores["regions"] = _add(report.scores["regions"], regions)
    cats = _match_sets({c.key for c in a.categories}, set(gold.get("categories", [])))
    report.scores["categories"] = _add(report.scores["categories"], cats)
    gold_events = set()
    for etype, company in gold.get("events", []):
        group = next((g for g in companies if norm(company) in {norm(n) for n in g}), [company])
        gold_events.add((etype, norm(group[0])))
    pred_events = _event_pairs(a, companies)
    report.scores["events"] = _add(report.scores["events"], _match_sets(pred_events, gold_events))
    problems = {
        "companies": {"extra": extra_c, "missed": missed_c}, "org_other": {"extra": extra_o, "missed": missed_o},
        "regions": {"extra": sorted({r.key for r in a.regions} - set(gold.get("regions", []))),
                    "missed": sorted(set(gold.get("regions", [])) - {r.key for r in a.regions})},
        "categories": {"extra": sorted({c.key for c in a.categories} - set(gold.get("categories", []))),
                       "missed": sorted(set(gold.get("categories", [])) - {c.key for c in a.categories})},
        "events": {"extra": sorted(pred_events - gold_events), "missed": sorted(gold_events - pred_events)},
    }
    if "relevant" in gold:
        report.relevance.add(a.relevant, bool(gold["relevant"]))
        if a.relevant != bool(gold["relevant"]):
            problems["relevant"] = {"extra": [a.relevance] if a.relevant else [], "missed": [] if a.relevant else
                                    [a.relevance]}
    problems = {k: v for k, v in problems.items() if v["extra"] or v["missed"]}
    if problems:
        report.errors.append({"id": gold.get("id"), **problems})


def _add(a: Score, b: Score) -> Score:
    return Score(a.tp + b.tp, a.fp + b.fp, a.fn + b.fn)


def evaluate(items: Iterable[dict[str, Any]], adapt: Callable[[Analysis], Analysis] | None = None) -> Report:
    """Analyse each gold text (title + "\\n\\n" + text) and score it.

    Args:
        items: gold records as in DESIGN.md.
        adapt: applied to each analysis before scoring (a gold set with other conventions).

    Returns:
        Micro-averaged scores per field and the per-text differences.
    """
    items = list(items)
    texts = [compose(i.get("title"), i["text"]) for i in items]
    ends = [len(i["title"]) if i.get("title") else 0 for i in items]
    report = Report()
    for item, analysis in zip(items, analyze_many(texts, ends), strict=True):
        score_one(adapt(analysis) if adapt else analysis, item, report)
        report.texts += 1
    return report
