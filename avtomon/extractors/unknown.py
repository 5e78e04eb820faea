"""Organisations outside the gazetteers: their forms merged, their names chosen, company or not decided.

A text writes one name in several forms («Лиотех», «Лиотеха»; «Муромский завод» for «Муромский
машиностроительный завод»): they are one organisation, named by the form that stands after a
descriptor, else by the shortest form. Whether it is a company is read from the descriptor («завод
«Х»» makes things, «банк «Х»» does not), else from the words in and around its mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from avtomon.extractors.nlp import NLP, Parsed, fold
from avtomon.extractors.normalize import strip_legal
from avtomon.extractors.records import Mention

if TYPE_CHECKING:
    from avtomon.extractors.companies import Found

COMPANY_CUES = {"завод", "автозавод", "автопроизводитель", "автоконцерн", "концерн", "производитель", "дилер",
                "автодилер", "дистрибьютор", "автохолдинг", "автосборочный", "сборочный", "шинный", "моторный",
                "автомобильный", "автокомпонент", "автобусный", "тракторный", "лизинговый", "поставщик",
                "автоцентр", "автосалон", "электромобиль", "грузовик", "автомобиль", "машиностроительный",
                "автопром", "марка", "бренд", "стартап", "японский", "китайский", "немецкий", "корейский",
                "американский", "французский", "белорусский", "шведский", "итальянский", "чешский",
                "крановый", "автокрановый", "экскаваторный", "литейный", "подшипниковый", "агрегатный",
                "аккумуляторный", "светотехнический", "электрогенераторный", "прицеп", "автоприцеп"}
GOVERNMENT_CUES = {"министерство", "министр", "правительство", "администрация", "служба", "комитет", "департамент",
                   "ведомство", "дума", "парламент", "суд", "прокуратура", "мэрия", "губернатор", "госкорпорация",
                   "управление", "инспекция", "федеральный", "государственный", "совет", "палата", "полиция",
                   "партия", "фракция", "армия", "войско", "мвд", "фсб", "мид", "госкомпания", "корпорация развития"}
MEDIA_CUES = {"газета", "издание", "телеканал", "журнал", "портал", "агентство", "радиостанция", "сми", "интервью",
              "эфир", "колонка", "редакция", "корреспондент", "журналист", "обозреватель",
              "информагентство", "аналитический", "канал", "telegram-канал", "телеграм-канал", "обозрение"}
FINANCE_CUES = {"банк", "фонд", "биржа", "страховой", "инвестиционный", "брокер", "кредитный", "финансовый",
                "bank", "capital", "fund", "insurance", "exchange", "securities"}
# firms that serve every industry (ANNOTATION: non-auto companies are org_other): «консалтинговая компания
# GlobalData» quoted beside sales figures is not a maker
SERVICE_CUES = {"консалтинговый", "исследовательский", "аудиторский", "рекламный", "маркетинговый",
                "рекрутинговый", "кадровый", "девелоперский", "телекоммуникационный", "консалтинг"}
# what a plant makes, when it is not the auto industry: «Иркутский авиационный завод», «Уральские локомотивы»
NON_AUTO = re.compile(r"(авиацион|авиастро|авиазавод|вертол|"
                      r"вагон|локомотив|судо|корабл|нефт|газпер|хими|фарм|металлург|кондитер|молоч|"
                      r"пивовар|цемент|мебел|обувн|текстил|ткацк|швейн|атомн|энерг|сет(и|ей)|электросет|лифт|"
                      r"ракет|космич|оборон|оружей|пороховой|стеклопакет|архитектурн|пищев|мясо|хлебо|"
                      r"аэропорт|авиакомпан|театр|музей|университет|институт|школ|больниц|клиник|инструмент|"
                      r"бытов)", re.I)
AUTO_NAME = re.compile(r"(авто|мотор|motor|шин|tyre|tire|трак|truck|бус|bus|трактор|кран|прицеп|trailer|"
                       r"лизинг|leasing|дизель|diesel|агрегат|кардан|подшипник|аккумулятор|battery|электромоб|"
                       r"моторс|машиностро|машзавод|литейн|штамп|кузов)", re.I)
# «Quto.ru», «Autonews.ru»: a name written as a web address is a site (news, classifieds), not a maker
WEBSITE = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.(?:ru|рф|su|com|net|org|info|media|tv|io)$", re.I)
# «… Мануфэкчуринг Рус», «… Group Rus», «… СНГ»: a foreign maker's Russian subsidiary
SUBSIDIARY = re.compile(r"(\bрус|\brus|\bмануф\w+|\bmanufacturing|\bмоторс?\b|\bmotors?\b|\bсйэнджи\b)$", re.I)
CONTEXT_TOKENS = 3
GUESSED = "guessed"  # a company only because the text is about the industry: no evidence of relevance itself
# a name in a sentence about a match or a season is a club: «Трактор», «Автомобилист»
SPORT = {"матч", "кхл", "вхл", "рпл", "фнл", "нхл", "турнир", "чемпионат", "сезон", "клуб", "команда", "игрок",
         "тренер", "гол", "шайба", "плей-офф", "болельщик", "хоккейный", "футбольный", "лига", "кубок", "счёт"}
# «Компания «Итэлма» открыла завод»: words about making things after an unknown name make it a maker
PRODUCTION_CUES = {"завод", "автозавод", "производство", "выпуск", "конвейер", "цех", "автопроизводитель",
                   "автокомпонент", "комплектующий", "сборка", "литье", "штамповка", "автомобилестроение",
                   "выпускать", "производить", "собирать", "поставлять", "поставщик"}


@dataclass
class UnknownName:
    name: str
    mentions: list[Mention] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)  # descriptor classes of its quoted mentions
    aliases: list[Mention] = field(default_factory=list)  # abbreviations in brackets
    descriptor_name: str | None = None  # the form written after a descriptor (nominative by apposition)


class Unknown:
    """Names outside the gazetteers collected from quotes and NER, keyed by their folded form."""

    def __init__(self) -> None:
        self.items: dict[str, UnknownName] = {}

    def add(self, name: str, m: Mention, cls: str | None) -> None:
        key = fold(strip_legal(name))
        item = self.items.setdefault(key, UnknownName(name))
        item.mentions.append(m)
        if cls is not None:
            item.classes.add(cls)
            item.descriptor_name = item.descriptor_name or name

    def alias(self, name: str, m: Mention) -> None:
        self.items[fold(strip_legal(name))].aliases.append(m)


def _variant(short: str, long: str) -> bool:
    """«лиотех» / «лиотеха», «автодор» / «автодоре»: one name in two case forms."""
    return len(short) >= 4 and long.startswith(short[:-1]) and 0 <= len(long) - len(short) <= 2 and (
        long.startswith(short) or len(long) == len(short))


def _shortened(short: str, long: str) -> bool:
    """«муромский завод» in a title for «муромский машиностроительный завод», «театр оперы и балета» for
    «новосибирский театр оперы и балета»."""
    a, b = short.split(), long.split()
    if len(a) < 2 or len(a) >= len(b):
        return False
    return long.endswith(" " + short) or (a[0][:5] == b[0][:5] and a[-1][:5] == b[-1][:5])


def merge_variants(items: dict[str, UnknownName]) -> dict[str, UnknownName]:
    """Join the forms of one name; the longer name (or the form after a descriptor) is kept."""
    merged = dict(items)
    for key in sorted(items, key=len):
        if key not in merged:
            continue
        for other in sorted(merged, key=len, reverse=True):
            if other == key or other not in merged:
                continue
            if _variant(key, other) or _variant(other, key) or _shortened(key, other):
                keep, drop = (other, key) if _shortened(key, other) else _preferred(merged, key, other)
                target, source = merged[keep], merged.pop(drop)
                target.mentions.extend(source.mentions)
                target.aliases.extend(source.aliases)
                target.classes |= source.classes
                target.descriptor_name = target.descriptor_name or source.descriptor_name
                break
    return merged


def _preferred(items: dict[str, UnknownName], a: str, b: str) -> tuple[str, str]:
    """(kept, dropped) of two case forms: the one written after a descriptor, else the shorter."""
    if items[b].descriptor_name and not items[a].descriptor_name:
        return b, a
    if items[a].descriptor_name and not items[b].descriptor_name:
        return a, b
    return (a, b) if len(a) <= len(b) else (b, a)


def classify_org(parsed: Parsed, start: int, end: int) -> tuple[str, str | None]:
    """('company', None), ('organization', kind) or ('undecided', None) from cue words inside and just
    before the span, production words after it, or market figures around it."""
    from avtomon.extractors.roles import sentence_counts

    idx = list(parsed.token_range(start, end))
    if not idx:
        return "organization", "other"
    text = parsed.text[start:end]
    if WEBSITE.match(text.strip("«»\" ")):
        return "organization", "media"
    if NON_AUTO.search(text) or _sport(parsed, idx[0]):
        return "organization", "other"
    first = idx[0]
    before = range(max(0, first - CONTEXT_TOKENS), first)
    lemmas_inside = {parsed.tokens[i].lemma for i in idx}
    lemmas_before = {parsed.tokens[i].lemma for i in before if parsed.tokens[i].sent == parsed.tokens[first].sent}
    for lemmas in (lemmas_inside, lemmas_before):
        if lemmas & GOVERNMENT_CUES:
            return "organization", "government"
        if lemmas & FINANCE_CUES:
            return "organization", "finance"
        if lemmas & MEDIA_CUES:
            return "organization", "media"
        if lemmas & SERVICE_CUES:
            return "organization", "other"
        if lemmas & COMPANY_CUES:
            return "company", None
    if AUTO_NAME.search(text) or SUBSIDIARY.search(text) or _production_follows(parsed, idx[-1]):
        return "company", None
    if sentence_counts(parsed, parsed.tokens[first].sent):
        return "company", None  # «не было продано ни одного Cadillac, Porsche…»: a brand counted
    return "undecided", None


def _sport(parsed: Parsed, i: int) -> bool:
    sentence = parsed.sentences[parsed.tokens[i].sent]
    return any(parsed.tokens[k].lemma in SPORT for k in parsed.token_range(sentence.start, sentence.end))


def _production_follows(parsed: Parsed, last: int) -> bool:
    """Production words after the name in its sentence, outside other organisations' names
    («…для столичного оператора «Мосгортранс»» has «завод» only inside «Ликинский автобусный завод»)."""
    sent = parsed.tokens[last].sent
    names = [(s.start, s.end) for s in parsed.ner if s.type == "ORG"]
    for token in parsed.tokens[last + 1 :]:
        if token.sent != sent:
            return False
        if token.lemma in PRODUCTION_CUES and not any(a <= token.start < b for a, b in names):
            return True
    return False


def _other_occurrences(parsed: Parsed, name: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where else the text writes a name found once, outside other names, places and persons."""
    if len(name) < 3 or not name[:1].isupper():
        return []
    busy = taken + [(s.start, s.end) for s in parsed.ner if s.type in ("LOC", "PER")]
    out = []
    for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", parsed.text):
        if not any(m.start() < b and a < m.end() for a, b in busy):
            out.append((m.start(), m.end()))
    return out


def _decide(parsed: Parsed, item: UnknownName, auto_text: bool) -> tuple[str, str | None]:
    """The descriptor decides; without one, the words in and around any of its mentions; with no cue at
    all, an unknown name in a text about the auto industry is more often a company than not."""
    for cls in ("company", "finance", "media", "government", "other"):
        if cls in item.classes:
            if cls == "company" and NON_AUTO.search(parsed.text[item.mentions[0].start : item.mentions[0].end + 60]):
                return "organization", "other"
            return ("company", None) if cls == "company" else ("organization", cls)
    kinds = [classify_org(parsed, m.start, m.end) for m in item.mentions]
    decided = [k for k in kinds if k[0] != "undecided"]
    choice = next((k for k in decided if k[0] == "company"), decided[0] if decided else ("undecided", None))
    if choice[0] == "undecided":
        return ("company", GUESSED) if auto_text else ("organization", "other")
    return choice


def _merge_aliases(items: dict[str, UnknownName]) -> dict[str, UnknownName]:
    """«… (ХММР)» then «площадки ХММР»: a name found on its own that is another name's bracketed alias."""
    merged = dict(items)
    for key, item in items.items():
        if key not in merged:
            continue
        for alias in {fold(m.text) for m in item.aliases}:
            if alias in merged and alias != key:
                other = merged.pop(alias)
                item.mentions.extend(other.mentions)
    return merged


def classify_unknowns(nlp: NLP, parsed: Parsed, unknown: Unknown, found: Found, auto_text: bool) -> None:
    """Add every unknown name to `found` as a company or an organisation.

    Only a company takes in the other places that write its name («Транспневматика» in a title with no
    cue): a spacecraft «Союз» tagged once must not make every «Союз» an organisation.
    """
    for key, item in _merge_aliases(merge_variants(unknown.items)).items():
        name = item.descriptor_name or item.name
        entity, kind = _decide(parsed, item, auto_text)
        mentions = sorted(item.mentions + item.aliases, key=lambda m: m.start)
        if entity == "company":
            more = _other_occurrences(parsed, name, found.claimed)
            for alias in {m.text for m in item.aliases}:
                more += _other_occurrences(parsed, alias, found.claimed + [(m.start, m.end) for m in mentions])
            mentions += [Mention(a, b, parsed.text[a:b]) for a, b in more if all(m.start != a for m in mentions)]
        for m in sorted(mentions, key=lambda m: m.start):
            if entity == "company":
                found.add(entity, key, name, m, known=False, kind=None, company_kind=kind)
            else:
                found.add(entity, key, name, m, known=False, kind=kind)
