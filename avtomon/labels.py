"""Russian labels for the English keys of categories, event types, regions and column headers.

The keys stay in URLs, the store and default exports (scripts depend on them); people reading a
spreadsheet or a page get the Russian names.
"""

from __future__ import annotations

from functools import cache

EVENT_TYPES_RU = {
    "launch": "запуск производства", "investment": "инвестиции", "suspension": "остановка производства",
    "localization": "локализация", "sales": "продажи", "partnership": "партнёрство", "model_launch": "новая модель",
    "deal": "сделка", "output": "выпуск", "recall": "отзыв",
}
KINDS_RU = {"company": "компания", "region": "регион", "category": "категория", "person": "персона",
            "organization": "организация"}
HEADERS_RU = {
    "id": "id", "article_id": "id статьи", "published": "дата публикации", "published_guessed": "дата не указана",
    "date": "дата", "date_guessed": "дата не указана", "source": "источник", "title": "заголовок", "url": "ссылка",
    "relevance": "релевантность", "companies": "компании", "regions": "регионы", "categories": "категории",
    "events": "события", "text_source": "откуда текст", "text": "текст", "kind": "тип", "key": "ключ",
    "name": "название", "mention": "упоминание", "start": "начало", "end": "конец", "passing": "вскользь",
    "articles": "статей", "mentions": "упоминаний", "first_seen": "впервые", "last_seen": "последний раз",
    "company": "компания", "type": "событие", "region": "регион", "sentence": "предложение", "snippet": "фрагмент",
    "story_id": "сюжет", "story": "сюжет", "sources": "источников", "stories": "сюжетов",
}
# company kinds other than a maker of a product category (those are named by the category)
COMPANY_KINDS_RU = {"carmaker": "автопроизводитель", "dealer": "дилер", "leasing": "лизинговая компания",
                    "investor": "инвестор", "brand": "марка"}
MONTHS_RU = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
             "ноябрь", "декабрь")
SHEETS_RU = {"Articles": "Статьи", "Mentions": "Упоминания", "Companies": "Компании", "Regions": "Регионы",
             "Categories": "Категории", "Events": "События"}


@cache
def category_names() -> dict[str, str]:
    from avtomon.extractors.resources import load_yaml

    return {key: raw["name"] for key, raw in load_yaml("categories.yaml").items()}


@cache
def region_names() -> dict[str, str]:
    from avtomon.extractors.resources import load_yaml

    return {raw["code"]: raw["name"] for raw in load_yaml("regions.yaml")}


def _names(value: str, table: dict[str, str]) -> str:
    return ", ".join(table.get(k.strip(), k.strip()) for k in value.split(","))


def russian_value(header: str, value: object) -> object:
    """The Russian label of a key in a column that holds keys (categories, event types, regions, kinds)."""
    if not isinstance(value, str) or not value:
        return value
    if header == "categories":
        return _names(value, category_names())
    if header in ("regions", "region"):
        return _names(value, region_names())
    if header in ("events", "type"):
        return _names(value, EVENT_TYPES_RU)
    if header == "kind":
        return KINDS_RU.get(value, value)
    return value


def company_kind(kind: str | None) -> str:
    """A company kind from the gazetteer in Russian: «дилер», or «производитель: шины» for a maker."""
    if not kind:
        return ""
    if kind in COMPANY_KINDS_RU:
        return COMPANY_KINDS_RU[kind]
    from avtomon.extractors.resources import KIND_CATEGORY

    category = KIND_CATEGORY.get(kind)
    return f"производитель: {category_names().get(category, category).lower()}" if category else kind


def plural(n: int, one: str, few: str, many: str) -> str:
    """«1 статья», «3 статьи», «5 статей», «21 статья», «11 статей»: Russian number agreement."""
    if n % 10 == 1 and n % 100 != 11:
        word = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = few
    else:
        word = many
    return f"{n} {word}"
