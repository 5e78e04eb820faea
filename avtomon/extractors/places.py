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


# «Московской, Тверской и Ленинградской областей»: a city's adjective in a list of oblasts is the oblast's
OBLAST_OF = {"RU-MOW": "RU-MOS", "RU-SPE": "RU-LEN"}
OBLAST_WORDS = {"область", "обл"}


def _oblast_list(parsed: Parsed, adjective: int) -> bool:
    """True if the adjective at token `adjective` is one of a list that ends in «области/областей»."""
    sent = parsed.tokens[adjective].sent
    for token in parsed.tokens[adjective + 1 : adjective + 12]:
        if token.sent != sent:
            return False
        if token.lemma in OBLAST_WORDS:
            return True
        if token.text not in (",", "и") and not token.lemma.endswith(("ский", "цкий", "ской")):
            return False
    return False


def _skip(parsed: Parsed, m: Match, span: tuple[int, int], orgs: list[tuple[int, int]]) -> bool:
    """«под Петербургом» (near it, not in it); an adjective that is part of an organisation's name
    («Московская биржа», «Самарское обозрение») or of a quoted name (the station «Московская»)."""
    entry: RegionEntry = m.payload
    prev = parsed.tokens[m.start - 1] if m.start else None
    if prev is not None and prev.sent == parsed.tokens[m.start].sent:
        if prev.text.lower() == "под" and entry.source != "adjective":
            return True
        if entry.source == "adjective" and prev.text in ("«", "„", "“"):
            return True
    return entry.source == "adjective" and any(a <= span[0] and span[1] <= b for a, b in orgs)


def find_regions(parsed: Parsed, res: Resources, companies: list[tuple[int, int]], places: list[Match],
                 orgs: list[tuple[int, int]] = ()  # type: ignore[assignment]
                 ) -> list[EntityHit]:
    """Regions with mentions, from the text's region gazetteer matches `places`.

    A city named like a person (Королёв, Чехов, Владимир) is dropped where natasha sees a person;
    a weak name (Волжский) is dropped inside a company name (Волжский автомобильный завод); `orgs` are
    the spans of media and financial organisations (their adjectives name no place of the news).
    """
    persons = [(s.start, s.end) for s in parsed.ner if s.type == "PER"]
    hits: dict[str, EntityHit] = {}
    for m in places:
        entry: RegionEntry = m.payload
        span = (parsed.tokens[m.start].start, parsed.tokens[m.end - 1].end)
        # «Владимир», «Королёв» may be natasha's right person; «Татарстану» tagged PER is its slip
        if any(_overlaps(span, p) for p in persons) and (
                m.strict or res.nlp.person_word(parsed.tokens[m.start].text, top=3)):
            continue
        if entry.weak and any(_overlaps(span, c) for c in companies):
            continue
        if entry.source == "adjective" and _names_a_street(parsed, m.end - 1):
            continue
        if _skip(parsed, m, span, list(orgs)):
            continue
        code = entry.code
        if entry.source == "adjective" and code in OBLAST_OF and _oblast_list(parsed, m.end - 1):
            code = OBLAST_OF[code]
        hit = hits.setdefault(code, EntityHit("region", code, res.region_names[code]))
        hit.mentions.append(Mention(span[0], span[1], parsed.text[span[0] : span[1]]))
    return list(hits.values())
