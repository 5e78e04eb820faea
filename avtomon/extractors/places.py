"""Russian regions (ISO 3166-2:RU) from subject names, cities and towns, and adjectives."""

from __future__ import annotations

from avtomon.extractors.gazetteer import Match
from avtomon.extractors.nlp import Parsed
from avtomon.extractors.records import EntityHit, Mention
from avtomon.extractors.resources import RegionEntry, Resources


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# «Ленинградское шоссе», «Казанский вокзал», «Приморский район» Петербурга: the adjective names a
# street, a station or a district, not the region
NAMED_PLACES = {"район", "шоссе", "проспект", "улица", "переулок", "вокзал", "площадь", "бульвар", "набережная",
                "тракт", "проезд", "вал", "мост", "микрорайон"}


def _names_a_street(parsed: Parsed, adjective: int) -> bool:
    """True if the adjective at token `adjective` heads a street, station or district name.

    Coordinated adjectives are skipped: «в Приморском и Выборгском районах».
    """
    sent = parsed.tokens[adjective].sent
    for token in parsed.tokens[adjective + 1 : adjective + 6]:
        if token.sent != sent:
            return False
        if token.text in (",", "и") or token.lemma.endswith(("ский", "цкий", "ный", "ной", "ний")):
            continue
        return token.lemma in NAMED_PLACES
    return False


def find_regions(parsed: Parsed, res: Resources, companies: list[tuple[int, int]], places: list[Match]
                 ) -> list[EntityHit]:
    """Regions with mentions, from the text's region gazetteer matches `places`.

    A city named like a person (Королёв, Чехов, Владимир) is dropped where natasha sees a person;
    a weak name (Волжский) is dropped inside a company name (Волжский автомобильный завод).
    """
    persons = [(s.start, s.end) for s in parsed.ner if s.type == "PER"]
    hits: dict[str, EntityHit] = {}
    for m in places:
        entry: RegionEntry = m.payload
        span = (parsed.tokens[m.start].start, parsed.tokens[m.end - 1].end)
        if (entry.source in ("city", "alias") or m.strict) and any(_overlaps(span, p) for p in persons):
            continue
        if entry.weak and any(_overlaps(span, c) for c in companies):
            continue
        if entry.source == "adjective" and _names_a_street(parsed, m.end - 1):
            continue
        hit = hits.setdefault(entry.code, EntityHit("region", entry.code, res.region_names[entry.code]))
        hit.mentions.append(Mention(span[0], span[1], parsed.text[span[0] : span[1]]))
    return list(hits.values())
