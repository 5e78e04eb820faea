"""Events from trigger phrases in a sentence, attributed to a company of that sentence.

Attribution prefers the company acting in the sentence: one named before the trigger, not one
that only marks the place («на заводе Volkswagen»), the owner («входящий в Группу ГАЗ»), a former
owner («бывший завод Volkswagen») or stands after a preposition («соглашение с японской Isuzu»). With
no company in the sentence the event goes to the article's main company, else to the company of an
event just before («Инвестиции составили…»); «новый владелец» is the buyer of the deal just before.
Agreements, deals and rankings name every party. A text reports each (type, company, region) once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from avtomon.extractors.nlp import Parsed
from avtomon.extractors.records import EntityHit, EventHit
from avtomon.extractors.resources import Resources, TriggerEntry

BEFORE, AFTER = 2, 4  # tokens around a trigger where its `with` / `without` words count
MULTI_COMPANY = {"partnership", "deal", "sales"}  # every party of an agreement, sale or ranking
PLACE_WORDS = {"завод", "площадка", "мощность", "предприятие", "территория", "конвейер", "производство", "база"}
OWNER_WORDS = {"входить", "входящий", "принадлежать", "принадлежащий", "дочерний", "подразделение"}
# «дилерский центр BMW»: the brand labels the place, it is not a party
LABEL_WORDS = {"центр", "салон", "автосалон", "шоурум"}
HOLDER_WORDS = {"компания", "холдинг", "группа", "концерн", "корпорация", "госкорпорация", "структура"}
QUOTES = {"«", "»", '"', "„", "“", "”"}
# «соглашение с японской Isuzu», «детали для Lada»: a company after a preposition is not the one acting
PREPOSITIONS = {"с", "со", "для", "у", "от", "к", "ко", "по", "о", "об", "при", "без", "против", "между"}
PRODUCT_WORDS = {"марка", "бренд", "модель", "автомобиль", "машина", "кроссовер", "седан", "внедорожник", "грузовик",
                 "автобус", "электромобиль", "фургон", "пикап", "тягач"}
FOLLOW_UP_SENTENCES = 2  # «Инвестиции составили 1,2 млрд рублей.» continues the sentence before


@dataclass(frozen=True)
class Actor:
    """A company mention in a sentence and the role its position suggests."""

    pos: int  # character offset
    token: int  # token index
    hit: EntityHit
    place: bool  # «на заводе X», «дилерский центр X», «бывший завод X»: X is where, not who
    owned: bool  # «входящий в X» / «завод холдинга X»: X owns the actor
    oblique: bool  # «с японской Isuzu»: X follows a preposition, it is not the subject
    former: bool  # «бывший завод Volkswagen»: X owned the place once; a party to a deal, never the actor
    joined: bool  # «Соллерс и Isuzu»: X is the second of two companies joined by «и»
    product: bool = False  # «95 тыс. кроссоверов Geely», «марок Chery»: X names what was made or sold


def _previous_words(parsed: Parsed, i: int, n: int) -> list[int]:
    out, j = [], i - 1
    while j >= 0 and len(out) < n and parsed.tokens[j].sent == parsed.tokens[i].sent:
        if parsed.tokens[j].text not in QUOTES:
            out.append(j)
        j -= 1
    return out


def _actor(parsed: Parsed, ti: int, pos: int, hit: EntityHit) -> Actor:
    prev = _previous_words(parsed, ti, 3)
    lemmas = [parsed.tokens[j].lemma for j in prev]
    place = bool(prev) and (lemmas[0] in LABEL_WORDS or any(
        lem in PLACE_WORDS and any(parsed.tokens[k].lemma == "на" for k in prev[n + 1 : n + 3])
        for n, lem in enumerate(lemmas[:2])))
    holder = bool(prev) and lemmas[0] in HOLDER_WORDS and parsed.tokens[prev[0]].text.lower() != lemmas[0]
    owned = any(lem in OWNER_WORDS for lem in lemmas) or holder
    # a preposition one or two words before the name: «с японской Isuzu», «для моделей Kaiyi»
    oblique = any(parsed.tokens[j].text.lower() in PREPOSITIONS for j in prev[:2])
    return Actor(pos, ti, hit, place, owned, oblique, former="бывший" in lemmas,
                 joined=bool(prev) and parsed.tokens[prev[0]].text == "и",
                 product=bool(prev) and lemmas[0] in PRODUCT_WORDS)


def _actors_by_sentence(parsed: Parsed, companies: list[EntityHit]) -> dict[int, list[Actor]]:
    index = parsed.start_index
    out: dict[int, list[Actor]] = defaultdict(list)
    for hit in companies:
        for m in hit.mentions:
            ti = index.get(m.start)
            if ti is None:
                continue
            out[parsed.tokens[ti].sent].append(_actor(parsed, ti, m.start, hit))
    for actors in out.values():
        actors.sort(key=lambda a: a.pos)
        # a list keeps the role of its first name: «по контрактам с BAIC, Kaiyi и Chery», «марок Chery,
        # Kaiyi и BAIC»
        for i in range(1, len(actors)):
            between = parsed.tokens[actors[i - 1].token + 1 : actors[i].token]
            if all(t.text in (",", "и", "«", "»") for t in between[-2:]) and (
                    actors[i].token - actors[i - 1].token <= 4):
                first = actors[i - 1]
                actors[i] = replace(actors[i], oblique=actors[i].oblique or first.oblique,
                                    product=actors[i].product or first.product)
    return out


def _first_by_sentence(parsed: Parsed, hits: list[EntityHit]) -> dict[int, list[str]]:
    index = parsed.start_index
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for hit in hits:
        for m in hit.mentions:
            ti = index.get(m.start)
            if ti is not None:
                found[parsed.tokens[ti].sent].append((m.start, hit.key))
    return {si: list(dict.fromkeys(k for _, k in sorted(v))) for si, v in found.items()}


def _planned(word: str) -> bool:
    """«выпустит», «рассчитывает выпустить»: a plan or a forecast, not a figure reported."""
    from avtomon.extractors.nlp import get_nlp

    parses = get_nlp().parses(word)
    return bool(parses) and (parses[0].tag.POS == "INFN" or parses[0].tag.tense == "futr")


def _trigger_ok(parsed: Parsed, trig: TriggerEntry, first: int, last: int) -> bool:
    if trig.type == "sales" and _planned(parsed.tokens[first].text):
        return False  # sales are statistics; launches and investments may well be announced ahead
    sent = parsed.tokens[first].sent
    lo, hi = max(0, first - BEFORE), min(len(parsed.tokens), last + AFTER)
    near = {f for t in parsed.tokens[lo:hi] if t.sent == sent for f in t.forms}
    if trig.with_ and not (trig.with_ & near):
        return False
    return not (trig.without and trig.without & near)


def main_company(companies: list[EntityHit], title_end: int,
                 actors: dict[int, list[Actor]] | None = None) -> EntityHit | None:
    """The company of the title, else the only one, else one mentioned clearly more often than the rest.

    A company named only after prepositions («Сиденья для «Москвича»») or as a former owner («бывший
    завод Volkswagen») is not a candidate.
    """
    mentions = [a for group in (actors or {}).values() for a in group]
    acting = {a.hit.key for a in mentions if not a.oblique and not a.former}
    passive = {a.hit.key for a in mentions if a.oblique or a.former}
    companies = [c for c in companies if c.key in acting or c.key not in passive]
    in_title = [c for c in companies if any(m.start < title_end for m in c.mentions)]
    if in_title:
        return max(in_title, key=lambda c: (len(c.mentions), -min(m.start for m in c.mentions)))
    if len(companies) == 1:
        return companies[0]
    ranked = sorted(companies, key=lambda c: -len(c.mentions))
    if ranked and len(ranked[0].mentions) >= 2 and (len(ranked) == 1 or len(ranked[1].mentions) < len(
            ranked[0].mentions)):
        return ranked[0]
    return None


def _single(actors: list[Actor], trigger_token: int, main: EntityHit | None) -> EntityHit | None:
    """The company named last before the trigger that is neither a place, an owner nor after a
    preposition; of «X и Y» the first. With none, the article's main company, else one after the trigger."""
    actors = [a for a in actors if not a.former]
    before = [a for a in actors if a.token < trigger_token]
    free = [a for a in before if not a.place and not a.owned]
    acting = [a for a in free if not a.oblique]
    if not acting and free and main:  # «завод начал сварку кузовов для моделей Kaiyi»: the article's plant
        return main
    for pool in (acting, free, [a for a in before if not a.owned], before):
        if pool:
            i = len(pool) - 1
            while i > 0 and pool[i].joined:  # «Соллерс» и Isuzu договорились о локализации → Соллерс
                i -= 1
            return pool[i].hit
    if main:
        return main
    after = [a for a in actors if a.token > trigger_token]
    free = [a for a in after if not a.place and not a.owned] or after
    return free[0].hit if free else None


def _multi(actors: list[Actor], owners_too: bool = False) -> list[EntityHit]:
    """Every party named in the sentence, except mere places, and owners unless `owners_too` (in a
    deal the owner, new or former, is a party: «перешёл под контроль компании «Соллерс»»)."""
    chosen = [a for a in actors if (owners_too and a.former) or ((owners_too or not a.owned) and not a.place)]
    chosen = chosen or actors
    # brands named as the goods after the company that made them («Автотор собрал 110 тыс. автомобилей,
    # из них 60% — китайских марок Chery») are not parties; first in a ranking («продано машин Zeekr,
    # на втором месте Evolute») they are
    first_maker = min((a.token for a in chosen if not a.product), default=None)
    chosen = [a for a in chosen if not (a.product and first_maker is not None and first_maker < a.token)] or chosen
    return list({a.hit.key: a.hit for a in chosen}.values())


SELLING = {"продать", "продажа"}
BUYING = {"купить", "приобрести", "выкупить", "покупка", "выкуп"}
NEW_OWNER = (("новый", "владелец"), ("новый", "собственник"), ("покупатель",))


def _sentence_lemmas(parsed: Parsed, si: int) -> list[str]:
    sentence = parsed.sentences[si]
    return [parsed.tokens[i].lemma for i in parsed.token_range(sentence.start, sentence.end)]


def _buyer(parsed: Parsed, si: int, parties: list[EntityHit]) -> EntityHit | None:
    """Who bought, in a deal sentence naming two parties: «X продал завод группе Y» → Y, «X купил Y» → X."""
    if len(parties) < 2:
        return None
    lemmas = set(_sentence_lemmas(parsed, si))
    if lemmas & SELLING:
        return parties[-1]
    return parties[0] if lemmas & BUYING else None


def _names_new_owner(parsed: Parsed, si: int) -> bool:
    """«Новый владелец планирует…»: the sentence speaks of the buyer of a deal just before."""
    lemmas = _sentence_lemmas(parsed, si)
    return any(tuple(lemmas[i : i + len(p)]) == p for p in NEW_OWNER for i in range(len(lemmas)))


def find_events(parsed: Parsed, res: Resources, companies: list[EntityHit], regions: list[EntityHit],
                categories: list[EntityHit], title_end: int = 0) -> list[EventHit]:
    """Events in text order; each (type, company, region) once (see `merge_repeats`)."""
    actors_s = _actors_by_sentence(parsed, companies)
    regions_s, cats_s = _first_by_sentence(parsed, regions), _first_by_sentence(parsed, categories)
    main = main_company(companies, title_end, actors_s)
    seen: set[tuple[str, int, str | None]] = set()
    events: list[EventHit] = []
    last: tuple[int, EntityHit] | None = None  # (sentence, company) of the latest event with a company
    bought: tuple[int, EntityHit] | None = None  # (sentence, buyer) of the latest deal
    for m in res.events.find_all(parsed.tokens):
        trig: TriggerEntry = m.payload
        if not _trigger_ok(parsed, trig, m.start, m.end):
            continue
        si = parsed.tokens[m.start].sent
        actors = actors_s.get(si, [])
        if trig.type in MULTI_COMPANY and actors:
            chosen: list[EntityHit | None] = list(_multi(actors, owners_too=trig.type == "deal"))
            if trig.type == "partnership" and main and all(a.oblique for a in actors):
                chosen.insert(0, main)  # «выпускаются по контрактам с BAIC и Chery»: the other party
            if trig.type == "deal" and (buyer := _buyer(parsed, si, [c for c in chosen if c])):
                bought = (si, buyer)
        elif not actors and bought and 0 < si - bought[0] <= FOLLOW_UP_SENTENCES and _names_new_owner(parsed, si):
            chosen = [bought[1]]
        else:
            # a sentence naming no company («Инвестиции составили 1,2 млрд рублей.») goes on about
            # the company of an event just before it
            follow = last[1] if last and 0 < si - last[0] <= FOLLOW_UP_SENTENCES else None
            chosen = [_single(actors, m.start, main) or follow]
        sentence = parsed.sentences[si]
        region = (regions_s.get(si) or [None])[0]
        for company in chosen:
            ident = (trig.type, si, company.key if company else None)
            if ident in seen:
                continue
            seen.add(ident)
            if company:
                last = (si, company)
            events.append(EventHit(trig.type, company.name if company else None, company.key if company else None,
                                   region, tuple(cats_s.get(si, ())), sentence.start, sentence.end, sentence.text))
    return merge_repeats(events)  # triggers come in text order, so each group's first event is the earliest


def merge_repeats(events: list[EventHit]) -> list[EventHit]:
    """One event per (type, company, region) in an article: a long article repeats «Автотор запустил…»
    in sentence after sentence, and an analyst counting launches wants one. The first sentence stays
    as the evidence; a repeat without a region folds into the first with one, and the categories of
    the repeats are added to it.
    """
    groups: dict[tuple[str, str | None], list[EventHit]] = defaultdict(list)
    for e in events:
        groups[(e.type, e.company_key)].append(e)
    out = []
    for group in groups.values():
        by_region: dict[str | None, EventHit] = {}
        categories: dict[str | None, list[str]] = defaultdict(list)
        first_region = next((e.region for e in group if e.region), None)
        for e in group:
            region = e.region or first_region  # a repeat without a region folds into the first with one
            by_region.setdefault(region, e)
            categories[region].extend(e.categories)
        for region, e in by_region.items():
            out.append(replace(e, region=region, categories=tuple(dict.fromkeys(categories[region]))))
    out.sort(key=lambda e: e.start)
    return out
