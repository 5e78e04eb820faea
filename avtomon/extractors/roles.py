"""The role a company mention plays in its sentence, read from the words around it.

Two stages need it: companies (a brand named only as goods — «седаны Solaris», «на шасси КАМАЗ»,
«Kia Rio» — is not a company of the text) and events (the company acting is not the one that only
marks the place, owns the actor, or stands after a preposition). The rules look at a few tokens on
either side; no syntax parser is needed for the constructions Russian news uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from avtomon.extractors.nlp import Parsed, Token
from avtomon.extractors.records import EntityHit

QUOTES = {"«", "»", '"', "„", "“", "”"}
# «соглашение с японской Isuzu», «детали для Lada»: a company after a preposition is not the one acting
PREPOSITIONS = {"с", "со", "для", "у", "от", "к", "ко", "по", "о", "об", "при", "без", "против", "между", "из",
                "на", "в", "во", "под", "над", "за", "до", "через", "после", "перед", "вместо", "кроме"}
# vehicles: a brand right after one of these names the goods («автобусы ПАЗ», «на шасси КАМАЗ»)
VEHICLE_NOUNS = {"автомобиль", "машина", "легковушка", "легковой", "грузовой", "седан", "кроссовер", "внедорожник",
                 "хэтчбек", "лифтбек", "универсал", "минивэн", "пикап", "фургон", "грузовик", "тягач", "самосвал",
                 "автобус", "электробус", "троллейбус", "трамвай", "электромобиль", "электрокар", "электрокроссовер",
                 "шасси", "трактор", "комбайн", "экскаватор", "погрузчик", "автокран", "кран", "бульдозер",
                 "модель", "модификация", "версия", "поколение", "новинка", "автопоезд", "прицеп", "полуприцеп",
                 "спецтехника", "техника", "мотоцикл", "квадроцикл", "снегоход", "иномарка", "лимузин", "седельный",
                 "малотоннажный", "среднетоннажный", "магистральный", "карьерный"}
# components: after these only an unknown name is goods («двигатели Gamma»); a known maker stays a
# supplier («дизели Cummins»)
PART_NOUNS = {"двигатель", "мотор", "дизель", "шина", "покрышка", "фара", "аккумулятор", "батарея", "коробка",
              "мост", "сиденье", "кресло", "стекло", "агрегат", "установка", "платформа"}
LABEL_NOUNS = {"марка", "бренд", "название", "имя", "логотип"}  # «под маркой «Москвич»»: a label
ASSEMBLY_VERBS = {"собирать", "выпускать", "производить", "собрать", "выпустить", "произвести"}
# «продано машин Zeekr», «доля Lada»: in market figures a brand is counted, so it is a company
COUNTING = {"продажа", "продать", "продаваться", "реализовать", "доля", "место", "лидер", "лидировать", "рейтинг",
            "популярный", "продаваемый", "зарегистрировать", "регистрация", "спрос", "покупать", "купить",
            "пятёрка", "десятка", "тройка", "пятерка", "прибавить", "сеть", "дилер"}
CORPORATE_WORDS = {"motor", "motors", "group", "auto", "automobile", "automotive", "international", "rus", "russia",
                   "ag", "corporation", "corp", "company", "trucks", "truck", "holding", "manufacturing", "cars",
                   "mobility", "industries", "technologies", "energy", "bus", "co", "inc", "ltd", "gmbh", "llc",
                   "рус", "моторс", "мотор", "групп", "авто", "россия", "холдинг", "трак", "тракс"}
PLACE_WORDS = {"завод", "площадка", "мощность", "предприятие", "территория", "конвейер", "производство", "база",
               "линия", "цех"}
OWNER_WORDS = {"входить", "входящий", "принадлежать", "принадлежащий", "дочерний", "подразделение", "дочка",
               "портфельный", "структура", "владелец", "акционер", "собственник", "подконтрольный"}
LABEL_PLACES = {"центр", "салон", "автосалон", "шоурум"}  # «дилерский центр BMW»: the brand labels a place
HOLDER_WORDS = {"компания", "холдинг", "группа", "концерн", "корпорация", "госкорпорация", "структура"}
_MODEL_CODE = re.compile(r"^(?=.*\d)[A-Za-zА-Яа-яЁё0-9.+-]{1,12}$")  # X35, C7H, 4x4, 6282, F7x


@dataclass(frozen=True)
class Role:
    """What a company mention is in its sentence."""

    goods: bool = False  # «Kia Rio», «автобусы ПАЗ», «под маркой «Москвич»»: the product, not the maker acting
    place: bool = False  # «на заводе X», «дилерский центр X»: X is where, not who
    owned: bool = False  # «входящий в X», «дочка X»: X owns the actor
    oblique: bool = False  # «с японской Isuzu»: after a preposition, not the subject
    former: bool = False  # «бывший завод Volkswagen»
    joined: bool = False  # «Соллерс и Isuzu»: the second of two names joined by «и»
    counted: bool = False  # the sentence gives market figures: a brand there is counted as a company
    branded: bool = False  # «марки Chery», «бренда Kaiyi»: named as a brand (goods when a maker acts before it)


def _is_adjective(nlp_parses: list, token: Token) -> bool:
    if token.lemma.endswith(("ский", "цкий")):
        return True
    return bool(nlp_parses) and nlp_parses[0].tag.POS in ("ADJF", "NUMR")


def previous_words(parsed: Parsed, i: int, n: int) -> list[int]:
    """Indices of up to n words before token i in its sentence, nearest first, quotes skipped."""
    out, j = [], i - 1
    while j >= 0 and len(out) < n and parsed.tokens[j].sent == parsed.tokens[i].sent:
        if parsed.tokens[j].text not in QUOTES:
            out.append(j)
        j -= 1
    return out


def _next_word(parsed: Parsed, last: int) -> Token | None:
    """The token after a mention in its sentence, past a closing quote."""
    j = last + 1
    if j < len(parsed.tokens) and parsed.tokens[j].text in ("»", "”", '"'):
        j += 1
    if j >= len(parsed.tokens) or parsed.tokens[j].sent != parsed.tokens[last].sent:
        return None
    return parsed.tokens[j]


def model_follows(parsed: Parsed, last: int, models: frozenset[str]) -> bool:
    """«Kia Rio», «Sitrak C7H», «УАЗ «Патриот»»: a model name right after the brand."""
    j = last + 1
    if j < len(parsed.tokens) and parsed.tokens[j].sent == parsed.tokens[last].sent and parsed.tokens[j].text in (
            "«", "„", "“") and parsed.tokens[last].text not in QUOTES:
        return True  # a quoted name right after the brand: «УАЗ «Патриот»»
    nxt = _next_word(parsed, last)
    if nxt is None:
        return False
    word = nxt.text
    if word in models or (_MODEL_CODE.match(word) and _code(parsed, last, nxt)):
        return True
    # a capitalised Latin word after a Latin brand is a model unless it is part of a company name
    brand = parsed.tokens[last].text
    latin = brand[:1].isascii() and brand[:1].isalpha()
    return latin and word[:1].isupper() and word.isascii() and word.isalpha() and word.lower() not in CORPORATE_WORDS


_UNIT_AFTER = {"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
               "декабрь", "тыс", "тысяча", "млн", "млрд", "%", "процент", "год", "штука", "машина", "автомобиль",
               "единица", "рубль", "месяц", "день"}


def _code(parsed: Parsed, last: int, nxt: Token) -> bool:
    """«X35», «C7H», «4x4» are models; a bare number is one only right after the brand and not a date or a
    quantity («Peugeot 408», but «на «Автоторе» 5 апреля», «КАМАЗ 1063 машины»)."""
    if any(ch.isalpha() for ch in nxt.text):
        return True
    if parsed.tokens[last + 1] is not nxt:
        return False
    i = parsed.start_index.get(nxt.start)
    after = parsed.tokens[i + 1] if i is not None and i + 1 < len(parsed.tokens) else None
    return after is None or after.sent != nxt.sent or (after.lemma not in _UNIT_AFTER and not after.text.isdigit())


def sentence_counts(parsed: Parsed, si: int) -> bool:
    """True if sentence si gives market figures (sales, shares, rankings)."""
    sentence = parsed.sentences[si]
    tokens = parsed.token_range(sentence.start, sentence.end)
    return any(not COUNTING.isdisjoint(parsed.tokens[k].forms) for k in tokens)


MOVING_VERBS = {"приехать", "ехать", "ездить", "прибыть", "передвигаться", "доехать", "подъехать", "пересесть"}
# skipped between a vehicle noun and the brand: «автобусы отечественного производства — ПАЗ, ГАЗ…»
_TRANSPARENT = {"—", "–", ":", "производство", "сборка", "выпуск", "марка", "бренд"}


def _goods_before(parsed: Parsed, prev: list[int], nouns: set[str], counted: bool) -> bool:
    """A vehicle noun (adjectives between), a label «под маркой», an assembly verb or noun before the name."""
    from avtomon.extractors.nlp import get_nlp

    nlp = get_nlp()
    lemmas = [parsed.tokens[j].lemma for j in prev]
    if any(lem in LABEL_NOUNS for lem in lemmas[:2]) and "под" in lemmas[:4]:
        return True  # «под маркой «Москвич»», «под исторической маркой …», «под брендом Senat»
    if "на" in lemmas[:3] and any(lem in MOVING_VERBS for lem in lemmas[1:5]):
        return True  # «приехал на отечественном Aurus»: the car, not the maker
    first = lemmas[0] if lemmas else ""
    if first == "сборка" or (first in ASSEMBLY_VERBS and _impersonal(nlp, prev[0], parsed)):
        return True  # «Сборку Hyundai остановили», «где собирали Hyundai и Kia», «площадка собирала Polo»
    for j, lemma in zip(prev, lemmas, strict=True):
        if lemma in nouns:
            return not counted
        tok = parsed.tokens[j]
        if lemma in _TRANSPARENT or tok.text in _TRANSPARENT or _is_adjective(nlp.parses(tok.text), tok):
            continue
        return False
    return False


def _impersonal(nlp: object, j: int, parsed: Parsed) -> bool:
    """«собирали», «собирала»: a verb that cannot agree with a masculine company name after it."""
    parses = nlp.parses(parsed.tokens[j].text)  # type: ignore[attr-defined]
    return bool(parses) and ("plur" in parses[0].tag or "femn" in parses[0].tag)


def role_of(parsed: Parsed, first: int, last: int, models: frozenset[str], known: bool = True,
            after_name: bool = False) -> Role:
    """The role of a company mention spanning tokens first..last (inclusive).

    `after_name`: the mention follows another company name directly («Hyundai Solaris»): it is a model.
    """
    prev = previous_words(parsed, first, 5)
    lemmas = [parsed.tokens[j].lemma for j in prev]
    counted = sentence_counts(parsed, parsed.tokens[first].sent)
    nouns = VEHICLE_NOUNS if known else VEHICLE_NOUNS | PART_NOUNS
    # «Lada Granta», «Sitrak C7H» stay models even in market figures; «продано машин Zeekr» is counted
    goods = after_name or model_follows(parsed, last, models) or _goods_before(parsed, prev, nouns, counted)
    place = bool(prev) and (lemmas[0] in LABEL_PLACES or any(
        lem in PLACE_WORDS and any(parsed.tokens[k].lemma == "на" for k in prev[n + 1 : n + 3])
        for n, lem in enumerate(lemmas[:2])))
    # «завод компании «Татнефть»», «дочка концерна X»: X in the genitive after a company word owns the thing
    # named before it (but «заём компании «Рулевые системы»» is a loan to it)
    holder = len(prev) > 1 and lemmas[0] in HOLDER_WORDS and parsed.tokens[prev[0]].text.lower() != lemmas[0] and (
        lemmas[1] in PLACE_WORDS | OWNER_WORDS or parsed.tokens[prev[1]].text in QUOTES | {"»"})
    owned = any(lem in OWNER_WORDS for lem in lemmas[:3]) or holder
    oblique = any(parsed.tokens[j].text.lower() in PREPOSITIONS for j in prev[:2])
    branded = any(lem in ("марка", "бренд") for lem in lemmas[:2])
    return Role(goods=goods, place=place, owned=owned, oblique=oblique, former="бывший" in lemmas[:3],
                joined=bool(prev) and parsed.tokens[prev[0]].text == "и", counted=counted, branded=branded)


def in_list(parsed: Parsed, a_last: int, b_first: int, models: frozenset[str] = frozenset()) -> bool:
    """True if two mentions are neighbours in a list: «BAIC, Kaiyi и Chery», «ПАЗ, ГАЗ, ЛиАЗ»; model
    names may stand between («Lada Granta, Vesta, Largus и Datsun»)."""
    between = parsed.tokens[a_last + 1 : b_first]
    separators = [t for t in between if t.text in (",", "и")]
    others = [t for t in between if t.text not in (",", "и", "«", "»", '"')]
    if not separators or len(between) > 16:
        return False
    return all(t.text in models or _MODEL_CODE.match(t.text) for t in others) and (bool(others) or len(between) <= 3)


def spread_over_lists(parsed: Parsed, spans: list[tuple[int, int]], roles: list[Role],
                      models: frozenset[str] = frozenset()) -> list[Role]:
    """A list keeps the role of its first name: «по контрактам с BAIC, Kaiyi и Chery» are all oblique,
    «автобусы ПАЗ, ГАЗ и ЛиАЗ» all goods. `spans` are (first, last) token indices in text order."""
    out = list(roles)
    for i in range(1, len(spans)):
        if in_list(parsed, spans[i - 1][1], spans[i][0], models):
            head = out[i - 1]
            out[i] = replace(out[i], oblique=out[i].oblique or head.oblique, goods=out[i].goods or head.goods,
                             branded=out[i].branded or head.branded)
    return out


def token_spans(parsed: Parsed, hits: list[EntityHit]) -> list[tuple[int, int, EntityHit]]:
    """(first, last) token indices of every mention of `hits`, in text order."""
    spans = []
    for hit in hits:
        for m in hit.mentions:
            idx = parsed.token_range(m.start, m.end)
            if len(idx):
                spans.append((idx[0], idx[-1], hit))
    spans.sort(key=lambda s: (s[0], s[1]))
    return spans


def mention_roles(parsed: Parsed, spans: list[tuple[int, int, EntityHit]], models: frozenset[str]) -> list[Role]:
    """The role of each mention of `token_spans`, lists spreading their first name's role. A company name
    right after another («Hyundai Solaris») is a model; another organisation's name is goods only when a
    model follows it («Boeing 737»)."""
    ends = {b for _, b, h in spans if h.kind == "company"}
    roles = [role_of(parsed, a, b, models, h.known, after_name=a - 1 in ends and parsed.tokens[a - 1].sent ==
                     parsed.tokens[a].sent) if h.kind == "company" else Role(goods=model_follows(parsed, b, models))
             for a, b, h in spans]
    return spread_over_lists(parsed, [(a, b) for a, b, _ in spans], roles, models)


# makers that build vehicles for other brands under contract («на «Автоторе» собирают BAIC»)
ASSEMBLERS = {"carmaker", "trucks", "buses", "lcv", "special"}


def builds_for(maker: EntityHit, brand: EntityHit) -> bool:
    """True if `maker` can assemble `brand` under contract: an assembler that neither owns the brand's
    company nor belongs to it."""
    return (maker.company_kind in ASSEMBLERS and maker.key != brand.key and brand.parent != maker.key
            and maker.parent != brand.key)
