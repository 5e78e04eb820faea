"""Run every extractor over texts in batches: the library behind `avtomon analyze` and `extract`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from avtomon.extractors.categories import find_categories
from avtomon.extractors.companies import find_organizations, org_matches
from avtomon.extractors.events import find_events
from avtomon.extractors.nlp import NLP, Parsed, get_nlp
from avtomon.extractors.persons import find_persons
from avtomon.extractors.places import find_regions
from avtomon.extractors.records import Analysis, EntityHit
from avtomon.extractors.relevance import relevance
from avtomon.extractors.resources import Resources, get_resources

BATCH = 32


def compose(title: str | None, text: str) -> str:
    """The analysed text of an article: title + blank line + text (offsets refer to this)."""
    return f"{title}\n\n{text}" if title else text


def analyze_parsed(nlp: NLP, res: Resources, parsed: Parsed, title_end: int = 0,
                   tags: tuple[str, ...] = ()) -> Analysis:
    places = res.regions.find(parsed.tokens)  # once: organisations («мэрия Москвы») and regions use them
    companies, organizations, claimed = find_organizations(nlp, parsed, res, places)
    # the adjective of a newspaper's or a bank's name is no place of the news («Самарское обозрение»)
    named = [(m.start, m.end) for o in organizations if o.org_kind in ("media", "finance") for m in o.mentions]
    regions = find_regions(parsed, res, claimed, places, named)
    categories, passing, cat_trace = find_categories(parsed, res, claimed, companies, title_end)
    persons = find_persons(nlp, parsed, claimed)
    events, event_trace = find_events(parsed, res, companies, regions, categories, title_end, organizations)
    gazetteer = len({m.payload.key for m in org_matches(parsed, res) if m.payload.entity == "company"})
    score, relevant = relevance(parsed, companies, categories, events, tags, passing=len(passing), named=gazetteer)
    if not relevant:
        # a text outside the auto industry has no categories and no events (data/ANNOTATION.md), and a
        # name outside the gazetteer in it is not taken for an auto company
        passing, categories, events = [*categories, *passing], [], []
        organizations += [_as_organization(c) for c in companies if not c.known]
        companies = [c for c in companies if c.known]
    by_first = lambda h: min(m.start for m in h.mentions)  # noqa: E731
    return Analysis(companies=sorted(companies, key=by_first), organizations=sorted(organizations, key=by_first),
                    regions=sorted(regions, key=by_first), categories=sorted(categories, key=by_first),
                    passing=sorted(passing, key=by_first), persons=sorted(persons, key=by_first), events=events,
                    relevance=score, relevant=relevant,
                    trace={"categories": cat_trace, "events": event_trace})


def _as_organization(hit: EntityHit) -> EntityHit:
    return EntityHit("organization", hit.key, hit.name, hit.mentions, hit.known, "other")


def analyze_many(texts: Iterable[str], title_ends: Sequence[int] | None = None, batch: int = BATCH,
                 tags: Sequence[tuple[str, ...]] | None = None) -> list[Analysis]:
    """Analyse texts in batches (NER runs batched, the heavy part).

    Args:
        texts: the texts, each analysed exactly as given (offsets index into it).
        title_ends: per text, where its title ends (0 if none), to find the article's main company.
        batch: texts per NER batch.
        tags: per text, the tags of the feed it came from (an auto feed lowers the bar for `relevant`).

    Returns:
        One Analysis per text, in order.
    """
    nlp, res = get_nlp(), get_resources()
    texts = list(texts)
    ends = list(title_ends) if title_ends is not None else [0] * len(texts)
    all_tags = list(tags) if tags is not None else [()] * len(texts)
    out: list[Analysis] = []
    for i in range(0, len(texts), batch):
        chunk = zip(nlp.parse_many(texts[i : i + batch]), ends[i : i + batch], all_tags[i : i + batch], strict=True)
        for parsed, end, feed_tags in chunk:
            out.append(analyze_parsed(nlp, res, parsed, end, feed_tags))
    return out


def analyze_text(text: str, title_end: int = 0) -> Analysis:
    """Analyse one text."""
    return analyze_many([text], [title_end])[0]
