"""Companies and other organisations: gazetteers first, then names as the news writes them, then natasha.

The gazetteer beats the NER type: natasha reads «Автотор» as a person in the reference article, and
a place-named company («Урал») as a location. A brand counts as its owner («продажи Lada» are
АвтоВАЗ's) and a name that only stands for goods («Kia Rio», «автобусы ПАЗ») is not a company of the
text. A name outside the gazetteer becomes a company or an organisation by its descriptor («завод
«Х»», «банк «Х»») or the words around it; places, products and works are never organisations.
"""

from __future__ import annotations

import re

from avtomon.extractors.gazetteer import Match
from avtomon.extractors.names import (
    PLACE_TAILS,
    PRODUCT_HEADS,
    PlaceNames,
    QuotedName,
    before_quotes,
    bracket_alias,
    generic_plant,
    quoted_names,
    toponym_shaped,
)
from avtomon.extractors.nlp import NLP, Parsed, fold, get_nlp
from avtomon.extractors.normalize import nominative_org, quoted_name, strip_legal
from avtomon.extractors.orgspans import (
    after_descriptor,
    clean_span,
    extend_with_place,
    local_governments,
    mention,
    not_an_org,
)
from avtomon.extractors.records import EntityHit, Mention
from avtomon.extractors.relevance import evidence
from avtomon.extractors.resources import OrgEntry, Resources
from avtomon.extractors.roles import HOLDER_WORDS, Role, builds_for, mention_roles, previous_words, token_spans
from avtomon.extractors.unknown import Unknown, classify_unknowns

CONTEXT_TOKENS = 3
AUTO_TEXT = 1.0  # relevance evidence above which an unknown name with no cue is taken for a company
# «ФК «КАМАЗ»», «хоккейный клуб «Торпедо»»: a club named after a plant is not the plant
SPORT_CUES = {"фк", "хк", "клуб", "футбольный", "хоккейный", "баскетбольный", "волейбольный", "команда",
              "болельщик", "игрок", "нападающий", "защитник", "вратарь"}
# an investor or holding is a company of the text only where it owns, buys or sells a business
OWNERSHIP = {"купить", "продать", "приобрести", "выкупить", "покупка", "продажа", "сделка", "доля", "акция",
             "акционер", "владелец", "собственник", "принадлежать", "входить", "входящий", "дочерний", "дочка",
             "портфельный", "контроль", "капитал", "инвестор", "вложить", "инвестировать", "совладелец",
             "владеть", "пакет", "совместный", "отойти", "перейти", "банкротство", "структура"}


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _inside_full_name(nlp: NLP, parsed: Parsed, m: Mention) -> bool:
    """«Эдуард Мишлен» is a person: a PER span that adds a first name to the match wins over the gazetteer."""
    for span in parsed.ner:
        if span.type == "PER" and span.start <= m.start and m.end <= span.end and (
                span.end - span.start > m.end - m.start):
            rest = parsed.text[span.start : m.start] + " " + parsed.text[m.end : span.end]
            if any("Name" in p.tag for w in rest.split() for p in nlp.parses(w)[:2]):
                return True
    return False


def _sports_club(parsed: Parsed, first: int) -> bool:
    """True if the words just before a company name make it a sports club."""
    before = [t for t in parsed.tokens[max(0, first - CONTEXT_TOKENS) : first] if t.sent == parsed.tokens[first].sent]
    return any(t.lemma in SPORT_CUES for t in before)


class Found:
    """Companies and organisations found so far, and the character ranges they claim."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], EntityHit] = {}
        self.claimed: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return not any(_overlaps(start, end, a, b) for a, b in self.claimed)

    def add(self, entity: str, key: str, name: str, m: Mention, known: bool, kind: str | None,
            company_kind: str | None = None, parent: str | None = None) -> EntityHit:
        hit = self.by_key.setdefault((entity, key), EntityHit(entity, key, name, known=known, org_kind=kind,
                                                              company_kind=company_kind, parent=parent))
        if all(x.start != m.start for x in hit.mentions):
            hit.mentions.append(m)
        self.claimed.append((m.start, m.end))
        return hit

    def add_entry(self, entry: OrgEntry, m: Mention) -> EntityHit:
        """A gazetteer entry: known."""
        if entry.entity == "organization":
            return self.add("organization", entry.key, entry.name, m, True, entry.kind)
        return self.add("company", entry.key, entry.name, m, True, None, entry.kind, entry.parent)


def _inside_non_org(quoted: list[QuotedName], m: Mention, company: bool) -> bool:
    """A gazetteer name quoted after a product, work or place word: «грузовик «Урал»», «форум «Иннопром»»,
    «технопарк «Сколково»» (a company quoted after a place word is the owner of the place)."""
    classes = ("product", "work") if company else ("product", "work", "place")
    return any(q.cls in classes and q.start - 1 <= m.start and m.end <= q.end + 1 for q in quoted)


def _work_before(parsed: Parsed, first: int) -> bool:
    """«на выставке COMTRANS», «форум «Транспорт Сибири»»: an event, not the organisation it is named after."""
    from avtomon.extractors.names import WORK_HEADS

    j = before_quotes(parsed, first)
    # «чемпионат КХЛ» is the league's championship: only a quoted or Latin name is the event's own name
    named = j < first - 1 or parsed.tokens[first].text[:1].isascii()
    return named and j >= 0 and parsed.tokens[j].sent == parsed.tokens[first].sent and parsed.tokens[
        j].lemma in WORK_HEADS


LOCATIVE = {"в", "во", "на", "территория", "из"}


def _used_as_place(parsed: Parsed, first: int) -> bool:
    """«в Кремле», «на территории ОЭЗ «Алабуга»»: a name that is also a place, used as a place."""
    j = before_quotes(parsed, first)
    window = [parsed.tokens[k].lemma for k in range(max(0, j - 3), j + 1) if parsed.tokens[k].sent ==
              parsed.tokens[first].sent]
    return bool(window) and (window[-1] in LOCATIVE or "территория" in window)


def _inside_longer_quote(quoted: list[QuotedName], m: Mention) -> bool:
    """«Вести Ульяновск»: the gazetteer's «Вести» is only part of the quoted name."""
    return any(q.start <= m.start and m.end <= q.end and (q.end - q.start) > (m.end - m.start) + 2
               and q.cls not in ("product", "work", "place") for q in quoted)


def _unquoted(parsed: Parsed, m: Match) -> tuple[int, int]:
    """The mention of a gazetteer match without the quotes a quoted alias («Урал») takes in."""
    first, last = m.start, m.end - 1
    while first < last and parsed.tokens[first].text in ("«", "„", "“", '"'):
        first += 1
    while last > first and parsed.tokens[last].text in ("»", "”", '"'):
        last -= 1
    return parsed.tokens[first].start, parsed.tokens[last].end


def _inside_longer_org(parsed: Parsed, m: Match, ner_orgs: list[tuple[int, int]]) -> bool:
    """«Министерство сельского хозяйства и пищевой промышленности»: a longer name natasha found, starting
    where a gazetteer organisation does, is an organisation of its own (companies always win)."""
    if m.payload.entity != "organization":
        return False
    start, end = parsed.tokens[m.start].start, parsed.tokens[m.end - 1].end
    return any(a == start and b > end and len(parsed.text[end:b].split()) >= 2 and "\n" not in parsed.text[a:b]
               for a, b in ner_orgs)


def _with_region(parsed: Parsed, res: Resources, entry: OrgEntry, m: Match, regions: list[Match]) -> str | None:
    """«Фонд развития промышленности» + «Челябинской области»: a public body of a region is an
    organisation of its own; returns the region's words as written, or None."""
    if entry.entity != "organization" or entry.kind not in ("government", "finance"):
        return None
    for r in regions:
        if r.start == m.end and r.payload.source in ("name", "alias") and parsed.tokens[r.start].sent == \
                parsed.tokens[m.start].sent:
            return parsed.text[parsed.tokens[r.start].start : parsed.tokens[r.end - 1].end]
    return None


SUFFIX_WORDS = {"мотор", "моторс", "motor", "motors", "мануфактуринг", "мануфэкчуринг", "мэнуфэкчуринг",
                "manufacturing", "груп", "групп", "group", "рус", "rus", "russia", "россия", "снг", "cis", "трейдинг",
                "trading", "тракс", "trucks", "сервис", "service"}
FINAL_SUFFIX = {"рус", "rus", "russia", "россия", "снг", "cis"}


def _subsidiary(parsed: Parsed, m: Match) -> int | None:
    """«Volkswagen Group Rus», «Хендэ Мотор Мануфактуринг Рус»: a maker's name with the words of a
    Russian subsidiary after it; returns the token index where that name ends."""
    j, last = m.end, None
    while j < len(parsed.tokens) and parsed.tokens[j].sent == parsed.tokens[m.start].sent and j - m.end < 4:
        word = fold(parsed.tokens[j].text)
        if word not in SUFFIX_WORDS:
            break
        j += 1
        if word in FINAL_SUFFIX:
            last = j
    return last


RUSSIA = re.compile(r"^(Росси[ия]|РФ|Российской Федерации)$")


def _foreign_place(parsed: Parsed, entry: OrgEntry, mm: Mention) -> tuple[int, int] | None:
    """The natasha LOC span right after a public body of the gazetteer («МИД» + «РФ», «Генеральная
    прокуратура» + «ОАЭ»), when the gazetteer has no region for it."""
    if entry.entity != "organization" or entry.kind not in ("government", "finance"):
        return None
    for loc in parsed.ner:
        if loc.type == "LOC" and 0 <= loc.start - mm.end <= 1 and parsed.text[mm.end : loc.start].strip() == "":
            return loc.start, loc.end
    return None


def org_matches(parsed: Parsed, res: Resources) -> list[Match]:
    """The gazetteer's organisation names in the text, found once per text and gazetteer (companies and
    relevance ask; a parsed text may be met again with a user's companies.yaml in force)."""
    key = ("orgs", id(res))
    if key not in parsed.memo:
        parsed.memo[key] = res.orgs.find(parsed.tokens)
    return parsed.memo[key]


def _from_gazetteers(nlp: NLP, parsed: Parsed, res: Resources, found: Found, quoted: list[QuotedName],
                     regions: list[Match], unknown: Unknown) -> None:
    hits, surnames = [], set()
    ner_orgs = [(s.start, s.end) for s in parsed.ner if s.type == "ORG"]
    for m in org_matches(parsed, res):
        start, end = _unquoted(parsed, m)
        mm = Mention(start, end, parsed.text[start:end])
        if _inside_longer_quote(quoted, mm) or _inside_longer_org(parsed, m, ner_orgs):
            continue
        if _inside_full_name(nlp, parsed, mm):
            surnames.add(m.payload.key)  # «Джеффри Уильямс»: the person, here and wherever the text says «Уильямс»
            continue
        if _inside_non_org(quoted, mm, m.payload.entity == "company") or _work_before(parsed, m.start) or (
                m.payload.place and _used_as_place(parsed, m.start)):
            found.claimed.append((start, end))
            continue
        hits.append((m, mm))
    hits = [(m, mm) for m, mm in hits if m.payload.key not in surnames or parsed.text[mm.start - 1 : mm.start] == "«"]
    # one sense per text: if «КАМАЗ» is a football club once, the bare «КАМАЗ» in the title is too
    clubs = {m.payload.key for m, _ in hits if m.payload.entity == "company" and _sports_club(parsed, m.start)}
    for match, mm in hits:
        entry: OrgEntry = res.resolve_brand(match.payload)
        sub = _subsidiary(parsed, match) if entry.entity == "company" else None
        if sub is not None:
            end = parsed.tokens[sub - 1].end
            name = parsed.text[mm.start : end]
            unknown.add(name, Mention(mm.start, end, name), "company")
            found.claimed.append((mm.start, end))
            continue
        if match.payload.entity == "company" and match.payload.key in clubs:
            # the club bears the brand as the text writes it, not the plant's name: «ХК «Лада»», «ФК «Урал»»
            club = quoted_name(nlp, match.payload.name) or nominative_org(nlp, mm.text.strip("«»"))
            found.add("organization", f"club-{match.payload.key}", club, mm, True, "other")
            continue
        place = _with_region(parsed, res, entry, match, regions)
        loc = _foreign_place(parsed, entry, mm) if not place else None
        if loc is not None:
            full = parsed.text[mm.start : loc[1]]
            if RUSSIA.match(parsed.text[loc[0] : loc[1]]):  # «МИД РФ», «МЧС России»: the same federal body
                found.add_entry(entry, Mention(mm.start, loc[1], full))
            else:  # «Министерство сельского хозяйства Германии»: another country's body
                name = f"{nominative_org(nlp, mm.text)} {parsed.text[loc[0] : loc[1]]}"
                found.add("organization", fold(name), name, Mention(mm.start, loc[1], full), False, entry.kind)
            continue
        if place:
            full = parsed.text[mm.start : parsed.text.index(place, mm.end) + len(place)]
            name = f"{entry.name} {place}"
            found.add("organization", fold(name), name, Mention(mm.start, mm.start + len(full), full), False,
                      entry.kind)
            continue
        found.add_entry(entry, mm)


def _from_quoted(nlp: NLP, parsed: Parsed, res: Resources, found: Found, quoted: list[QuotedName],
                 unknown: Unknown, places: PlaceNames) -> None:
    """Names in quotes after a descriptor; product, work and place names are claimed and dropped."""
    for q in quoted:
        if not found.free(q.start, q.end):
            continue
        if q.cls in ("product", "work", "place") or places.has(q.text):
            found.claimed.append((q.start, q.end))
            continue
        if q.cls == "none":
            continue  # no descriptor: natasha decides whether it is an organisation at all
        entry = res.alias_index.get(fold(strip_legal(q.text)))
        m = Mention(q.start, q.end, q.text)
        if entry is not None:
            found.add_entry(res.resolve_brand(entry), m)
            continue
        found.claimed.append((q.start, q.end))
        unknown.add(q.text, m, q.cls)
        alias = bracket_alias(parsed.text, q.end + 1)
        if alias:
            unknown.alias(q.text, Mention(alias[0], alias[1], parsed.text[alias[0] : alias[1]]))
            found.claimed.append(alias)


def _region_name(parsed: Parsed, places: list[Match], start: int, end: int) -> bool:
    """An ORG span that is exactly a town or region of the gazetteer («Шушары», «Калуга»)."""
    return any(parsed.tokens[m.start].start == start and parsed.tokens[m.end - 1].end == end for m in places)


_MODEL_NAME = re.compile(r"^[A-ZА-ЯЁ][\w]*-\d[\w-]*$")  # «КАМАЗ-43118», «ЛиАЗ-6274»: a model
_EVENT_NAME = re.compile(r"(show|expo|forum|форум|выставк\w*|фестивал\w*|конференци\w*|шоу)$", re.I)
_PREPOSITION_INSIDE = re.compile(r"^\S+\s(из)\s")  # «Фонд из ОАЭ»: a description, not a name


def _not_a_name(nlp: NLP, parsed: Parsed, res: Resources, start: int, end: int, name: str) -> bool:
    """Model names, places, venues, and descriptions such as «Фонд из ОАЭ» or «Калужский завод»."""
    surface = parsed.text[start:end].strip("«»\" ")
    if surface in res.models or name in res.models or surface.split()[0] in res.models:
        return True
    if any(w in res.models for w in surface.split()[1:]) or _EVENT_NAME.search(surface):
        return True  # «Лады Искра», «Moscow Auto Show»
    if _MODEL_NAME.match(surface) or PLACE_TAILS.search(surface) or _PREPOSITION_INSIDE.search(name):
        return True
    idx = parsed.token_range(start, end)
    words = [parsed.tokens[i] for i in idx if parsed.tokens[i].text not in ("«", "»")]
    if generic_plant([w.text for w in words], [w.lemma for w in words]):
        return True
    j = before_quotes(parsed, idx[0]) if len(idx) else -1
    # «под тикером LEAS», «двигатели Gamma»: a name right after a product word is a product
    return j >= 0 and parsed.tokens[j].sent == parsed.tokens[idx[0]].sent and parsed.tokens[j].lemma in (
        PRODUCT_HEADS | {"тикер", "код", "индекс", "хештег"})


def _widen_to_quote(quoted: list[QuotedName], start: int, end: int) -> tuple[int, int]:
    """A NER span inside a quoted name without descriptor takes the whole name: «Вести Ульяновск»."""
    for q in quoted:
        if (q.cls in ("none", "legal") and q.start <= start < q.end and end <= q.end + 1 and q.text[:1].isupper()
                and len(q.text.split()) <= 4):
            return q.start, q.end
    return start, end


def _company_not_person(parsed: Parsed, start: int, end: int) -> bool:
    """«компания Ковалент Моторс» tagged PER: a descriptor before it or a company word in it make it a company."""
    from avtomon.extractors.unknown import SUBSIDIARY

    i = parsed.start_index.get(start)
    before = parsed.tokens[i - 1].text.lower() if i else ""  # nominative only: «президент компании Бу Андерссон»
    if bool(SUBSIDIARY.search(parsed.text[start:end])):
        return True
    return before in {"компания", "концерн", "производитель", "автопроизводитель", "стартап", "дистрибьютор",
                      "холдинг"} and not any(get_nlp().person_word(w) for w in parsed.text[start:end].split())


def _from_ner(nlp: NLP, parsed: Parsed, res: Resources, found: Found, unknown: Unknown, places: PlaceNames,
              regions: list[Match], quoted: list[QuotedName]) -> None:
    """natasha's ORG spans: gazetteer aliases written another way are added; the rest are unknown names."""
    for span in parsed.ner:
        if span.type != "ORG" and not (span.type == "PER" and _company_not_person(parsed, span.start, span.end)):
            continue
        start, end = clean_span(parsed.text, span.start, span.end)
        start, end = _widen_to_quote(quoted, start, end)
        if end <= start or not found.free(start, end):
            continue
        abbr = None
        m = re.search(r"\s*\(([^()]{2,12})\)$", parsed.text[start:end])
        if m:  # «Завод аккумуляторных батарей (ЗАКБ)»: the bracket is an alias
            abbr = (start + m.start(1), start + m.end(1))
            end = start + m.start()
        end = extend_with_place(parsed, start, end)
        surface = parsed.text[start:end]
        if not_an_org(parsed, start, end, res) or _region_name(parsed, regions, start, end):
            continue
        if places.has(surface) or toponym_shaped(parsed, start, end):
            continue
        name = surface if after_descriptor(parsed, start, end) else nominative_org(nlp, surface)
        if not strip_legal(name) or len(name) < 2 or _not_a_name(nlp, parsed, res, start, end, name):
            continue
        entry = res.alias_index.get(fold(strip_legal(name))) or res.alias_index.get(fold(strip_legal(surface)))
        if entry is not None:
            found.add_entry(res.resolve_brand(entry), mention(parsed, start, end))
            continue
        found.claimed.append((start, end))
        unknown.add(name, mention(parsed, start, end), None)
        if abbr:
            unknown.alias(name, Mention(abbr[0], abbr[1], parsed.text[abbr[0] : abbr[1]]))


def _owner_after_name(parsed: Parsed, m: Mention) -> bool:
    i = parsed.start_index.get(m.start)
    if i is None:
        return False
    prev = previous_words(parsed, i, 2)
    return len(prev) == 2 and parsed.tokens[prev[0]].lemma in HOLDER_WORDS and parsed.tokens[prev[0]].text.lower() \
        != parsed.tokens[prev[0]].lemma and parsed.tokens[prev[1]].text[:1].isupper()


def _investors(parsed: Parsed, found: Found) -> None:
    """A holding or investor is a company only where it owns, buys or sells an auto business; elsewhere
    («структуры «Ростеха»» behind a road-toll operator) it is another organisation."""
    auto = [h for (e, _), h in found.by_key.items() if e == "company" and h.company_kind != "investor"]
    for (entity, key), hit in list(found.by_key.items()):
        if entity != "company" or hit.company_kind != "investor":
            continue
        sentences = {parsed.tokens[parsed.start_index[m.start]].sent for m in hit.mentions
                     if m.start in parsed.start_index}
        owning = any(not OWNERSHIP.isdisjoint(parsed.tokens[i].forms) for si in sentences
                     for i in parsed.token_range(parsed.sentences[si].start, parsed.sentences[si].end))
        # «завод «Нижнекамскшина» компании «Татнефть»»: the owner in the genitive after another name
        owning = owning or any(_owner_after_name(parsed, m) for m in hit.mentions)
        if owning and auto:
            continue
        del found.by_key[(entity, key)]
        org = EntityHit("organization", key, hit.name, hit.mentions, True, "finance" if "фонд" in fold(hit.name)
                        else "other")
        found.by_key[("organization", key)] = org


def _drop_goods(parsed: Parsed, res: Resources, found: Found) -> None:
    """A company named only as goods («Kia Rio», «автобусы ПАЗ», «под маркой «Москвич»») is not one of the
    text; nor an aircraft maker named only in «Boeing 737»."""
    hits = [h for h in found.by_key.values() if h.kind == "company" or h.org_kind == "other"]
    spans = token_spans(parsed, hits)
    roles = mention_roles(parsed, spans, res.models)
    acting = {(h.kind, h.key) for (_, _, h), role in zip(spans, roles, strict=True) if not role.goods}
    acting |= _contract_brands(parsed, res, spans, roles)
    for ident in {(h.kind, h.key) for _, _, h in spans} - acting:
        del found.by_key[ident]


def _contract_brands(parsed: Parsed, res: Resources, spans: list[tuple[int, int, EntityHit]], roles: list[Role]
                     ) -> set[tuple[str, str]]:
    """«На «Автоторе» начался выпуск автомобилей марки BAIC»: a brand another maker starts building is its
    contract-assembly partner (data/ANNOTATION.md), not goods. Only at a start of production told as
    news, with the assembler named before the brand."""
    from avtomon.extractors.triggers import find_triggers, latest_year, starts_production

    if not any(role.goods and role.branded for role in roles):
        return set()  # the common case: no brand named as goods
    latest = latest_year(parsed)
    starts = {t.sent for t in find_triggers(parsed, res) if starts_production(parsed, t, latest)}
    keep = set()
    for (a, _, brand), role in zip(spans, roles, strict=True):
        sent = parsed.tokens[a].sent
        if not (role.goods and role.branded and brand.kind == "company" and sent in starts):
            continue
        if any(parsed.tokens[a2].sent == sent and a2 < a and not role2.goods and not role2.owned
               and builds_for(maker, brand) for (a2, _, maker), role2 in zip(spans, roles, strict=True)):
            keep.add((brand.kind, brand.key))
    return keep


def find_organizations(nlp: NLP, parsed: Parsed, res: Resources, places: list[Match]
                       ) -> tuple[list[EntityHit], list[EntityHit], list[tuple[int, int]]]:
    """Companies and organisations with mentions, plus the character ranges they claimed.

    `places` are the text's region gazetteer matches (found once per text, shared with find_regions).

    Returns:
        (companies, organizations, claimed ranges) — the ranges let persons and regions step aside.
    """
    found = Found()
    unknown = Unknown()
    quoted = quoted_names(nlp, parsed)
    place_names = PlaceNames(parsed, quoted)
    _from_gazetteers(nlp, parsed, res, found, quoted, places, unknown)
    _from_quoted(nlp, parsed, res, found, quoted, unknown, place_names)
    _from_ner(nlp, parsed, res, found, unknown, place_names, places, quoted)
    known = sum(1 for (e, _), h in found.by_key.items() if e == "company" and h.company_kind != "investor")
    classify_unknowns(nlp, parsed, unknown, found, evidence(parsed.tokens, known, 0) >= AUTO_TEXT)
    for start, end, name in local_governments(nlp, parsed, places, res.region_names):
        if found.free(start, end):
            found.add("organization", fold(name), name, Mention(start, end, parsed.text[start:end]), False,
                      "government")
    _investors(parsed, found)
    _drop_goods(parsed, res, found)
    companies = [h for (e, _), h in found.by_key.items() if e == "company"]
    organizations = [h for (e, _), h in found.by_key.items() if e == "organization"]
    return companies, organizations, found.claimed
