"""Persons from natasha PER spans, in the nominative, with surname-only mentions merged."""

from __future__ import annotations

from avtomon.extractors.nlp import NLP, Parsed, fold
from avtomon.extractors.normalize import nominative_person
from avtomon.extractors.records import EntityHit, Mention


def find_persons(nlp: NLP, parsed: Parsed, claimed: list[tuple[int, int]]) -> list[EntityHit]:
    """Persons not claimed by the company gazetteer (natasha tags «Автотор» as PER)."""
    hits: dict[str, EntityHit] = {}
    for span in parsed.ner:
        if span.type != "PER" or any(span.start < b and a < span.end for a, b in claimed):
            continue
        name = nominative_person(nlp, span.text)
        key = fold(name)
        hit = hits.setdefault(key, EntityHit("person", key, name))
        hit.mentions.append(Mention(span.start, span.end, span.text))
    # «Щербаков» alone is the «Владимир Щербаков» named earlier or later in the text
    full = [h for h in hits.values() if " " in h.name]
    for key, hit in list(hits.items()):
        if " " in hit.name:
            continue
        owners = [f for f in full if fold(f.name.split(" ")[-1]) == key]
        if len(owners) == 1:
            owners[0].mentions.extend(hit.mentions)
            del hits[key]
    return list(hits.values())
