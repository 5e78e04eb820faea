"""Is a text about the auto industry at all? A score from known companies, categories and vocabulary."""

from __future__ import annotations

import math

from avtomon.extractors.nlp import Parsed
from avtomon.extractors.records import EntityHit, EventHit
from avtomon.extractors.unknown import GUESSED

AUTO_WORDS = {"автомобиль", "автопром", "автопроизводитель", "автозавод", "авторынок", "автомобильный", "автодилер",
              "дилер", "автосалон", "грузовик", "автобус", "электромобиль", "автокомпонент", "автоконцерн", "кроссовер",
              "седан", "автопарк", "автокредит", "машина", "легковой", "спецтехника", "конвейер", "локализация",
              "автоваз", "камаз", "электробус", "тягач", "шина", "двигатель", "модель", "комплектующий",
              "автостат", "внедорожник", "фургон", "пикап", "автомобилестроение", "автосборочный",
              "экскаватор", "погрузчик", "бульдозер", "автокран", "самосвал", "электрогрузовик", "электрозарядный",
              "электрозаправка", "автокомпонентный", "лизинг", "прицеп", "полуприцеп"}
# Sport, and motor sport above all, is full of cars, tyres and engines but is not the auto industry.
OFF_TOPIC = {"матч", "гол", "чемпионат", "турнир", "гонщик", "гонка", "гран-при", "футбол", "футбольный", "хоккей",
             "хоккейный", "тренер", "болельщик", "формула-1", "пилот", "квалификация", "финиш", "соперник", "лига",
             "сборная", "олимпийский", "забег",
             # crime, courts and accidents: cars are everywhere in them, the industry is not
             "суд", "приговор", "колония", "осуждённый", "обвиняемый", "уголовный", "следователь", "следственный",
             "адвокат", "погибнуть", "погибший", "пострадавший", "авария", "дтп", "задержать",
             # rail, air and weather news
             "локомотив", "вагон", "электричка", "электропоезд", "метро", "самолёт", "авиакомпания", "рейс",
             "аэропорт", "полёт", "экипаж", "снегопад", "дождь", "гидрометцентр", "урожай", "зерно"}
OFF_TOPIC_WEIGHT = 0.35
OFF_TOPIC_MAX = 2.5
THRESHOLD = 0.5
UNKNOWN_WEIGHT, UNKNOWN_MAX = 0.3, 0.6
AUTO_TAGS = {"auto", "auto-industry", "commercial-vehicles", "market-statistics", "ev", "components", "trucks"}
TAG_PRIOR = 0.5  # an auto feed's item needs less evidence than a general news item
SALIENT_WEIGHT, PASSING_WEIGHT = 0.8, 0.15  # a category the text is about weighs more than one named in passing
GOODS_WEIGHT = 0.6  # a known maker's brand named only as goods («Лада Веста подорожала»): no company, but auto news


def score_to_relevance(score: float) -> float:
    return 1.0 - math.exp(-max(score, 0.0) / 1.5)


def relevance(parsed: Parsed, companies: list[EntityHit], categories: list[EntityHit],
              events: list[EventHit], tags: tuple[str, ...] = (), passing: int = 0, named: int = 0
              ) -> tuple[float, bool]:
    """(relevance 0..1, relevant) — saturating sum of evidence, so one stray word is not enough.

    `categories` are the ones the text is about; `passing` counts those named only in passing; `named`
    counts the gazetteer's companies named in the text in any role (goods included).
    """
    known = sum(1 for c in companies if c.known)
    # a company outside the gazetteer was called one by auto-industry words around it: weaker evidence; one
    # taken for a company only because the text looked like auto news is no evidence at all
    cued = {c.key for c in companies if c.known or c.company_kind != GUESSED}
    unknown = min(UNKNOWN_MAX, UNKNOWN_WEIGHT * sum(1 for c in companies if not c.known and c.key in cued))
    score = (evidence(parsed.tokens, known, 0) + SALIENT_WEIGHT * len(categories) + PASSING_WEIGHT * passing
             + unknown + 0.3 * sum(1 for e in events if e.company_key in cued)
             + GOODS_WEIGHT * max(0, named - known))
    if set(tags) & AUTO_TAGS:
        score += TAG_PRIOR
    value = score_to_relevance(score)
    return value, value >= THRESHOLD


def quick_relevance(text: str) -> float:
    """The same evidence without NER or events: cheap enough to decide whether to fetch a page."""
    from avtomon.extractors.nlp import get_nlp
    from avtomon.extractors.resources import get_resources

    nlp, res = get_nlp(), get_resources()
    _, tokens = nlp.segment(text)
    known = len({m.payload.key for m in res.orgs.find(tokens) if m.payload.entity == "company"})
    categories = len({k for m in res.categories.find(tokens) for k in m.payload})
    return score_to_relevance(evidence(tokens, known, categories))


def evidence(tokens: list, known: int, categories: int) -> float:  # type: ignore[type-arg]
    """Known companies, categories and auto vocabulary, less off-topic words: shared by both scores."""
    # every lemma pymorphy3 considers: its best guess for «спецтехники» is «спецтехник» (a technician)
    vocab = sum(1 for t in tokens if not AUTO_WORDS.isdisjoint(t.forms))
    return 1.0 * known + 0.4 * categories + 0.25 * min(vocab, 12) - off_topic(tokens)


def off_topic(tokens: list) -> float:  # type: ignore[type-arg]
    """Evidence that a text is about something else that talks about cars (sport)."""
    return min(OFF_TOPIC_MAX, OFF_TOPIC_WEIGHT * sum(1 for t in tokens if t.lemma in OFF_TOPIC))
