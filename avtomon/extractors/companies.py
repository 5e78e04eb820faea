"""Companies and other organisations: gazetteers first, natasha ORG spans for the rest.

The gazetteer beats the NER type: natasha reads «Автотор» as a person in the reference article,
and a place-named company («Урал») as a location. An ORG span outside the gazetteers becomes a
company or an organisation by the words in and around it.
"""

from __future__ import annotations

import re

from avtomon.extractors.gazetteer import Match
from avtomon.extractors.nlp import NLP, NerSpan, Parsed, fold
from avtomon.extractors.normalize import DESCRIPTORS, LEGAL_FORMS, QUOTES, nominative_org, quoted_name, strip_legal
from avtomon.extractors.records import EntityHit, Mention
from avtomon.extractors.resources import OrgEntry, Resources

COMPANY_CUES = {"завод", "автозавод", "автопроизводитель", "автоконцерн", "концерн", "производитель", "дилер",
                "автодилер", "дистрибьютор", "автохолдинг", "автосборочный", "сборочный", "шинный", "моторный",
                "автомобильный", "автокомпонент", "автобусный", "тракторный", "лизинговый", "поставщик",
                "автоцентр", "автосалон", "электромобиль", "грузовик", "автомобиль", "машиностроительный",
                "автопром", "марка", "бренд", "стартап", "японский", "китайский", "немецкий", "корейский",
                "американский", "французский", "белорусский", "шведский", "итальянский", "чешский"}
GOVERNMENT_CUES = {"министерство", "министр", "правительство", "администрация", "служба", "комитет", "департамент",
                   "ведомство", "дума", "парламент", "суд", "прокуратура", "мэрия", "губернатор", "госкорпорация",
                   "управление", "инспекция", "федеральный", "государственный", "совет", "палата", "полиция",
                   "партия", "фракция", "армия", "войско", "мвд", "фсб", "мид"}
MEDIA_CUES = {"газета", "издание", "телеканал", "журнал", "портал", "агентство", "радиостанция", "сми",
              "информагентство", "аналитический"}
FINANCE_CUES = {"банк", "фонд", "биржа", "страховой", "инвестиционный", "брокер", "кредитный", "финансовый",
                "bank", "capital", "fund", "insurance", "exchange", "securities"}
CONTEXT_TOKENS = 3
# «ФК «КАМАЗ»», «хоккейный клуб «Торпедо»»: a club named after a plant is not the plant
SPORT_CUES = {"фк", "хк", "клуб", "футбольный", "хоккейный", "баскетбольный", "волейбольный", "команда",
              "болельщик", "игрок", "нападающий", "защитник", "вратарь"}


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _inside_full_name(nlp: NLP, parsed: Parsed, mention: Mention) -> bool:
    """«Эдуард Мишлен» is a person: a PER span that adds a first name to the match wins over the gazetteer."""
    for span in parsed.ner:
        if span.type == "PER" and span.start <= mention.start and mention.end <= span.end and (
                span.end - span.start > mention.end - mention.start):
            rest = parsed.text[span.start : mention.start] + " " + parsed.text[mention.end : span.end]
            if any("Name" in p.tag for w in rest.split() for p in nlp.parses(w)[:2]):
                return True
    return False


def _sports_club(parsed: Parsed, first: int) -> bool:
    """True if the words just before a company name make it a sports club."""
    before = [t for t in parsed.tokens[max(0, first - CONTEXT_TOKENS) : first] if t.sent == parsed.tokens[first].sent]
    return any(t.lemma in SPORT_CUES for t in before)


def gazetteer_hits(parsed: Parsed, res: Resources) -> list[tuple[Match, Mention]]:
    """Company and organisation gazetteer matches with their character spans."""
    out = []
    for m in res.orgs.find(parsed.tokens):
        start, end = parsed.tokens[m.start].start, parsed.tokens[m.end - 1].end
        out.append((m, Mention(start, end, parsed.text[start:end])))
    return out


# An unknown organisation followed in its sentence by words about making things is a company:
# «Компания «Итэлма» открыла завод», «компания «Автоком» запустила линию литья бамперов».
PRODUCTION_CUES = {"завод", "автозавод", "производство", "выпуск", "конвейер", "цех", "автопроизводитель",
                   "автокомпонент", "комплектующий", "сборка", "литье", "штамповка", "автомобилестроение"}


def classify_org(parsed: Parsed, start: int, end: int) -> tuple[str, str | None]:
    """('company', None) or ('organization', kind) from cue words inside and just before the span,
    else from production words after it in its sentence."""
    idx = list(parsed.token_range(start, end))
    if not idx:
        return "organization", "other"
    first = idx[0]
    before = range(max(0, first - CONTEXT_TOKENS), first)
    lemmas_inside = {parsed.tokens[i].lemma for i in idx}
    lemmas_before = {parsed.tokens[i].lemma for i in before}
    for lemmas in (lemmas_inside, lemmas_before):
        if lemmas & GOVERNMENT_CUES:
            return "organization", "government"
        if lemmas & FINANCE_CUES:
            return "organization", "finance"
        if lemmas & MEDIA_CUES:
            return "organization", "media"
        if lemmas & COMPANY_CUES:
            return "company", None
    if _production_follows(parsed, idx[-1]):
        return "company", None
    return "organization", "other"


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


def _clean_span(parsed: Parsed, span: NerSpan) -> tuple[int, int]:
    """Trim trailing punctuation and unbalanced quotes from a NER span (offsets stay exact).

    Balanced quotes stay: «ГУП «Водоканал»» is how the name is written, and the name is normalised
    separately for display.
    """
    start, end = span.start, span.end
    text = parsed.text
    while end > start and (text[end - 1] in ".,:;" or text[end - 1].isspace()):
        end -= 1
    inner = text[start:end]
    if inner[:1] in QUOTES and sum(inner.count(q) for q in "«»\"") == 1:
        start += 1
    elif inner[-1:] in OPENING_QUOTES and sum(inner.count(q) for q in "«»\"") == 1:
        end -= 1  # «Нижегородская компания «» cut before the name it introduces
        while end > start and text[end - 1].isspace():
            end -= 1
    return start, end


OPENING_QUOTES = {"«", '"', "„", "“"}


def _quoted_core(parsed: Parsed, start: int, end: int) -> tuple[int, int]:
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
                    "собрание", "обком", "служба", "ведомство"}


def _extend_with_place(parsed: Parsed, start: int, end: int) -> int:
    """«Правительство» + «Московской области», «МЧС» + «России» → one organisation: a public body's
    name takes in the place right after it."""
    inside = parsed.token_range(start, end)
    # «Генеральная прокуратура» + «ОАЭ»: the body word need not come first
    if not any(parsed.tokens[i].lemma in GOVERNMENT_HEADS for i in inside):
        return end
    for loc in parsed.ner:
        if loc.type == "LOC" and 0 <= loc.start - end <= 1 and parsed.text[end : loc.start].strip() == "":
            return loc.end
    return end


NOT_ORGS = {"сми", "мкс", "мы", "нам", "нас", "вы", "они", "рунет", "спик",
            # a descriptor natasha cuts off the name it introduces: «Группа компаний «Автодом»»
            "группа компания", "совет директор", "пресс-служба", "компания", "группа", "холдинг"}
GENERIC_HEADS = {"рынок", "отрасль", "индустрия", "сегмент", "автопром"}


# a quoted name right after one of these is a model: «автобусов «Вектор Next»», «поколения «Урал NEXT»»
PRODUCT_NOUNS = {"автомобиль", "автобус", "электробус", "грузовик", "кроссовер", "электрокроссовер", "седан",
                 "хэтчбек", "лифтбек", "внедорожник", "минивэн", "пикап", "фургон", "тягач", "самосвал",
                 "электромобиль", "троллейбус", "трамвай", "трактор", "двигатель", "модель", "модификация",
                 "версия", "поколение"}


# a quoted name after one of these is a work or an event: «балет «Спартак»», «форум «Иннопром»»
WORK_NOUNS = {"балет", "спектакль", "опера", "фильм", "сериал", "роман", "книга", "песня", "альбом", "выставка",
              "фестиваль", "премия", "конкурс", "шоу"}


def _model_name(parsed: Parsed, first: int) -> bool:
    """True if the quoted name starting at token `first` follows a vehicle, model or work noun."""
    i = first - 1
    if i < 1 or parsed.tokens[i].text not in QUOTES:
        return False
    before = parsed.tokens[i - 1]
    return before.sent == parsed.tokens[first].sent and (before.lemma in PRODUCT_NOUNS or before.lemma in WORK_NOUNS)


def _not_an_org(parsed: Parsed, start: int, end: int, res: Resources) -> bool:
    """natasha's usual slips: «СМИ», «Интернет», a pronoun, a model name in quotes, a descriptor
    before the name it introduces («Нижегородская компания «Авиатор»»), or a common noun phrase
    opening a sentence («Автомобильный рынок…», «Автосборочный завод в Калуге…»)."""
    idx = parsed.token_range(start, end)
    words = [parsed.tokens[i] for i in idx]
    if not words:
        return True
    if _model_name(parsed, idx[0]):
        return True
    if " ".join(w.lemma for w in words if w.text not in QUOTES) in NOT_ORGS:
        return True
    after = parsed.tokens[idx[-1] + 1] if idx[-1] + 1 < len(parsed.tokens) else None
    if words[-1].lemma in DESCRIPTORS and after is not None and after.text in OPENING_QUOTES:
        return True
    head = words[-1].lemma
    generic = head in GENERIC_HEADS or (head in DESCRIPTORS and not _place_word(res, parsed, idx[0]))
    return words[0].first_in_sentence and generic and not any(t.text[:1].isupper() for t in words[1:])


def _place_word(res: Resources, parsed: Parsed, i: int) -> bool:
    """«Ярославский», «Борский» (…завод) name a place; «Автосборочный», «Новый» (завод) do not.

    Place adjectives end in -ский/-цкий, product and quality ones («шинный», «крупнейший») do not.
    """
    return parsed.tokens[i].lemma.endswith(("ский", "цкий")) or bool(res.regions.matches_at(parsed.tokens, i))


# «мэрия Москвы», «администрации Тольятти»: written in lower case mid-sentence, natasha misses them
LOCAL_GOVERNMENT = {"мэрия", "правительство", "администрация"}


def _local_governments(parsed: Parsed, places: list[Match]) -> list[tuple[int, int, str]]:
    """(start, end, nominative name) of a government word followed by a region or town."""
    out = []
    for m in places:
        if m.start == 0 or m.payload.source == "adjective":
            continue
        head = parsed.tokens[m.start - 1]
        if head.lemma in LOCAL_GOVERNMENT and head.sent == parsed.tokens[m.start].sent:
            end = parsed.tokens[m.end - 1].end
            out.append((head.start, end, f"{head.lemma.capitalize()} {parsed.text[parsed.tokens[m.start].start:end]}"))
    return out


def _after_descriptor(parsed: Parsed, start: int, end: int) -> bool:
    """A name in quotes after «компания», «завод»… keeps its form: «компании «Икон Тайрс»» is «Икон
    Тайрс», not «Иконы Тайрс» (while «уступил «Салавату Юлаеву»» declines)."""
    if start < 2 or parsed.text[start - 1] not in OPENING_QUOTES or parsed.text[end : end + 1] not in QUOTES:
        return False
    i = parsed.start_index.get(start)
    return i is not None and i >= 2 and parsed.tokens[i - 2].lemma in DESCRIPTORS


def _mention(parsed: Parsed, start: int, end: int) -> Mention:
    core = _quoted_core(parsed, start, end)
    return Mention(core[0], core[1], parsed.text[core[0] : core[1]])


def _other_occurrences(parsed: Parsed, name: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where else the text writes a name natasha found once, outside other names, places and persons."""
    if len(name) < 4 or not name[:1].isupper():
        return []
    busy = taken + [(s.start, s.end) for s in parsed.ner if s.type in ("LOC", "PER")]
    out = []
    for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", parsed.text):
        if not any(_overlaps(m.start(), m.end(), a, b) for a, b in busy):
            out.append((m.start(), m.end()))
    return out


def _gazetteer_entry(res: Resources, name: str) -> OrgEntry | None:
    """A NER ORG span whose name is a gazetteer alias (seen where a strict alias could not match)."""
    return res.alias_index.get(fold(strip_legal(name)))


class _Found:
    """Companies and organisations found so far, and the character ranges they claim."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], EntityHit] = {}
        self.claimed: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return not any(_overlaps(start, end, a, b) for a, b in self.claimed)

    def add(self, entity: str, key: str, name: str, mention: Mention, known: bool, kind: str | None) -> None:
        hit = self.by_key.setdefault((entity, key), EntityHit(entity, key, name, known=known, org_kind=kind))
        hit.mentions.append(mention)

    def add_entry(self, entry: OrgEntry, mention: Mention) -> None:
        """A gazetteer entry: known."""
        self.add(entry.entity, entry.key, entry.name, mention, True,
                 entry.kind if entry.entity == "organization" else None)


def _from_gazetteers(nlp: NLP, parsed: Parsed, res: Resources, found: _Found) -> None:
    hits = [h for h in gazetteer_hits(parsed, res) if not _inside_full_name(nlp, parsed, h[1])]
    # one sense per text: if «КАМАЗ» is a football club once, the bare «КАМАЗ» in the title is too
    clubs = {m.payload.key for m, _ in hits if m.payload.entity == "company" and _sports_club(parsed, m.start)}
    for match, mention in hits:
        entry: OrgEntry = match.payload
        if entry.entity == "company" and entry.key in clubs:
            # the club bears the brand, not the plant's full name: «Автозавод «Урал»» → «Урал»
            club = quoted_name(nlp, entry.name) or entry.name
            entry = OrgEntry("organization", f"club-{entry.key}", club, "other", ())
        found.add_entry(entry, mention)
        found.claimed.append((mention.start, mention.end))


def _from_ner(nlp: NLP, parsed: Parsed, res: Resources, found: _Found) -> dict[str, tuple[str, list]]:
    """natasha's ORG spans: gazetteer aliases written another way are added; the rest come back by name."""
    unknown: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for span in parsed.ner:
        if span.type != "ORG" or not found.free(span.start, span.end):
            continue
        start, end = _clean_span(parsed, span)
        end = _extend_with_place(parsed, start, end)
        surface = parsed.text[start:end]
        name = surface if _after_descriptor(parsed, start, end) else nominative_org(nlp, surface)
        if not strip_legal(name) or len(name) < 2 or _not_an_org(parsed, start, end, res):
            continue
        found.claimed.append((start, end))
        entry = _gazetteer_entry(res, name) or _gazetteer_entry(res, surface)
        if entry is None:
            unknown.setdefault(fold(strip_legal(name)), (name, []))[1].append((start, end))
        else:
            found.add_entry(entry, _mention(parsed, start, end))
    return unknown


def _merge_short_names(unknown: dict[str, tuple[str, list]]) -> dict[str, tuple[str, list]]:
    """«Театр оперы и балета» in a title is the «Новосибирский театр оперы и балета» of the text: a
    name that ends another, longer one of the same text is that organisation."""
    merged = dict(unknown)
    for key in sorted(unknown, key=len):
        longer = [k for k in merged if k != key and len(k) > len(key) and k.endswith(" " + key)]
        if len(longer) == 1 and key in merged:
            _, spans = merged.pop(key)
            merged[longer[0]][1].extend(spans)
    return merged


def _from_unknown(parsed: Parsed, unknown: dict[str, tuple[str, list]], found: _Found) -> None:
    """A name is a company if any place that writes it reads like one («Транспневматика» in a title
    with no cue, then «…откроет линию по выпуску…» where natasha missed it). Only a company takes in
    those other places: a spacecraft «Союз» tagged once must not make every «Союз» one."""
    for key, (name, spans) in _merge_short_names(unknown).items():
        more = _other_occurrences(parsed, name, found.claimed)
        kinds = [classify_org(parsed, a, b) for a, b in spans + more]
        entity, kind = next((k for k in kinds if k[0] == "company"), kinds[0])
        if entity == "company":
            found.claimed.extend(more)
            spans = sorted(spans + more)
        for a, b in spans:
            found.add(entity, key, name, _mention(parsed, a, b), known=False, kind=kind)


def find_organizations(nlp: NLP, parsed: Parsed, res: Resources, places: list[Match]
                       ) -> tuple[list[EntityHit], list[EntityHit], list[tuple[int, int]]]:
    """Companies and organisations with mentions, plus the character ranges they claimed.

    `places` are the text's region gazetteer matches (found once per text, shared with find_regions).

    Returns:
        (companies, organizations, claimed ranges) — the ranges let persons and regions step aside.
    """
    found = _Found()
    _from_gazetteers(nlp, parsed, res, found)
    _from_unknown(parsed, _from_ner(nlp, parsed, res, found), found)
    for start, end, name in _local_governments(parsed, places):
        if found.free(start, end):
            found.add("organization", fold(name), name, Mention(start, end, parsed.text[start:end]), False,
                      "government")
            found.claimed.append((start, end))
    companies = [h for (e, _), h in found.by_key.items() if e == "company"]
    organizations = [h for (e, _), h in found.by_key.items() if e == "organization"]
    return companies, organizations, found.claimed
