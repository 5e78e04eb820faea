"""Product categories: every mention of the taxonomy, and which categories the news is about.

A text names many products in passing: a battery plant's cells «для электробусов и погрузчиков», a
truck's «двигатель» and «коробка передач». The categories of the article are the ones the news is
about (data/ANNOTATION.md); the rest are kept as mentions in passing, never mixed in. Which is which is
decided per category by a logistic scorer (`linear.py`) over a few features: how often and where the
category is named, whether it is named as a use («для электробусов») or as equipment («оснащён
двигателем»), what the companies of the text make (a carmaker's news is about cars even when it only
says «машины»), and which vehicle models it names.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from itertools import pairwise

from avtomon.extractors.linear import model
from avtomon.extractors.names import before_quotes
from avtomon.extractors.nlp import Parsed
from avtomon.extractors.records import EntityHit, Mention
from avtomon.extractors.relevance import evidence
from avtomon.extractors.resources import KIND_CATEGORY, Resources
from avtomon.extractors.triggers import find_triggers

# «мост через Каму», «Крымский мост»: a bridge, not an axle (transmissions)
BRIDGE_BEFORE = {"по", "на", "железнодорожный", "пешеходный", "автомобильный", "вантовый", "разводной",
                 "подвесной", "арочный"}
BRIDGE_AFTER = {"через", "над"}
# «для электробусов», «на шасси»: the product is a use or a customer of the news, not its subject
USE_WORDS = {"для", "под", "на"}
# «оснащён двигателем», «получит коробку передач», «комплектуется подушкой»: equipment of the product
EQUIP_WORDS = {"оснастить", "оснащать", "оснащённый", "оснащенный", "комплектоваться", "комплектовать", "получить",
               "ставить", "установить", "устанавливать", "агрегатировать", "работать", "с", "со", "без"}
# a carmaker's news about «машины» and «модели» is about passenger cars
GENERIC_CARS = {"автомобиль", "машина", "модель", "авто", "иномарка", "новинка"}
# «выпуск двигателей», «продажи грузовиков», «сборка электробусов»: the product as the object of the news
PRODUCED = {"выпуск", "производство", "сборка", "продажа", "поставка", "изготовление", "локализация", "выпускать",
            "производить", "собирать", "продать", "поставить", "поставлять", "закупить", "закупать", "реализовать",
            "продаваться", "сборочный", "рынок", "экспорт", "импорт", "линейка", "линия", "завод", "выпустить",
            "собрать", "изготовить", "освоить", "наладить", "запустить", "серия"}
# «завод для автокомпонентов», «площадка под электромобили»: after a plant, «для» names what it makes
PLANTS = {"завод", "цех", "линия", "кластер", "площадка", "предприятие", "мощность"}
_FIGURE = re.compile(r"\d[\d\s,.]*\s*(%|тыс|млн|млрд|шт|единиц|раз)")
SPECIFIC = ("passenger_cars", "components", "engines", "electric_vehicles", "trucks", "lcv", "buses",
            "special_machinery", "electronics", "transmissions", "body_parts")


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


def category_mentions(parsed: Parsed, res: Resources, claimed: list[tuple[int, int]]
                      ) -> dict[str, list[tuple[int, Mention]]]:
    """Category key → (token index, mention) of every taxonomy word and vehicle model of the text.

    A word that is a whole company name («Автокомпоненты») names the company, not the product.
    """
    found: dict[str, list[tuple[int, Mention]]] = defaultdict(list)
    names = {parsed.text[a:b].strip("«»\"“”„ ") for a, b in claimed}
    for m in res.categories.find(parsed.tokens):
        if _bridge(parsed, m.start, m.end):
            continue
        start, end = parsed.tokens[m.start].start, parsed.tokens[m.end - 1].end
        inside = any(a <= start and end <= b for a, b in claimed)
        if inside and parsed.text[start:end] in names:
            continue
        for key in m.payload:
            found[key].append((m.start, Mention(start, end, parsed.text[start:end])))
    for i, tok in enumerate(parsed.tokens):
        key = res.model_category.get(tok.text)
        if not key:
            continue
        j = before_quotes(parsed, i)
        # a model counts next to its brand or a vehicle word: «Lada Granta», «седан Camry», «УАЗ «Профи»»
        if j >= 0 and parsed.tokens[j].sent == tok.sent and (
                parsed.tokens[j].text[:1].isupper() or parsed.tokens[j].lemma in GENERIC_CARS) and not any(
                a <= tok.start < b for a, b in claimed):
            found[key].append((i, Mention(tok.start, tok.end, tok.text)))
    return found


def _context(parsed: Parsed, i: int, words: set[str], span: int = 3) -> bool:
    """One of `words` among the few words before token i in its sentence (adjectives between)."""
    sent = parsed.tokens[i].sent
    seen = 0
    j = i - 1
    while j >= 0 and seen < span and parsed.tokens[j].sent == sent:
        tok = parsed.tokens[j]
        if tok.lemma in words or tok.text.lower() in words:
            return True
        if any(ch.isalpha() for ch in tok.text):
            seen += 1
        j -= 1
    return False


def _plant_for(parsed: Parsed, i: int) -> bool:
    """«заводы для автокомпонентов», «площадка под электромобили»: the plant makes the product named."""
    words = [j for j in range(max(0, i - 3), i) if parsed.tokens[j].sent == parsed.tokens[i].sent
             and any(ch.isalpha() for ch in parsed.tokens[j].text)]
    return any(parsed.tokens[j].lemma in USE_WORDS and k > 0 and parsed.tokens[words[k - 1]].lemma in PLANTS
               for k, j in enumerate(words))


def _list_heads(parsed: Parsed, found: dict[str, list[tuple[int, Mention]]]) -> dict[int, int]:
    """«заводы по выпуску оснастки, сидений, выхлопных систем и электромобилей»: a category in a list reads
    its context from the list's first item; maps a mention's token to the first item's token."""
    ends: dict[int, int] = {}  # first token → the token after the mention («тяговых электродвигателей»)
    for mentions in found.values():
        for i, m in mentions:
            ends[i] = max(ends.get(i, i + 1), parsed.token_range(m.start, m.end).stop)
    starts = sorted(ends)
    head: dict[int, int] = {}
    for prev, cur in pairwise(starts):
        between = parsed.tokens[min(ends[prev], cur) : cur]
        if parsed.tokens[prev].sent == parsed.tokens[cur].sent and len(between) <= 5 and any(
                t.text in (",", "и") for t in between) and all(t.text in (",", "и", "а", "также") or t.lemma.endswith(
                ("ый", "ий", "ой")) or (t.text.isalpha() and t.text.islower() and len(between) <= 3) for t in between):
            head[cur] = head.get(prev, prev)
    return head


def features(parsed: Parsed, key: str, mentions: list[tuple[int, Mention]], total: int, top: int, title_end: int,
             kinds: Counter[str], title_kinds: set[str], event_sentences: set[int], generic: int,
             models: int, claimed: list[tuple[int, int]]) -> dict[str, float]:
    """The salience features of one category of a text."""
    n = len(mentions)
    body = [m for _, m in mentions if m.start >= title_end]
    first_body = next((s for s in parsed.sentences if s.start >= title_end), None)
    sents = [parsed.tokens[i].sent for i, _ in mentions]
    feats = {
        "logn": math.log1p(n),
        "title": float(any(m.start < title_end for _, m in mentions)),
        "lead": float(first_body is not None and any(first_body.start <= m.start < first_body.end for m in body)),
        "share": n / total if total else 0.0,
        "top": float(n == top),
        "use": sum(_context(parsed, i, USE_WORDS, 2) and not _plant_for(parsed, i) for i, _ in mentions) / max(n, 1),
        "equip": sum(_context(parsed, i, EQUIP_WORDS, 3) for i, _ in mentions) / max(n, 1),
        "kind_title": float(key in title_kinds),
        "kind_any": math.log1p(kinds.get(key, 0)),
        "models": math.log1p(models),
        "event": sum(s in event_sentences for s in sents) / max(n, 1),
        "produced": sum(_context(parsed, i, PRODUCED, 3) for i, _ in mentions) / max(n, 1),
        "plant": sum(_context(parsed, i, PLANTS, 3) for i, _ in mentions) / max(n, 1),
        "figures": sum(bool(_FIGURE.search(parsed.sentences[s].text)) for s in sents) / max(n, 1),
        "inside_name": sum(any(a <= m.start and m.end <= b for a, b in claimed) for _, m in mentions) / max(n, 1),
    }
    if key == "passenger_cars":
        feats["generic"] = math.log1p(generic)
    if key in SPECIFIC:
        feats[f"is_{key}"] = 1.0
    return feats


def candidates(parsed: Parsed, res: Resources, claimed: list[tuple[int, int]], companies: list[EntityHit],
               title_end: int) -> dict[str, tuple[list[tuple[int, Mention]], dict[str, float]]]:
    """Category key → (its mentions, its salience features), for every category the text may be about."""
    found = category_mentions(parsed, res, claimed)
    kinds: Counter[str] = Counter()
    title_kinds: set[str] = set()
    for hit in companies:
        key = KIND_CATEGORY.get(hit.company_kind or "")
        if key:
            kinds[key] += 1
            if any(m.start < title_end for m in hit.mentions):
                title_kinds.add(key)
    generic = sum(1 for t in parsed.tokens if t.lemma in GENERIC_CARS)
    lists = _list_heads(parsed, found)
    known = sum(1 for c in companies if c.known)
    auto = evidence(parsed.tokens, known, 0)  # a text with no auto company or vocabulary is about something else
    if kinds.get("passenger_cars") and "passenger_cars" not in found:
        # «Toyota закрывает завод… 100 тыс. машин»: the carmaker's «машины» are its cars, read in their context
        found["passenger_cars"] = [(i, Mention(t.start, t.end, t.text)) for i, t in enumerate(parsed.tokens)
                                   if t.lemma in GENERIC_CARS]
    for key in kinds:
        found.setdefault(key, [])
    event_sentences = {t.sent for t in find_triggers(parsed, res)}
    counts = {k: len(v) for k, v in found.items()}
    total, top = sum(counts.values()), max(counts.values(), default=0)
    out = {}
    for key, mentions in found.items():
        models = sum(1 for i, _ in mentions if parsed.tokens[i].text in res.model_category)
        feats = features(parsed, key, [(lists.get(i, i), m) for i, m in mentions], total, top, title_end, kinds,
                         title_kinds, event_sentences, generic, models, claimed)
        feats["auto"] = min(auto, 4.0) / 4.0
        out[key] = (mentions, feats)
    return out


def _evidence(parsed: Parsed, key: str, mentions: list[tuple[int, Mention]]) -> list[Mention]:
    """The mentions of a category; one the text implies («машины» of a carmaker) gets its generic words."""
    if mentions:
        return [m for _, m in mentions]
    return [Mention(t.start, t.end, t.text) for t in parsed.tokens if t.lemma in GENERIC_CARS][:3]


def find_categories(parsed: Parsed, res: Resources, claimed: list[tuple[int, int]], companies: list[EntityHit],
                    title_end: int = 0) -> tuple[list[EntityHit], list[EntityHit], dict[str, dict[str, float]]]:
    """(the categories the news is about, categories named only in passing, the features of each
    candidate — kept for `train.py`), each category with its mentions."""
    scorer = model("categories")
    salient, passing, trace = [], [], {}
    for key, (mentions, feats) in candidates(parsed, res, claimed, companies, title_end).items():
        trace[key] = feats
        hit = EntityHit("category", key, res.category_names[key])
        if scorer.decide(feats):
            hit.mentions = _evidence(parsed, key, mentions)
            salient.append(hit)
        elif mentions:
            hit.mentions = [m for _, m in mentions]
            passing.append(hit)
    return [h for h in salient if h.mentions], passing, trace
