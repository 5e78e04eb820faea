"""Events from trigger phrases in a sentence, attributed to a company of that sentence."""

from __future__ import annotations

from collections import defaultdict

from avtomon.extractors.nlp import Parsed
from avtomon.extractors.records import EntityHit, EventHit
from avtomon.extractors.resources import Resources, TriggerEntry

WINDOW = 8  # tokens around a trigger where its `with` words must appear
MULTI_COMPANY = {"partnership", "deal"}  # both sides of an agreement or a sale take part


def _by_sentence(parsed: Parsed, hits: list[EntityHit]) -> dict[int, list[tuple[int, EntityHit]]]:
    """Sentence index → (character offset, entity) for each mention."""
    starts = [s.start for s in parsed.sentences]
    out: dict[int, list[tuple[int, EntityHit]]] = defaultdict(list)
    for hit in hits:
        for m in hit.mentions:
            si = max(i for i, s in enumerate(starts) if s <= m.start) if starts else 0
            out[si].append((m.start, hit))
    return out


def _trigger_ok(parsed: Parsed, trig: TriggerEntry, first: int, last: int) -> bool:
    sent = parsed.tokens[first].sent
    lo, hi = max(0, first - WINDOW), min(len(parsed.tokens), last + WINDOW)
    near = {f for t in parsed.tokens[lo:hi] if t.sent == sent for f in t.forms}
    if trig.with_ and not (trig.with_ & near):
        return False
    return not (trig.without and trig.without & near)


def main_company(parsed: Parsed, companies: list[EntityHit], title_end: int) -> EntityHit | None:
    """The company of the title, else the one mentioned most."""
    if not companies:
        return None
    in_title = [c for c in companies if any(m.start < title_end for m in c.mentions)]
    pool = in_title or companies
    return max(pool, key=lambda c: (len(c.mentions), -min(m.start for m in c.mentions)))


def _nearest(candidates: list[tuple[int, EntityHit]], pos: int) -> EntityHit:
    before = [c for c in candidates if c[0] <= pos]
    if before:
        return max(before, key=lambda c: c[0])[1]
    return min(candidates, key=lambda c: c[0])[1]


def find_events(parsed: Parsed, res: Resources, companies: list[EntityHit], regions: list[EntityHit],
                categories: list[EntityHit], title_end: int = 0) -> list[EventHit]:
    """One event per (type, sentence, company)."""
    comp_s, reg_s, cat_s = (_by_sentence(parsed, x) for x in (companies, regions, categories))
    main = main_company(parsed, companies, title_end)
    seen: set[tuple[str, int, str | None]] = set()
    events: list[EventHit] = []
    for m in res.events.find(parsed.tokens):
        trig: TriggerEntry = m.payload
        if not _trigger_ok(parsed, trig, m.start, m.end):
            continue
        si = parsed.tokens[m.start].sent
        pos = parsed.tokens[m.start].start
        in_sentence = comp_s.get(si, [])
        if trig.type in MULTI_COMPANY and in_sentence:
            actors = list(dict.fromkeys(h.key for _, h in in_sentence))
            chosen = [next(h for _, h in in_sentence if h.key == k) for k in actors]
        elif in_sentence:
            chosen = [_nearest(in_sentence, pos)]
        else:
            chosen = [main] if main else [None]  # type: ignore[list-item]
        sentence = parsed.sentences[si]
        region = reg_s[si][0][1].key if reg_s.get(si) else None
        cats = tuple(dict.fromkeys(h.key for _, h in sorted(cat_s.get(si, []), key=lambda x: x[0])))
        for company in chosen:
            ident = (trig.type, si, company.key if company else None)
            if ident in seen:
                continue
            seen.add(ident)
            events.append(EventHit(trig.type, company.name if company else None, company.key if company else None,
                                   region, cats, sentence.start, sentence.end, sentence.text))
    return events
