"""Is a text about the auto industry at all? A score from known companies, categories and vocabulary."""

from __future__ import annotations

import math

from avtomon.extractors.nlp import Parsed
from avtomon.extractors.records import EntityHit, EventHit

AUTO_WORDS = {"автомобиль", "автопром", "автопроизводитель", "автозавод", "авторынок", "автомобильный", "автодилер",
              "дилер", "автосалон", "грузовик", "автобус", "электромобиль", "автокомпонент", "автоконцерн", "кроссовер",
              "седан", "автопарк", "автокредит", "машина", "легковой", "спецтехника", "конвейер", "локализация",
              "автоваз", "камаз", "электробус", "тягач", "шина", "двигатель", "модель", "комплектующий",
              "автостат", "внедорожник", "фургон", "пикап", "автомобилестроение", "автосборочный"}
THRESHOLD = 0.5


def relevance(parsed: Parsed, companies: list[EntityHit], categories: list[EntityHit],
              events: list[EventHit]) -> tuple[float, bool]:
    """(relevance 0..1, relevant) — saturating sum of evidence, so one stray word is not enough."""
    vocab = sum(1 for t in parsed.tokens if t.lemma in AUTO_WORDS)
    known = sum(1 for c in companies if c.known)
    score = 1.0 * known + 0.4 * len(categories) + 0.25 * min(vocab, 12) + 0.3 * sum(1 for e in events if e.company)
    value = 1.0 - math.exp(-score / 1.5)
    return value, value >= THRESHOLD
