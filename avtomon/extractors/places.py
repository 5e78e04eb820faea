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


# «движение по мосту через Каму», «Крымский мост»: a bridge, not an axle (transmissions)
BRIDGE_BEFORE = {"по", "на", "железнодорожный", "пешеходный", "автомобильный", "вантовый", "разводной",
                 "подвесной", "арочный"}
BRIDGE_AFTER = {"через", "над"}


def _bridge(parsed: Parsed, start: int, end: int) -> bool:
    if end - start != 1 or parsed.tokens[start].lemma != "мост":
        return False
    prev = parsed.tokens[start - 1] if start else None
    nxt = parsed.tokens[end] if end < len(parsed.tokens) else None
    if nxt is not None and nxt.lemma in BRIDGE_AFTER:
        return True
    # a named bridge: «Крымский мост», «Керченский мост»
    return prev is not None and (prev.lemma in BRIDGE_BEFORE or prev.lemma.endswith(("ский", "цкий"))
                                 or (prev.text[:1].isupper() and not prev.first_in_sentence))


def find_categories(parsed: Parsed, res: Resources, companies: list[tuple[int, int]]) -> list[EntityHit]:
    """Product categories from lemma patterns of the taxonomy.

    A word that is a whole company name («Автокомпоненты») names the company, not the product.
    """
    hits: dict[str, EntityHit] = {}
    names = {parsed.text[a:b].strip("«»\"“”„ ") for a, b in companies}
    for m in res.categories.find(parsed.tokens):
        if _bridge(parsed, m.start, m.end):
            continue
        start, end = parsed.tokens[m.start].start, parsed.tokens[m.end - 1].end
        inside = any(a <= start and end <= b for a, b in companies)
        if inside and parsed.text[start:end] in names:
            continue
        for key in m.payload:
            hit = hits.setdefault(key, EntityHit("category", key, res.category_names[key]))
            hit.mentions.append(Mention(start, end, parsed.text[start:end]))
    return list(hits.values())
