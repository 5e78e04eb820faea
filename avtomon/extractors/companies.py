"""Companies and other organisations: gazetteers first, natasha ORG spans for the rest.

The gazetteer beats the NER type: natasha reads «Автотор» as a person in the reference article,
and a place-named company («Урал») as a location. An ORG span outside the gazetteers becomes a
company or an organisation by the words in and around it.
"""

from __future__ import annotations

from avtomon.extractors.gazetteer import Match
from avtomon.extractors.nlp import NLP, NerSpan, Parsed, fold
from avtomon.extractors.normalize import QUOTES, nominative_org, strip_legal
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


def classify_org(parsed: Parsed, span: NerSpan) -> tuple[str, str | None]:
    """('company', None) or ('organization', kind) from cue words inside and just before the span."""
    idx = list(parsed.token_range(span.start, span.end))
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
    return "organization", "other"


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
    return start, end


GOVERNMENT_HEADS = {"правительство", "администрация", "мэрия", "министерство", "губернатор", "департамент",
                    "дума", "законодательный", "парламент", "совет", "минпромторг", "минэкономразвития", "комитет"}


def _extend_with_place(parsed: Parsed, start: int, end: int) -> int:
    """«Правительство» + «Московской области» → one organisation: extend over a following LOC span."""
    inside = parsed.token_range(start, end)
    head = parsed.tokens[inside[0]] if inside else None
    if head is None or head.lemma not in GOVERNMENT_HEADS:
        return end
    for loc in parsed.ner:
        if loc.type == "LOC" and 0 <= loc.start - end <= 1 and parsed.text[end : loc.start].strip() == "":
            return loc.end
    return end


NOT_ORGS = {"сми", "мкс", "мы", "нам", "нас", "вы", "они", "рунет"}
GENERIC_HEADS = {"рынок", "отрасль", "индустрия", "сегмент", "автопром"}


def _not_an_org(parsed: Parsed, start: int, end: int) -> bool:
    """natasha's usual slips: «СМИ», «Интернет», a pronoun, or «Автомобильный рынок» opening a title."""
    words = [parsed.tokens[i] for i in parsed.token_range(start, end)]
    if not words:
        return True
    if len(words) == 1 and words[0].lemma in NOT_ORGS:
        return True
    return words[0].first_in_sentence and words[-1].lemma in GENERIC_HEADS and not any(
        t.text[:1].isupper() for t in words[1:])


def _gazetteer_entry(res: Resources, name: str) -> OrgEntry | None:
    """A NER ORG span whose name is a gazetteer alias (seen where a strict alias could not match)."""
    return res.alias_index.get(fold(strip_legal(name)))


def find_organizations(nlp: NLP, parsed: Parsed, res: Resources
                       ) -> tuple[list[EntityHit], list[EntityHit], list[tuple[int, int]]]:
    """Companies and organisations with mentions, plus the character ranges the gazetteer claimed.

    Returns:
        (companies, organizations, claimed ranges) — the ranges let persons and regions step aside.
    """
    by_key: dict[tuple[str, str], EntityHit] = {}
    claimed: list[tuple[int, int]] = []
    hits = [h for h in gazetteer_hits(parsed, res) if not _inside_full_name(nlp, parsed, h[1])]
    # one sense per text: if «КАМАЗ» is a football club once, the bare «КАМАЗ» in the title is too
    clubs = {m.payload.key for m, _ in hits if m.payload.entity == "company" and _sports_club(parsed, m.start)}
    for match, mention in hits:
        entry: OrgEntry = match.payload
        if entry.entity == "company" and entry.key in clubs:
            entry = OrgEntry("organization", f"club-{entry.key}", entry.name, "other", ())
        hit = by_key.setdefault((entry.entity, entry.key), EntityHit(
            entry.entity, entry.key, entry.name, known=True,
            org_kind=entry.kind if entry.entity == "organization" else None))
        hit.mentions.append(mention)
        claimed.append((mention.start, mention.end))
    for span in parsed.ner:
        if span.type != "ORG" or any(_overlaps(span.start, span.end, a, b) for a, b in claimed):
            continue
        start, end = _clean_span(parsed, span)
        end = _extend_with_place(parsed, start, end)
        surface = parsed.text[start:end]
        name = nominative_org(nlp, surface)
        if not strip_legal(name) or len(name) < 2 or _not_an_org(parsed, start, end):
            continue
        entry = _gazetteer_entry(res, name) or _gazetteer_entry(res, surface)
        if entry is not None:
            hit = by_key.setdefault((entry.entity, entry.key), EntityHit(
                entry.entity, entry.key, entry.name, org_kind=entry.kind if entry.entity == "organization" else None))
        else:
            entity, kind = classify_org(parsed, span)
            key = fold(strip_legal(name))
            hit = by_key.setdefault((entity, key), EntityHit(entity, key, name, known=False, org_kind=kind))
        hit.mentions.append(Mention(start, end, surface))
        claimed.append((start, end))
    companies = [h for (e, _), h in by_key.items() if e == "company"]
    organizations = [h for (e, _), h in by_key.items() if e == "organization"]
    return companies, organizations, claimed
