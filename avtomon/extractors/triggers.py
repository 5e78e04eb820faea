"""Event triggers in sentences, and what each sentence is: news, background, a plan, a maybe.

A trigger is a lemma phrase of `data/events.yaml` («запустил производство», «приостановил выпуск»).
Whether its sentence tells the news of the text is read from the sentence itself: a year earlier than
the text's latest year, «ранее», «ещё в 2019 году» mark background; «может», «намерен», «рассматривает»
without a date, a volume or money mark what is not (yet) an event; «в 2026 году», «до конца года», «5
млрд рублей» make a plan count (data/ANNOTATION.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from avtomon.extractors.nlp import Parsed, get_nlp
from avtomon.extractors.resources import Resources, TriggerEntry

BEFORE, AFTER = 4, 5  # tokens around a trigger where its `with` / `without` words count
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_FIGURE = re.compile(r"\d[\d\s,.]*\s*(%|тыс|млн|млрд|шт|единиц|раз|процент)")
_DATE = re.compile(r"(?<!\d)(20[0-4]\d)(?!\d)|\b(январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|"
                   r"декабр|квартал|полугоди|конц\w* года|следующ\w* год|этом году)", re.I)
BACKGROUND = {"ранее", "раньше", "прежде", "когда-то", "некогда", "изначально", "первоначально"}
BACKGROUND_PHRASES = (("ещё", "в"), ("еще", "в"), ("до", "этого"), ("в", "свой", "время"), ("в", "прошлое"))
WEAK = {"мочь", "намерен", "намереваться", "рассчитывать", "рассматривать", "обсуждать", "изучать", "прорабатывать",
        "переговоры", "возможно", "вероятно", "якобы", "предполагать", "допускать", "исключить", "собираться",
        "хотеть", "вести", "ожидать", "надеяться", "стремиться", "вопрос", "идея", "предложение", "заявка",
        "решить", "решение", "готовить", "прорабатываться", "сомневаться"}
FUTURE_MARKERS = {"планировать", "планироваться", "будет", "быть", "намерен", "собираться", "рассчитывать",
                  "предстоять", "назначить"}


@dataclass(frozen=True)
class Trigger:
    type: str
    sent: int
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    weight: float
    participle: bool  # «…, объявившая о приостановке»: a description of someone, not the news told


@dataclass(frozen=True)
class SentenceInfo:
    background: bool  # an earlier year than the text's latest, «ранее», «ещё в 2019 году»
    weak: bool  # «может», «рассматривает», «ведёт переговоры» with no date, volume or money
    plan: bool  # a future action with a date, a volume or money
    negated: bool  # «не планирует», «отказался от»
    figures: bool  # numbers with units: sales and output figures


def _near(parsed: Parsed, first: int, last: int, whole: bool = False) -> set[str]:
    sent = parsed.tokens[first].sent
    lo, hi = max(0, first - BEFORE), min(len(parsed.tokens), last + AFTER)
    if whole:
        sentence = parsed.sentences[sent]
        r = parsed.token_range(sentence.start, sentence.end)
        lo, hi = r.start, r.stop
    return {f for t in parsed.tokens[lo:hi] if t.sent == sent for f in t.forms}


def _trigger_ok(parsed: Parsed, trig: TriggerEntry, first: int, last: int) -> bool:
    near = _near(parsed, first, last, trig.sentence)
    if trig.with_ and not (trig.with_ & near):
        return False
    return not (trig.without and trig.without & near)


def _pos(word: str) -> str | None:
    parses = get_nlp().parses(word)
    return parses[0].tag.POS if parses else None


def find_triggers(parsed: Parsed, res: Resources, names: list[tuple[int, int]] = ()) -> list[Trigger]:  # type: ignore[assignment]
    """Every trigger of the text in text order, its context words checked.

    A trigger inside an organisation's name («комиссия по контролю за иностранными инвестициями») and an
    attributive participle («завод, открытый в 2007 году») tell no news and are skipped.
    """
    if "triggers" not in parsed.memo:
        found = []
        for m in res.events.find_all(parsed.tokens):
            entry: TriggerEntry = m.payload
            pos = _pos(parsed.tokens[m.start].text)
            # «открытого», «передавшая», «запущенного»: a full participle describes, it does not report
            if pos != "PRTF" and _trigger_ok(parsed, entry, m.start, m.end - 1):
                found.append(Trigger(entry.type, parsed.tokens[m.start].sent, m.start, m.end, entry.weight,
                                     pos == "PRTS"))
        parsed.memo["triggers"] = found
    return [t for t in parsed.memo["triggers"] if not any(a <= parsed.tokens[t.start].start < b for a, b in names)]


def latest_year(parsed: Parsed) -> int | None:
    years = [int(y) for y in _YEAR.findall(parsed.text)]
    return max(years) if years else None


def _phrase_in(lemmas: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(lemmas[i : i + n]) == phrase for i in range(len(lemmas) - n + 1))


CLAUSE_BREAKS = {",", ";", "—", "–", ":", "(", ")"}


def clause(parsed: Parsed, trig: Trigger) -> range:
    """The token range of the trigger's clause: between the punctuation marks around it in its sentence.

    «Автотор возобновил выпуск: на конвейер, где раньше собирали Hyundai, встал седан» — the «раньше»
    of the relative clause does not make the resumption background.
    """
    sentence = parsed.sentences[trig.sent]
    r = parsed.token_range(sentence.start, sentence.end)
    lo = trig.start
    while lo > r.start and parsed.tokens[lo - 1].text not in CLAUSE_BREAKS:
        lo -= 1
    hi = trig.end
    while hi < r.stop and parsed.tokens[hi].text not in CLAUSE_BREAKS:
        hi += 1
    return range(lo, hi)


def starts_production(parsed: Parsed, trig: Trigger, latest: int | None) -> bool:
    """A start of production told as news (not a description, background, a maybe or a negation)."""
    if trig.type not in ("launch", "model_launch") or trig.participle:
        return False
    info = sentence_info(parsed, trig, latest)
    return not (info.background or info.weak or info.negated)


def sentence_info(parsed: Parsed, trig: Trigger, latest: int | None) -> SentenceInfo:
    """What the trigger's clause is: background, a maybe, a dated plan, a negation; and whether its
    sentence gives figures. Several stages ask about the same trigger: kept in `parsed.memo`."""
    memo = parsed.memo.setdefault("sentence_info", {})
    if (trig, latest) not in memo:
        memo[(trig, latest)] = _sentence_info(parsed, trig, latest)
    return memo[(trig, latest)]


def _sentence_info(parsed: Parsed, trig: Trigger, latest: int | None) -> SentenceInfo:
    nlp = get_nlp()
    sentence = parsed.sentences[trig.sent]
    span = clause(parsed, trig)
    tokens = [parsed.tokens[i] for i in span]
    lemmas = [t.lemma for t in tokens]
    words = {t.text.lower() for t in tokens}
    text = parsed.text[tokens[0].start : tokens[-1].end] if tokens else ""
    years = [int(y) for y in _YEAR.findall(text)]
    earlier = bool(years) and latest is not None and max(years) < latest
    background = earlier or bool(BACKGROUND & words) or any(_phrase_in(lemmas, p) for p in BACKGROUND_PHRASES)
    dated = bool(_DATE.search(text)) or bool(_FIGURE.search(text))
    weak = bool(WEAK.intersection(lemmas)) and not dated
    future = any(t.lemma in FUTURE_MARKERS for t in tokens) or any(
        "futr" in p.tag for t in tokens if t.text.isalpha() for p in nlp.parses(t.text)[:1])
    negated = "не" in words and any(t.text.lower() == "не" and i + 1 < len(tokens) and tokens[i + 1].text.isalpha()
                                    for i, t in enumerate(tokens))
    return SentenceInfo(background, weak, future and dated, negated, bool(_FIGURE.search(sentence.text)))
