"""Organisation names found from how Russian news writes them, beside natasha's NER.

- A name in quotes after a descriptor: «завод «Лиотех»», «ООО «Рулевые системы»», «банк «Открытие»».
  The descriptor says what the name is: a maker, a bank, a newspaper, a club, a place («индустриальный
  парк «Узловая»»), a product («грузовик «Урал NEXT»») or a work («балет «Спартак»»).
- A plant named by a place adjective: «Сарапульский электрогенераторный завод», «Камышинский крановый
  завод» (a bare «Калужский завод» is a reference to a plant, not a name).
- An abbreviation in brackets after a name is its alias, not part of it: «… завод (СЭГЗ)».
- Place names of the text (quoted after «парк», «район», «деревня»…, or tagged LOC by natasha) are
  never organisations, in whatever case the text writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from avtomon.extractors.nlp import NLP, Parsed, fold

OPEN, CLOSE = {"«", "„", "“"}, {"»", "”", "“"}
# descriptor lemma → what the quoted name after it is
COMPANY_HEADS = {"завод", "автозавод", "производитель", "автопроизводитель", "изготовитель", "концерн", "предприятие",
                 "фирма", "корпорация", "дилер", "автодилер", "дистрибьютор", "поставщик", "стартап", "разработчик",
                 "автохолдинг", "дочка", "комбинат", "фабрика", "мз", "аз", "нпп", "нпо", "автоцентр", "автосалон",
                 "лизингодатель", "оператор"}
LEGAL_HEADS = {"компания", "ооо", "оао", "зао", "пао", "ао", "нао", "гк", "группа", "холдинг", "сп", "тд", "лк",
               "ип", "общество", "предприятие"}
ORG_HEADS = {
    "finance": {"банк", "фонд", "биржа", "страховщик", "брокер", "ифк", "ик"},
    "media": {"газета", "издание", "журнал", "телеканал", "агентство", "портал", "радиостанция", "канал",
              "telegram-канал", "телеграм-канал", "информагентство", "сайт"},
    "government": {"министерство", "ведомство", "госкомпания", "гуп", "фгуп", "муп", "госкорпорация", "служба",
                   "администрация", "департамент", "комитет"},
    "other": {"клуб", "фк", "хк", "команда", "авиакомпания", "университет", "институт", "ассоциация", "союз",
              "партия", "движение", "центр", "объединение", "организация", "ано", "нко", "профсоюз", "театр",
              "музей", "академия", "школа", "колледж", "лига", "федерация", "консорциум", "кооператив",
              "ритейлер", "сеть", "перевозчик"},
}
PLACE_HEADS = {"парк", "технопарк", "промпарк", "технополис", "зона", "оэз", "район", "округ", "деревня", "село",
               "поселок", "посёлок", "микрорайон", "станция", "метро", "стадион", "аэропорт", "вокзал", "трасса",
               "шоссе", "улица", "проспект", "площадь", "бульвар", "тц", "квартал",
               "арена", "месторождение", "порт", "терминал", "курорт", "остров", "город", "наукоград",
               "особый", "индустриальный", "промышленный", "логистический", "хаб", "разрез"}
PRODUCT_HEADS = {"автомобиль", "автобус", "электробус", "грузовик", "кроссовер", "электрокроссовер", "седан",
                 "хэтчбек", "лифтбек", "внедорожник", "минивэн", "пикап", "фургон", "тягач", "самосвал",
                 "электромобиль", "электрокар", "троллейбус", "трамвай", "трактор", "двигатель", "модель",
                 "модификация", "версия", "поколение", "марка", "бренд", "семейство", "линейка", "платформа",
                 "проект", "программа", "система", "комплекс", "кран", "автокран", "мотор", "шина", "лимузин",
                 "электропоезд", "поезд", "самолёт", "самолет", "вертолёт", "вертолет", "корабль", "судно",
                 "ракета", "спутник", "танк", "комбайн", "погрузчик", "экскаватор", "бульдозер", "прицеп",
                 "полуприцеп", "фара", "аккумулятор", "батарея", "нацпроект", "тариф", "кампания", "акция",
                 "приложение", "сервис", "портал-сервис"}
WORK_HEADS = {"балет", "спектакль", "опера", "фильм", "сериал", "роман", "книга", "песня", "альбом", "выставка",
              "фестиваль", "премия", "конкурс", "шоу", "форум", "конференция", "ралли", "ралли-марафон", "гонка",
              "турнир", "чемпионат", "кубок", "марафон", "слет", "слёт", "саммит"}
# «Калужский завод» alone is a reference to a plant; a name has a word saying what the plant makes
GENERIC_PLANTS = {"завод", "автозавод", "предприятие", "комбинат", "фабрика"}
_ABBR = re.compile(r"\s*\(([A-ZА-ЯЁ][A-ZА-ЯЁа-яё0-9-]{1,9})\)")
# Russian place names end so («Есипово», «Губино», «Шушары» are in the region gazetteer)
_TOPONYM = re.compile(r"(ово|ево|ёво|ино|ыно|ова|ева|ина|ове|еве|ине|овом|евом|ином)$")


@dataclass(frozen=True)
class QuotedName:
    start: int  # character span of the name inside the quotes
    end: int
    text: str
    head: str | None  # the descriptor lemma before the opening quote
    cls: str  # company | legal | finance | media | government | other | place | product | work | none
    head_start: int  # where the descriptor phrase starts (for the mention of «ООО «Х»» this is not used)


def _head_class(lemma: str) -> str:
    if lemma in COMPANY_HEADS:
        return "company"
    if lemma in LEGAL_HEADS:
        return "legal"
    for kind, heads in ORG_HEADS.items():
        if lemma in heads:
            return kind
    if lemma in PLACE_HEADS:
        return "place"
    if lemma in PRODUCT_HEADS:
        return "product"
    if lemma in WORK_HEADS:
        return "work"
    return "none"


def _descriptor(nlp: NLP, parsed: Parsed, quote: int) -> tuple[str | None, str, int]:
    """The descriptor before the opening quote at token `quote`: the nearest noun among the three words
    before it (adjectives and nested opening quotes skipped), its class, and where it starts."""
    j, seen = quote - 1, 0
    sent = parsed.tokens[quote].sent
    while j >= 0 and seen < 3 and parsed.tokens[j].sent == sent:
        tok = parsed.tokens[j]
        if tok.text in OPEN:
            j -= 1
            continue
        if not any(ch.isalpha() for ch in tok.text):
            break
        cls = _head_class(tok.lemma) if tok.lemma else "none"
        if cls == "none":
            cls = next((c for c in map(_head_class, tok.forms) if c != "none"), "none")
        if cls != "none":
            return tok.lemma, cls, tok.start
        parses = nlp.parses(tok.text)
        if not parses or parses[0].tag.POS not in ("ADJF", "PRTF", "NUMR", "ADJS"):
            break
        seen += 1
        j -= 1
    return None, "none", parsed.tokens[quote].start


def quoted_names(nlp: NLP, parsed: Parsed) -> list[QuotedName]:
    """Every «…» name of the text (outermost quotes; «ООО «Х»» gives Х), with its descriptor."""
    out: list[QuotedName] = []
    tokens = parsed.tokens
    i = 0
    while i < len(tokens):
        if tokens[i].text not in OPEN:
            i += 1
            continue
        j = i + 1
        depth = 1
        while j < len(tokens) and tokens[j].sent == tokens[i].sent:
            if tokens[j].text in OPEN and tokens[j].text != "“":
                depth += 1
            elif tokens[j].text in CLOSE:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(tokens) or tokens[j].sent != tokens[i].sent or j == i + 1 or j - i > 8:
            i += 1
            continue
        inner_first = i + 1
        head, cls, head_start = _descriptor(nlp, parsed, i)
        # «ООО «Рулевые системы»», «АО «Автоэлектроника»»: the legal form inside the outer quotes
        if tokens[inner_first].text.lower() in LEGAL_HEADS | COMPANY_HEADS and inner_first + 1 < j and tokens[
                inner_first + 1].text in OPEN:
            head, cls = tokens[inner_first].text.lower(), _head_class(tokens[inner_first].text.lower())
            inner_first += 2
        start, end = tokens[inner_first].start, tokens[j - 1].end
        if tokens[j - 1].text in CLOSE and j - 1 > inner_first:  # «ООО «Х»» closes twice
            end = tokens[j - 2].end
        text = parsed.text[start:end].strip("«»“”„\" ")
        if cls == "place" and _genitive_only(nlp, text):
            head, cls = None, "none"  # «в парки «Мосгортранса»»: the owner of the place, not its name
        if _quotation(text):
            head, cls = None, "none"  # «позволяют предприятию «чувствовать себя увереннее»»: words quoted
        if text and any(ch.isalpha() for ch in text):
            out.append(QuotedName(start, start + len(text), text, head, cls, head_start))
        i = j + 1
    return out


def _quotation(text: str) -> bool:
    """Quoted words, not a name: three or more words starting with a lower-case Cyrillic letter (names
    are capitalised; a lower-case Latin brand such as «iVolga» is one word)."""
    return "а" <= text[:1] <= "я" and len(text.split()) >= 3


def _genitive_only(nlp: NLP, text: str) -> bool:
    """True if the name's first word can only be read in the genitive («Мосгортранса»)."""
    words = text.split()
    parses = nlp.parses(words[0]) if words else []
    cases = {p.tag.case for p in parses[:4]}
    return bool(parses) and "gent" in cases and "nomn" not in cases and None not in cases


def bracket_alias(text: str, end: int) -> tuple[int, int] | None:
    """An abbreviation in brackets right after a name ending at `end`: «…завод (СЭГЗ)» → span of СЭГЗ."""
    m = _ABBR.match(text, end)
    if not m or not any(ch.isupper() for ch in m.group(1)[1:] + m.group(1)[:1]):
        return None
    abbr = m.group(1)
    if sum(ch.isupper() for ch in abbr) < 2:
        return None
    return m.start(1), m.end(1)


def before_quotes(parsed: Parsed, i: int) -> int:
    """The index of the token before token i, past opening quotes («завод «Х»» → завод); -1 at the start."""
    j = i - 1
    while j >= 0 and parsed.tokens[j].text in OPEN:
        j -= 1
    return j


def generic_plant(words: list[str], lemmas: list[str]) -> bool:
    """«Калужский завод», «Новый завод»: an adjective and a plant word only, not a name."""
    return len(words) == 2 and lemmas[1] in GENERIC_PLANTS and not words[1][:1].isupper()


class PlaceNames:
    """Place names of one text: quoted after a place word, or tagged LOC by natasha."""

    def __init__(self, parsed: Parsed, quoted: list[QuotedName]) -> None:
        self.names: list[list[str]] = []
        for q in quoted:
            if q.cls == "place":
                self._add(q.text)
        for span in parsed.ner:
            if span.type == "LOC" and " " not in span.text.strip():
                self._add(span.text)  # one-word toponyms: «в Большом театре» does not make the theatre a place

    def _add(self, name: str) -> None:
        words = fold(name.strip("«»\"“” ")).split()
        if words:
            self.names.append(words)

    def has(self, name: str) -> bool:
        """True if `name` is one of the text's place names in any case form: «Храброва» is «Храброво»,
        «Славянского бульвара» is «Славянский бульвар», «Узловой» is «Узловая»."""
        words = fold(name.strip("«»\"“” ")).split()
        return any(len(p) == len(words) and all(_same_word(a, b) for a, b in zip(p, words, strict=True))
                   for p in self.names)


def _same_word(a: str, b: str) -> bool:
    """Two case forms of one word: a long common prefix and nearly the same length."""
    if abs(len(a) - len(b)) > 3:
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= max(4, min(len(a), len(b)) - 2) or a == b


# a name ending in one of these is a venue: «Лада-Арена», «Газпром Арена»
PLACE_TAILS = re.compile(r"(арен|стадион|парк|вокзал|аэропорт|молл|плаз|сити)\w{0,3}$", re.I)


def toponym_shaped(parsed: Parsed, start: int, end: int) -> bool:
    """«в Есипово», «под Чертаново»: one capitalised word shaped like a Russian place name after a
    locative preposition."""
    idx = parsed.token_range(start, end)
    words = [parsed.tokens[i] for i in idx if parsed.tokens[i].text not in OPEN | CLOSE]
    if len(words) != 1 or not _TOPONYM.search(fold(words[0].text)):
        return False
    j = before_quotes(parsed, idx[0])
    return j >= 0 and parsed.tokens[j].text.lower() in {"в", "во", "на", "под", "из", "у", "около", "возле", "близ"}
