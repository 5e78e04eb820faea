"""natasha ORG spans made into organisation mentions: trimmed, extended, and natasha's usual slips dropped."""

from __future__ import annotations

import re

from avtomon.extractors.gazetteer import Match
from avtomon.extractors.names import WORK_HEADS
from avtomon.extractors.nlp import NLP, Parsed
from avtomon.extractors.normalize import DESCRIPTORS, LEGAL_FORMS, QUOTES
from avtomon.extractors.records import Mention
from avtomon.extractors.resources import Resources

OPENING_QUOTES = {"«", '"', "„", "“"}
# «американская Caterpillar», «японская Komatsu»: the adjective describes the company, it is not its name
NATIONALITY = re.compile(r"(американск|японск|китайск|немецк|германск|корейск|южнокорейск|французск|итальянск|"
                         r"шведск|чешск|белорусск|британск|английск|индийск|турецк|иранск|финск|австрийск|"
                         r"швейцарск|голландск|нидерландск|испанск|польск|российск|отечественн|зарубежн|иностранн|"
                         r"эмиратск|казахстанск|узбекск)\w*\s+", re.I)


def clean_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim trailing punctuation, a line break inside, and unbalanced quotes from a NER span.

    Balanced quotes stay: «ГУП «Водоканал»» is how the name is written, and the name is normalised
    separately for display.
    """
    nl = text.find("\n", start, end)
    if nl != -1:  # a span never crosses the title into the text
        end = nl
    while end > start and (text[end - 1] in ".,:;" or text[end - 1].isspace()):
        end -= 1
    inner = text[start:end]
    if inner[:1] in QUOTES and sum(inner.count(q) for q in "«»\"") == 1:
        start += 1
    elif inner[-1:] in OPENING_QUOTES and sum(inner.count(q) for q in "«»\"") == 1:
        end -= 1  # «Нижегородская компания «» cut before the name it introduces
        while end > start and text[end - 1].isspace():
            end -= 1
    m = NATIONALITY.match(text, start, end)
    if m and m.end() < end:
        rest = DESCRIPTOR_WORD.match(text, m.end(), end)  # «Американская компания Ковалент Моторс»
        if rest and rest.end() < end and text[rest.end()].isupper():
            start = rest.end()
        elif text[m.end()].isupper():
            start = m.end()
    return start, end


DESCRIPTOR_WORD = re.compile(r"(компания|концерн|корпорация|группа|холдинг|производитель|автопроизводитель|фирма|"
                             r"стартап)\s+", re.I)


def quoted_core(parsed: Parsed, start: int, end: int) -> tuple[int, int]:
    """«ОАО «ВымпелКом»», «концерн «Майкрософт»»: the mention is the name inside the quotes, as
    written in running text; the descriptor and the legal form are not part of the name."""
    idx = parsed.token_range(start, end)
    if len(idx) < 3:
        return start, end
    first, quote, last = parsed.tokens[idx[0]], parsed.tokens[idx[1]], parsed.tokens[idx[-1]]
    if ((first.lemma in DESCRIPTORS or first.text.lower() in LEGAL_FORMS) and quote.text in OPENING_QUOTES
            and last.text in QUOTES and last.start > quote.end):
        return quote.end, last.start
    return start, end


GOVERNMENT_HEADS = {"правительство", "администрация", "мэрия", "министерство", "губернатор", "департамент",
                    "дума", "законодательный", "парламент", "совет", "минпромторг", "минэкономразвития", "комитет",
                    "конгресс", "сенат", "палата", "суд", "прокуратура", "партия", "мчс", "мид", "минфин",
                    "собрание", "обком", "служба", "ведомство", "фонд", "корпорация", "агентство", "минэнерго",
                    "министр", "минтранс", "минсельхоз"}


def extend_with_place(parsed: Parsed, start: int, end: int) -> int:
    """«Правительство» + «Московской области», «Фонд развития промышленности» + «Челябинской
    области» → one organisation: a public body's name takes in the place right after it."""
    inside = parsed.token_range(start, end)
    # «Генеральная прокуратура» + «ОАЭ»: the body word need not come first
    if not any(parsed.tokens[i].lemma in GOVERNMENT_HEADS for i in inside):
        return end
    for loc in parsed.ner:
        if loc.type == "LOC" and 0 <= loc.start - end <= 1 and parsed.text[end : loc.start].strip() == "":
            return loc.end
    return end


NOT_ORGS = {"сми", "мкс", "мы", "нам", "нас", "вы", "они", "рунет", "спик", "сп", "егрюл", "егрип", "спарк",
            "осаго", "каско", "гост", "эра-глонасс", "глонасс", "пмэф", "иннопром", "нацпроект", "оэз", "ип",
            "ооо", "ао", "пао", "зао", "оао", "ндс", "ввп", "ии", "it", "ит", "api", "ev", "suv", "акб", "эур", "абс",
            "telegram-канал", "телеграм-канал", "телеграм", "vin", "дтп", "мкад", "ттк", "phev",
            # a descriptor natasha cuts off the name it introduces: «Группа компаний «Автодом»»
            "группа компания", "совет директор", "пресс-служба", "компания", "группа", "холдинг", "экспертный совет",
            "наблюдательный совет", "совет", "правление"}
GENERIC_HEADS = {"рынок", "отрасль", "индустрия", "сегмент", "автопром"}

# a quoted name right after one of these is a model: «автобусов «Вектор Next»», «поколения «Урал NEXT»»
PRODUCT_NOUNS = {"автомобиль", "автобус", "электробус", "грузовик", "кроссовер", "электрокроссовер", "седан",
                 "хэтчбек", "лифтбек", "внедорожник", "минивэн", "пикап", "фургон", "тягач", "самосвал",
                 "электромобиль", "троллейбус", "трамвай", "трактор", "двигатель", "модель", "модификация",
                 "версия", "поколение"}


def model_name(parsed: Parsed, first: int) -> bool:
    """True if the name starting at token `first` follows a vehicle, model or work noun (maybe quoted)."""
    i = first - 1
    if i >= 0 and parsed.tokens[i].text in QUOTES:
        i -= 1
    if i < 0:
        return False
    before = parsed.tokens[i]
    quoted = i < first - 1
    return before.sent == parsed.tokens[first].sent and (
        (quoted and before.lemma in PRODUCT_NOUNS) or before.lemma in WORK_HEADS)


def not_an_org(parsed: Parsed, start: int, end: int, res: Resources) -> bool:
    """natasha's usual slips: «СМИ», «Интернет», a pronoun, a model name, a descriptor before the name
    it introduces («Нижегородская компания «Авиатор»»), or a common noun phrase opening a sentence
    («Автомобильный рынок…», «Автосборочный завод в Калуге…»)."""
    idx = parsed.token_range(start, end)
    words = [parsed.tokens[i] for i in idx]
    if not words:
        return True
    if model_name(parsed, idx[0]):
        return True
    if " ".join(w.lemma for w in words if w.text not in QUOTES) in NOT_ORGS:
        return True
    after = parsed.tokens[idx[-1] + 1] if idx[-1] + 1 < len(parsed.tokens) else None
    if words[-1].lemma in DESCRIPTORS and after is not None and after.text in OPENING_QUOTES:
        return True
    if len(words) == 1 and words[0].first_in_sentence and _common_noun(words[0].text):
        return True  # «Кроссоверы выпускаются…»: a capital at the start of a sentence makes no name
    head = words[-1].lemma
    generic = head in GENERIC_HEADS or (head in DESCRIPTORS and not place_word(res, parsed, idx[0]))
    return words[0].first_in_sentence and generic and not any(t.text[:1].isupper() for t in words[1:])


def _common_noun(word: str) -> bool:
    """A dictionary noun that is no name, place or organisation («Кроссоверы», «Поставщики»)."""
    from avtomon.extractors.nlp import get_nlp

    parses = get_nlp().parses(word)
    return bool(parses) and parses[0].is_known and parses[0].tag.POS == "NOUN" and not (
        {"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr"} & set(parses[0].tag.grammemes))


def place_word(res: Resources, parsed: Parsed, i: int) -> bool:
    """«Ярославский», «Борский» (…завод) name a place; «Автосборочный», «Новый» (завод) do not.

    Place adjectives end in -ский/-цкий, product and quality ones («шинный», «крупнейший») do not.
    """
    return parsed.tokens[i].lemma.endswith(("ский", "цкий")) or bool(res.regions.matches_at(parsed.tokens, i))


# «мэрия Москвы», «администрации Тольятти»: written in lower case mid-sentence, natasha misses them
LOCAL_GOVERNMENT = {"мэрия", "правительство", "администрация"}
# «министерство энергетики Московской области», «департамент транспорта Москвы»: a body word, its
# genitive words, then the place
REGIONAL_BODIES = {"министерство", "департамент", "комитет", "управление", "агентство", "инспекция", "служба"}
# «правительство области», «администрация региона»: the one region the text is about
GENERIC_PLACES = {"область", "край", "республика", "регион", "округ"}


def _capitalised_nominative(nlp: NLP, word: str) -> str:
    parses = nlp.parses(word)
    form = parses[0].inflect({"nomn", "sing"}) if parses else None
    text = form.word if form else word
    return text[:1].upper() + text[1:]


def _genitive(nlp: NLP, name: str) -> str:
    """«Калининградская область» → «Калининградской области»."""
    out = []
    for word in name.split():
        parses = [p for p in nlp.parses(word) if p.tag.case == "nomn"] or nlp.parses(word)
        form = parses[0].inflect({"gent"}) if parses else None
        out.append(_restore(word, form.word) if form else word)
    return " ".join(out)


def _restore(original: str, word: str) -> str:
    return word[:1].upper() + word[1:] if original[:1].isupper() else word


def local_governments(nlp: NLP, parsed: Parsed, places: list[Match], region_names: dict[str, str]
                      ) -> list[tuple[int, int, str]]:
    """(start, end, name) of public bodies written in lower case before a place: «мэрия Москвы»,
    «министерство энергетики Московской области», «правительство области» (the text's one region)."""
    out = []
    for m in places:
        if m.payload.source == "adjective":
            continue
        first = m.start - 1
        # «министерство инвестиционной политики Саратовской области»: lower-case genitive words between
        while first >= 0 and m.start - first <= 5 and parsed.tokens[first].sent == parsed.tokens[m.start].sent and (
                parsed.tokens[first].text.islower() and parsed.tokens[first].lemma not in REGIONAL_BODIES
                | LOCAL_GOVERNMENT and parsed.tokens[first].text.isalpha()):
            first -= 1
        if first < 0 or parsed.tokens[first].sent != parsed.tokens[m.start].sent:
            continue
        head = parsed.tokens[first]
        if (head.lemma in LOCAL_GOVERNMENT and first == m.start - 1) or (head.lemma in REGIONAL_BODIES and (
                head.text.islower() and first < m.start - 1)):
            end = parsed.tokens[m.end - 1].end
            words = parsed.text[parsed.tokens[first + 1].start : end] if first + 1 < m.start else ""
            place = parsed.text[parsed.tokens[m.start].start : end]
            middle = parsed.text[parsed.tokens[first + 1].start : parsed.tokens[m.start].start] if words else ""
            out.append((head.start, end, f"{_capitalised_nominative(nlp, head.text)} {middle}{place}"))
    codes = {m.payload.code for m in places}
    if len(codes) == 1:
        region = _genitive(nlp, region_names[codes.pop()])
        for i, tok in enumerate(parsed.tokens[:-1]):
            nxt = parsed.tokens[i + 1]
            if tok.lemma in LOCAL_GOVERNMENT and nxt.lemma in GENERIC_PLACES and nxt.text.islower():
                out.append((tok.start, nxt.end, f"{_capitalised_nominative(nlp, tok.text)} {region}"))
    return out


def after_descriptor(parsed: Parsed, start: int, end: int) -> bool:
    """A name in quotes after «компания», «завод»… keeps its form: «компании «Икон Тайрс»» is «Икон
    Тайрс», not «Иконы Тайрс» (while «уступил «Салавату Юлаеву»» declines)."""
    if start < 2 or parsed.text[start - 1] not in OPENING_QUOTES or parsed.text[end : end + 1] not in QUOTES:
        return False
    i = parsed.start_index.get(start)
    return i is not None and i >= 2 and parsed.tokens[i - 2].lemma in DESCRIPTORS


def mention(parsed: Parsed, start: int, end: int) -> Mention:
    core = quoted_core(parsed, start, end)
    return Mention(core[0], core[1], parsed.text[core[0] : core[1]])
