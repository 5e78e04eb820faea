"""Events: for each event type the text reports, every company that is a party to it.

1. Triggers (`triggers.py`) find where the text speaks of a launch, a deal, a recall…, and whether the
   sentence is news, background or a maybe.
2. The companies of a trigger's sentence are its candidate parties, each with the role its position
   gives it (`roles.py`): acting before the trigger, after a preposition, the place («на «Автоторе»»),
   the owner («входящий в группу ГАЗ»), goods. A sentence naming no company goes on about the company
   of the event just before it, else about the article's main company; «новый владелец» is the buyer
   of the deal just before. A company linked to a party as its parent or subsidiary is a candidate too.
3. A logistic scorer (`linear.py`, weights fitted on the gold set by `train.py`) decides each (type,
   company) from the evidence of all its sentences. An event counts once per (type, company) in a
   text; its evidence is the first sentence that tells it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

from avtomon.extractors.linear import model
from avtomon.extractors.nlp import Parsed
from avtomon.extractors.records import EntityHit, EventHit
from avtomon.extractors.resources import Resources
from avtomon.extractors.roles import LABEL_PLACES, Role, builds_for, mention_roles, token_spans
from avtomon.extractors.triggers import (
    SentenceInfo,
    Trigger,
    clause,
    find_triggers,
    latest_year,
    sentence_info,
    starts_production,
)

TYPES = ("launch", "investment", "suspension", "localization", "sales", "partnership", "model_launch", "deal",
         "output", "recall")
MULTI = {"partnership", "deal", "sales"}  # every party of an agreement, a sale or a ranking
FOLLOW_UP_SENTENCES = 3  # «Инвестиции составили 1,2 млрд рублей.» continues the sentence before
SELLING = {"продать", "продажа", "передать", "передавать"}
BUYING = {"купить", "приобрести", "выкупить", "покупка", "выкуп", "получить", "получать"}
NEW_OWNER = (("новый", "владелец"), ("новый", "собственник"), ("покупатель",))
# what kind of company takes part in what: a leasing company sells, an investor buys
KIND_FIT = {"investor": {"deal", "investment"}, "leasing": {"sales", "deal"}, "dealer": {"sales", "deal"},
            "charging": {"investment", "launch"}}
SUPPLIERS = {"engines", "transmissions", "electronics", "electric_motors", "batteries", "seats", "lighting", "glass",
             "tires", "brakes", "plastics", "exhaust", "body", "components", "tooling"}


@dataclass
class Mentioned:
    """A company mention of a sentence with its role."""

    first: int  # token indices
    last: int
    hit: EntityHit
    role: Role


@dataclass
class Evidence:
    """One trigger sentence supporting a (type, company) candidate."""

    trigger: Trigger
    info: SentenceInfo
    party: Mentioned | None  # None: the company was not named in the sentence (follow-up, main, linked)
    how: str  # named | follow | main | owner | linked | supply
    subject: bool = False  # the acting company nearest before the trigger, in its clause
    in_clause: bool = False  # named in the trigger's own clause


@dataclass
class Candidate:
    type: str
    hit: EntityHit
    evidence: list[Evidence] = field(default_factory=list)


def _mentions(parsed: Parsed, res: Resources, companies: list[EntityHit]
              ) -> tuple[dict[int, list[Mentioned]], dict[int, list[Mentioned]]]:
    """Sentence → its company mentions with roles; goods are left out (a model is not a party).
    Also sentence → the brands named after a maker («выпуск автомобилей марки GAC»), kept apart: not
    parties of the maker's event, but its partners when the maker starts building them."""
    spans = token_spans(parsed, companies)
    roles = mention_roles(parsed, spans, res.models)
    out: dict[int, list[Mentioned]] = defaultdict(list)
    brands: dict[int, list[Mentioned]] = defaultdict(list)
    for (a, b, hit), role in zip(spans, roles, strict=True):
        if not role.goods and not (role.place and parsed.tokens[a - 1].lemma in LABEL_PLACES):
            out[parsed.tokens[a].sent].append(Mentioned(a, b, hit, role))
        elif role.goods and role.branded:  # «выпуск автомобилей китайской марки BAIC»
            brands[parsed.tokens[a].sent].append(Mentioned(a, b, hit, role))
    # «Автотор собрал 110 тыс. машин, из них 60% — китайских марок Chery»: brands after the maker are its goods
    for si, mentions in out.items():
        if not any(m.role.counted for m in mentions):
            makers = [m for m in mentions if not m.role.branded and _acting(m)]
            after = [m for m in mentions if m.role.branded and any(k.last < m.first for k in makers)]
            brands[si] += after
            out[si] = [m for m in mentions if m not in after]
    return out, brands


def _contract(parsed: Parsed, found: _Collector, by_sentence: dict[int, list[Mentioned]],
              brands: dict[int, list[Mentioned]], triggers: list[Trigger], latest: int | None) -> None:
    """«На «Автоторе» начался выпуск автомобилей марки BAIC», «АГР выпустила партию машин бренда GAC»: a
    plant starting to build another maker's brand is contract assembly, a partnership of both
    (data/ANNOTATION.md). Only a start of production: figures of brands already built are output."""
    for trig in triggers:
        if not starts_production(parsed, trig, latest):
            continue
        named = by_sentence.get(trig.sent, []) + brands.get(trig.sent, [])
        built = [m for m in named if m.role.branded and m.first > trig.start]
        makers = [m for m in named if not m.role.branded and not m.role.former and not m.role.owned
                  and m.first < (built[0].first if built else 0)]
        pairs = [(k, b) for b in built for k in makers if builds_for(k.hit, b.hit)]
        if not pairs:
            continue
        info = sentence_info(parsed, trig, latest)
        part = Trigger("partnership", trig.sent, trig.start, trig.end, 0.6, False)
        for maker, brand in pairs:
            for m in (maker, brand):
                found.add(m.hit, Evidence(part, info, _partner(m), "supply"))


def _acting(m: Mentioned) -> bool:
    return not (m.role.oblique or m.role.place or m.role.owned or m.role.former)


def main_company(companies: list[EntityHit], title_end: int, by_sentence: dict[int, list[Mentioned]]
                 ) -> EntityHit | None:
    """The company of the title, else the only one, else one named clearly more often than the rest.

    A company named only after prepositions («Сиденья для «Москвича»») or as a former owner is not one.
    """
    mentions = [m for group in by_sentence.values() for m in group]
    acting = {m.hit.key for m in mentions if not m.role.oblique and not m.role.former}
    passive = {m.hit.key for m in mentions if m.role.oblique or m.role.former}
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


def _sentence_lemmas(parsed: Parsed, si: int) -> list[str]:
    sentence = parsed.sentences[si]
    return [parsed.tokens[i].lemma for i in parsed.token_range(sentence.start, sentence.end)]


def _buyer(parsed: Parsed, si: int, parties: list[Mentioned]) -> EntityHit | None:
    """Who bought, in a deal sentence naming two parties: «X продал завод группе Y» → Y, «X купил Y» → X."""
    if len(parties) < 2:
        return None
    lemmas = set(_sentence_lemmas(parsed, si))
    if lemmas & SELLING:
        return parties[-1].hit
    return parties[0].hit if lemmas & BUYING else None


def _names_new_owner(parsed: Parsed, si: int) -> bool:
    """«Новый владелец планирует…»: the sentence speaks of the buyer of a deal just before."""
    lemmas = _sentence_lemmas(parsed, si)
    return any(tuple(lemmas[i : i + len(p)]) == p for p in NEW_OWNER for i in range(len(lemmas)))


class _Collector:
    """Candidates of a text, keyed by (type, company key)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Candidate] = {}

    def add(self, hit: EntityHit, ev: Evidence) -> None:
        self.items.setdefault((ev.trigger.type, hit.key), Candidate(ev.trigger.type, hit)).evidence.append(ev)


SUPPLY_WORDS = {"поставлять", "поставка", "поставщик", "выпуск", "производство", "изготовление", "делать",
                "выпускать", "производить", "изготавливать", "заказчик", "покупатель", "конвейер"}


def _partner(m: Mentioned) -> Mentioned:
    """In a supply relation «на заводе X», «для X» and «марки X» name a party, not a place or a bystander."""
    return Mentioned(m.first, m.last, m.hit, replace(m.role, place=False, oblique=False, goods=False))


CUSTOMER_CUES = {"для", "заказчик", "покупатель", "конвейер"}
BUILDS = {"собирать", "выпускать", "производить", "строить"}


def _customer(parsed: Parsed, sentence: range, m: Mentioned) -> bool:
    """«для АвтоВАЗа», «на конвейер АвтоВАЗа», «на троллейбусы, которые «Тролза» собирает»: the company
    the goods go to."""
    before = [parsed.tokens[j].lemma for j in range(max(sentence.start, m.first - 3), m.first)]
    after = [parsed.tokens[j].lemma for j in range(m.last + 1, min(sentence.stop, m.last + 3))]
    return bool(CUSTOMER_CUES.intersection(before)) or (
        "который" in before and bool(BUILDS.intersection(before + after)))


def _supply(parsed: Parsed, found: _Collector, by_sentence: dict[int, list[Mentioned]], triggers: list[Trigger],
            latest: int | None) -> None:
    """«начнётся выпуск светотехники для АвтоВАЗа», «поставлять их будет на конвейер АвтоВАЗа»: a supplier
    and its customer named in one sentence are partners (data/ANNOTATION.md: a supply relation)."""
    by_sent = {t.sent: t for t in triggers}
    for si, mentions in by_sentence.items():
        keys = {m.hit.key for m in mentions}
        if len(keys) < 2:
            continue
        r = parsed.token_range(parsed.sentences[si].start, parsed.sentences[si].end)
        if not any(parsed.tokens[i].lemma in SUPPLY_WORDS for i in r):
            continue
        customers = [m for m in mentions if _customer(parsed, r, m)]
        if not customers:
            continue
        anchor = by_sent.get(si) or Trigger("partnership", si, customers[0].first, customers[0].first + 1, 0.6,
                                            False)
        trig = Trigger("partnership", si, anchor.start, anchor.end, 0.6, False)
        info = sentence_info(parsed, trig, latest)
        for m in mentions:
            found.add(m.hit, Evidence(trig, info, _partner(m), "supply"))


def _collect(parsed: Parsed, res: Resources, companies: list[EntityHit], title_end: int,
             names: list[tuple[int, int]]) -> tuple[list[Candidate], EntityHit | None]:
    by_sentence, brands = _mentions(parsed, res, companies)
    main = main_company(companies, title_end, by_sentence)
    latest = latest_year(parsed)
    found = _Collector()
    last: tuple[int, EntityHit] | None = None  # (sentence, company) of the latest event with a named company
    bought: tuple[int, EntityHit] | None = None  # (sentence, buyer) of the latest deal
    triggers = find_triggers(parsed, res, names)
    for trig in triggers:
        info = sentence_info(parsed, trig, latest)
        parties = by_sentence.get(trig.sent, [])
        span = clause(parsed, trig)
        # a former owner («на бывшем заводе Toyota») takes part in a deal only
        parties = [m for m in parties if not m.role.former or trig.type == "deal"]
        acting_before = [m for m in parties if m.last < trig.start and _acting(m) and m.first >= span.start]
        subject = acting_before[-1] if acting_before else None
        for m in parties:
            found.add(m.hit, Evidence(trig, info, m, "named", m is subject, span.start <= m.first < span.stop))
        if subject is not None:
            last = (trig.sent, subject.hit)
        if trig.type == "deal" and (buyer := _buyer(parsed, trig.sent, parties)):
            bought = (trig.sent, buyer)
        if subject is not None:
            continue
        # no company acts in the sentence: it goes on about the company of an event just before, else
        # about the article's main company
        if bought and 0 < trig.sent - bought[0] <= FOLLOW_UP_SENTENCES and _names_new_owner(parsed, trig.sent):
            found.add(bought[1], Evidence(trig, info, None, "follow"))
        elif last and 0 < trig.sent - last[0] <= FOLLOW_UP_SENTENCES:
            found.add(last[1], Evidence(trig, info, None, "follow"))
        elif main is not None:
            found.add(main, Evidence(trig, info, None, "main"))
    _supply(parsed, found, by_sentence, triggers, latest)
    _contract(parsed, found, by_sentence, brands, triggers, latest)
    _link_relatives(found, companies, by_sentence)
    return list(found.items.values()), main


def _link_relatives(found: _Collector, companies: list[EntityHit], by_sentence: dict[int, list[Mentioned]]) -> None:
    """The owner named in the party's sentence («входящий в группу ГАЗ») and the parent or subsidiary of a
    party by the gazetteer (a «дочка» named elsewhere in the text) are candidates too."""
    by_key = {c.key: c for c in companies}
    for cand in list(found.items.values()):
        for ev in cand.evidence:
            if ev.party is None or ev.how != "named":
                continue
            for m in by_sentence.get(ev.trigger.sent, []):
                if m.role.owned and m.hit.key != cand.hit.key:
                    found.add(m.hit, Evidence(ev.trigger, ev.info, None, "owner"))
        relatives = [by_key[k] for k in (cand.hit.parent,) if k in by_key]
        relatives += [c for c in companies if c.parent == cand.hit.key]
        for rel in relatives:
            for ev in cand.evidence[:1]:
                found.add(rel, Evidence(ev.trigger, ev.info, None, "linked"))


@dataclass
class TextView:
    """What the whole text says about event types and companies (shared by its candidates)."""

    lead: int  # index of the first sentence after the title
    type_sents: dict[str, set[int]]  # type → sentences with a news trigger of it
    type_title: set[str]  # types triggered in the title
    type_lead: set[str]  # types triggered in the first sentence after the title
    deal_sents: set[int]  # sentences with a deal trigger (a sale of a business, not of cars)
    shares: dict[str, float]  # company key → its share of all company mentions
    companies_in: dict[int, set[str]] = field(default_factory=dict)  # sentence → keys of companies named in it
    public_sents: set[int] = field(default_factory=set)  # sentences naming a public body or a city as a party


def text_view(parsed: Parsed, candidates: list[Candidate], companies: list[EntityHit], title_end: int,
              public: list[tuple[int, int]]) -> TextView:
    lead = next((i for i, s in enumerate(parsed.sentences) if s.start >= title_end), 0)
    type_sents: dict[str, set[int]] = defaultdict(set)
    type_title, type_lead, deal_sents = set(), set(), set()
    for cand in candidates:
        for e in cand.evidence:
            if not e.info.background:
                type_sents[cand.type].add(e.trigger.sent)
            if parsed.sentences[e.trigger.sent].start < title_end:
                type_title.add(cand.type)
            if e.trigger.sent == lead:
                type_lead.add(cand.type)
            if cand.type == "deal":
                deal_sents.add(e.trigger.sent)
    total = sum(len(c.mentions) for c in companies) or 1
    shares = {c.key: len(c.mentions) / total for c in companies}
    companies_in: dict[int, set[str]] = defaultdict(set)
    for c in companies:
        for m in c.mentions:
            if m.start in parsed.start_index:
                companies_in[parsed.tokens[parsed.start_index[m.start]].sent].add(c.key)
    public_sents = {parsed.tokens[parsed.start_index[a]].sent for a, _ in public if a in parsed.start_index}
    return TextView(lead, type_sents, type_title, type_lead, deal_sents, shares, companies_in, public_sents)


def features(cand: Candidate, main: EntityHit | None, title_end: int, parsed: Parsed, view: TextView
             ) -> dict[str, float]:
    """The features the event scorer decides a (type, company) on."""
    evs = cand.evidence
    named = [e for e in evs if e.party is not None]
    group = "multi" if cand.type in MULTI else "single"
    news = [e for e in evs if not e.info.background]
    f: dict[str, float] = {
        f"t_{cand.type}": 1.0,
        "trig": max(e.trigger.weight for e in evs),
        "n": math.log1p(len({e.trigger.sent for e in evs})),
        "named": float(bool(named)),
        f"in_clause_{group}": float(any(e.in_clause for e in named)),
        f"subject_{group}": float(any(e.subject for e in evs)),
        f"acting_{group}": float(any(_acting(e.party) for e in named if e.party)),
        f"oblique_{group}": float(bool(named) and all(e.party.role.oblique for e in named if e.party)),
        "place": float(bool(named) and all(e.party.role.place for e in named if e.party)),
        "owned": float(bool(named) and all(e.party.role.owned for e in named if e.party)),
        "former": float(any(e.party.role.former for e in named if e.party)),
        "follow": float(any(e.how == "follow" for e in evs)),
        "main_fallback": float(any(e.how == "main" for e in evs)),
        "others_named": float(not named and any(e.how in ("main", "follow") for e in evs)),
        "owner": float(any(e.how == "owner" for e in evs)),
        "linked": float(all(e.how == "linked" for e in evs)),
        "main": float(main is not None and main.key == cand.hit.key),
        "title": float(any(m.start < title_end for m in cand.hit.mentions)),
        "trig_title": float(any(parsed.tokens[e.trigger.start].start < title_end for e in evs)),
        "background": float(not news),
        "weak": float(all(e.info.weak for e in evs)),
        "plan": float(any(e.info.plan for e in evs)),
        "negated": float(all(e.info.negated for e in evs)),
        "participle": float(all(e.trigger.participle for e in evs)),
        "figures": float(any(e.info.figures for e in evs)),
        f"figures_{cand.type}": float(cand.type in ("sales", "output") and any(e.info.figures for e in evs)),
        "known": float(cand.hit.known),
        # the text as a whole: how much of it tells this type of event, and how central the company is
        "type_sents": math.log1p(len(view.type_sents.get(cand.type, ()))),
        "type_title": float(cand.type in view.type_title),
        "type_lead": float(cand.type in view.type_lead),
        "c_lead": float(any(parsed.sentences[view.lead].start <= m.start < parsed.sentences[view.lead].end
                            for m in cand.hit.mentions)),
        "c_share": view.shares.get(cand.hit.key, 0.0),
        "deal_too": float(cand.type != "deal" and any(e.trigger.sent in view.deal_sents for e in evs)),
        f"pair_{group}": float(any(len(view.companies_in.get(e.trigger.sent, ())) >= 2 for e in evs)),
        f"public_{group}": float(any(e.trigger.sent in view.public_sents for e in evs)),
        "supply": float(any(e.how == "supply" for e in evs)),
    }
    kind = cand.hit.company_kind or ""
    if cand.type in KIND_FIT.get(kind, ()):
        f["kind_fit"] = 1.0
    if kind in SUPPLIERS and cand.type in ("partnership", "localization", "launch", "investment"):
        f["supplier"] = 1.0
    return f


def _event(parsed: Parsed, cand: Candidate, regions: list[EntityHit], categories: list[EntityHit]) -> EventHit:
    """The event of a decided candidate: its first news sentence (else its first) as the evidence."""
    ev = min(cand.evidence, key=lambda e: (e.info.background, e.party is None, e.trigger.sent))
    sentence = parsed.sentences[ev.trigger.sent]
    sents = {e.trigger.sent for e in cand.evidence}
    # the region of the evidence sentence, else of another sentence telling it, else the text's only region
    region = None
    for si in [ev.trigger.sent, *sorted(sents)]:
        s = parsed.sentences[si]
        region = next((r.key for r in regions if any(s.start <= m.start < s.end for m in r.mentions)), None)
        if region:
            break
    if region is None and len(regions) == 1:
        region = regions[0].key
    cats = [c.key for c in categories if any(parsed.sentences[s].start <= m.start < parsed.sentences[s].end
                                             for s in sents for m in c.mentions)]
    return EventHit(cand.type, cand.hit.name, cand.hit.key, region, tuple(cats), sentence.start, sentence.end,
                    sentence.text)


def find_events(parsed: Parsed, res: Resources, companies: list[EntityHit], regions: list[EntityHit],
                categories: list[EntityHit], title_end: int = 0, organizations: list[EntityHit] = ()  # type: ignore[assignment]
                ) -> tuple[list[EventHit], list[tuple]]:
    """Events in text order, one per (type, company), and the decision trace for `train.py`.

    A trigger word inside an organisation's name is no event; a public body or a city named beside a
    company («Москва подписала с КАМАЗом контракт») makes a contract a sale, not a partnership.
    """
    names = [(m.start, m.end) for h in organizations for m in h.mentions]
    public = [(m.start, m.end) for h in organizations if h.org_kind == "government" for m in h.mentions]
    public += [(m.start, m.end) for h in regions for m in h.mentions]
    candidates, main = _collect(parsed, res, companies, title_end, names)
    view = text_view(parsed, candidates, companies, title_end, public)
    scorer = model("events")
    events, trace = [], []
    for cand in candidates:
        feats = features(cand, main, title_end, parsed, view)
        trace.append((cand.type, cand.hit, feats))
        if scorer.decide(feats):
            events.append(_event(parsed, cand, regions, categories))
    events.sort(key=lambda e: (e.start, TYPES.index(e.type) if e.type in TYPES else 99))
    return events, trace
