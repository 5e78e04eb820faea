"""Score ORG / PER / LOC spans on factRuEval-2016 beside raw natasha, the way its README describes.

Gold: `Org` → ORG, `Person` → PER, `Location` and `LocOrg` → LOC; an object's span is the hull of
its name spans only (org_name, loc_name, name, surname, patronymic, nickname); objects without a
name span are skipped. Exact (type, start, end) matches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from avtomon.errors import AvtomonError
from avtomon.extractors.analyze import analyze_parsed
from avtomon.extractors.evaluate import Relevance, Score
from avtomon.extractors.nlp import adapt_ner_spans, get_nlp
from avtomon.extractors.resources import get_resources

NAME_SPANS = {"org_name", "loc_name", "name", "surname", "patronymic", "nickname"}
OBJECT_TYPES = {"Org": "ORG", "Person": "PER", "Location": "LOC", "LocOrg": "LOC"}
TYPES = ("ORG", "PER", "LOC")
Span = tuple[str, int, int]


@dataclass
class NerReport:
    ours: dict[str, Score] = field(default_factory=lambda: {t: Score() for t in TYPES})
    natasha: dict[str, Score] = field(default_factory=lambda: {t: Score() for t in TYPES})
    documents: int = 0
    relevance: Relevance | None = None  # when labels of auto-industry documents were given

    def table(self) -> list[list[object]]:
        rows = []
        for t in TYPES:
            a, b = self.natasha[t], self.ours[t]
            rows.append([t, round(b.precision, 3), round(b.recall, 3), round(b.f1, 3), round(a.precision, 3),
                         round(a.recall, 3), round(a.f1, 3), round(b.f1 - a.f1, 3)])
        return rows


def load_document(base: Path) -> tuple[str, set[Span]]:
    """The text of book_N and its gold spans."""
    text = base.with_suffix(".txt").read_text(encoding="utf-8")
    spans: dict[str, tuple[str, int, int]] = {}
    for line in base.with_suffix(".spans").read_text(encoding="utf-8").splitlines():
        parts = line.split("#")[0].split()
        if len(parts) >= 4:
            spans[parts[0]] = (parts[1], int(parts[2]), int(parts[2]) + int(parts[3]))
    gold: set[Span] = set()
    for line in base.with_suffix(".objects").read_text(encoding="utf-8").splitlines():
        parts = line.split("#")[0].split()
        if len(parts) < 3 or parts[1] not in OBJECT_TYPES:
            continue
        names = [spans[s] for s in parts[2:] if s in spans and spans[s][0] in NAME_SPANS]
        if names:
            gold.add((OBJECT_TYPES[parts[1]], min(s[1] for s in names), max(s[2] for s in names)))
    return text, gold


def _add(scores: dict[str, Score], predicted: set[Span], gold: set[Span]) -> None:
    for t in TYPES:
        p = {s for s in predicted if s[0] == t}
        g = {s for s in gold if s[0] == t}
        sc = scores[t]
        sc.tp += len(p & g)
        sc.fp += len(p - g)
        sc.fn += len(g - p)


def load_relevant_ids(path: str | Path) -> set[str]:
    """Document names (book_N) listed one a line; # starts a comment."""
    ids = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.add(line)
    return ids


def evaluate_factru(folder: str | Path, relevant_ids: set[str] | None = None) -> NerReport:
    """Score avtomon and raw natasha on every document of a factRuEval folder in one run.

    With `relevant_ids` (the documents about the auto industry), `relevant` is scored too.
    """
    folder = Path(folder)
    bases = sorted({p.with_suffix("") for p in folder.glob("*.objects")})
    if not bases:
        raise AvtomonError(f"{folder}: no factRuEval documents (*.txt, *.spans, *.objects) found")
    nlp, res = get_nlp(), get_resources()
    docs = [load_document(b) for b in bases]
    report = NerReport(documents=len(docs), relevance=Relevance() if relevant_ids is not None else None)
    # the baseline is natasha exactly as shipped: its own tokenisation, NewsNERTagger.map
    natasha = [adapt_ner_spans(m) for m in nlp.ner_tagger.map([t for t, _ in docs])]
    for base, (_text, gold), parsed, raw_spans in zip(bases, docs, nlp.parse_many([t for t, _ in docs]), natasha,
                                                       strict=True):
        raw = {(s.type, s.start, s.end) for s in raw_spans}
        _add(report.natasha, raw, gold)
        analysis = analyze_parsed(nlp, res, parsed)
        if report.relevance is not None and relevant_ids is not None:
            report.relevance.add(analysis.relevant, base.name in relevant_ids)
        ours: set[Span] = set()
        for hit in (*analysis.companies, *analysis.organizations):
            ours.update(("ORG", m.start, m.end) for m in hit.mentions)
        for hit in analysis.persons:
            ours.update(("PER", m.start, m.end) for m in hit.mentions)
        # avtomon keeps natasha's locations as they are (regions are a separate, coarser field)
        ours.update((s.type, s.start, s.end) for s in parsed.ner if s.type == "LOC")
        _add(report.ours, ours, gold)
    return report


def missed_orgs(folder: str | Path, limit: int = 50) -> dict[str, list[str]]:
    """Debugging aid: ORG spans avtomon got wrong, by kind (fp / fn), with their text."""
    out: dict[str, list[str]] = defaultdict(list)
    nlp, res = get_nlp(), get_resources()
    for base in sorted({p.with_suffix("") for p in Path(folder).glob("*.objects")}):
        text, gold = load_document(base)
        parsed = nlp.parse_many([text])[0]
        analysis = analyze_parsed(nlp, res, parsed)
        ours = {("ORG", m.start, m.end) for h in (*analysis.companies, *analysis.organizations) for m in h.mentions}
        g = {s for s in gold if s[0] == "ORG"}
        out["fp"].extend(text[s[1] : s[2]] for s in sorted(ours - g))
        out["fn"].extend(text[s[1] : s[2]] for s in sorted(g - ours))
    return {k: v[:limit] for k, v in out.items()}
