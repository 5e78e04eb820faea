"""Bring names found in oblique cases to the nominative with pymorphy3."""

from __future__ import annotations

import re

from avtomon.extractors.nlp import NLP

QUOTES = "«»\"“”„'’`"
LEGAL_FORMS = {"пао", "оао", "зао", "ао", "ооо", "нао", "гк", "нпо", "фгуп", "гуп", "муп", "ано", "ип", "llc", "ltd",
               "inc", "gmbh", "ag", "plc", "co", "jsc", "pjsc"}
_SPACE = re.compile(r"\s+")


def strip_legal(text: str) -> str:
    """Remove quotes and legal forms: «ПАО „КАМАЗ“» → КАМАЗ."""
    words = [w.strip(QUOTES + ",.") for w in _SPACE.split(text)]
    words = [w for w in words if w and w.lower() not in LEGAL_FORMS]
    return " ".join(words)


def _restore_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _to_nomn(nlp: NLP, word: str, gender: str | None = None, number: str | None = None) -> tuple[str, str | None]:
    """One word in the nominative; returns (word, gender of the chosen parse)."""
    if not any(ch.isalpha() for ch in word) or (len(word) > 1 and word.isupper()):
        return word, None  # an abbreviation is never declined back: «КАТЕ» stays, not «КАТ»
    parses = nlp.parses(word)
    if not parses:
        return word, None
    for p in parses:
        # an unknown word read as a plural («Итэлмы») is a singular name in an oblique case
        if p.tag.case in (None, "nomn") and p.word == word.lower() and (p.is_known or p.tag.number != "plur"):
            return word, p.tag.gender
    best = parses[0]
    if best.tag.case is None:
        return word, None
    if not best.is_known:
        return _unknown_nomn(word, best.normal_form), best.tag.gender
    wanted = {"nomn"}
    if number:
        wanted.add(number)
    if gender and best.tag.POS in ("ADJF", "PRTF") and number != "plur":
        wanted.add(gender)
    form = best.inflect(wanted) or best.inflect({"nomn"})
    if form is None:
        return word, best.tag.gender
    return _restore_case(word, form.word), best.tag.gender


def _unknown_nomn(word: str, normal: str) -> str:
    """A word pymorphy3 only guesses at («Лиотеха», «Меттэм»): take its guess only when it cuts a case
    ending off the written word («Лиотеха» → «Лиотех», «Итэлмы» → «Итэлма»); never add letters
    («Меттэм» stays, not «Меттэма»)."""
    low = word.lower()
    if low.startswith(normal) and 0 < len(low) - len(normal) <= 2:
        return _restore_case(word, normal)
    if len(low) == len(normal) and low[:-1] == normal[:-1] and low[-1] in "ыиеу" and normal[-1] == "а":
        return _restore_case(word, normal)
    return word


DESCRIPTORS = {"завод", "компания", "концерн", "холдинг", "фирма", "предприятие", "производитель", "автозавод",
               "группа", "корпорация", "автопроизводитель", "дилер", "стартап", "бренд", "марка"}
_QUOTED = re.compile(r"[«\"„“]([^»\"”]+)[»\"”]?")
_PLACE_THEN_QUOTE = re.compile(r"^\w+(?:ск|цк)\w{2,3}\s+[«\"„“]([^»\"”]+)[»\"”]?$")


def quoted_name(nlp: NLP, text: str) -> str | None:
    """«завода «Ромашка-Авто»» → «Ромашка-Авто»: a descriptor word followed by the name in quotes."""
    first = text.split(" ", 1)[0].strip(QUOTES).lower()
    if not first or nlp.lemmas(first)[0] not in DESCRIPTORS:
        return None
    m = _QUOTED.search(text)
    return m.group(1).strip() if m else None


def _cached(kind: str, nlp: NLP, text: str, compute) -> str:  # type: ignore[no-untyped-def]
    """Names repeat across news: remember each surface form's nominative (bounded)."""
    cache = nlp.name_cache.setdefault(kind, {})
    hit = cache.get(text)
    if hit is None:
        hit = compute(nlp, text)
        if len(cache) < 100_000:
            cache[text] = hit
    return hit


def nominative_org(nlp: NLP, text: str) -> str:
    """«Ульяновского моторного завода» → «Ульяновский моторный завод» (cached)."""
    return _cached("org", nlp, text, _nominative_org)


def nominative_person(nlp: NLP, text: str) -> str:
    """«Владимира Щербакова» → «Владимир Щербаков» (cached)."""
    return _cached("person", nlp, text, _nominative_person)


def _nominative_org(nlp: NLP, text: str) -> str:
    """«Ульяновского моторного завода» → «Ульяновский моторный завод»; words after the head noun stay.

    Only the leading adjectives and the first noun agree with the case; what follows is usually a
    genitive complement («завод имени Лихачёва») and must stay as written.
    """
    quoted = quoted_name(nlp, text)
    if quoted:
        return quoted  # a name in quotes does not decline: «Ромашка» stays «Ромашка»
    place = _PLACE_THEN_QUOTE.match(text)
    if place:  # «Челябинский «Трактор»», «уфимскому «Салавату Юлаеву»»: the name, in the nominative
        return _nominative_org(nlp, place.group(1))
    words = strip_legal(text).split(" ")
    first = nlp.parses(words[0]) if words and words[0] else []
    if len(words) > 1 and first and "Name" in first[0].tag:  # «Салавату Юлаеву»: named after a person
        return _nominative_person(nlp, " ".join(words))
    if not words or not words[0]:
        return text.strip(QUOTES)
    head = None
    for i, w in enumerate(words):
        found = nlp.parses(w)
        if not found:
            continue
        parse = found[0]
        if parse.tag.POS == "NOUN" or not parse.tag.POS or "LATN" in parse.tag or "UNKN" in parse.tag:
            head = i
            break
    if head is None:
        head = len(words) - 1
    noun, gender, number = _agreeing_head(nlp, words[0], words[head]) if head else (None, None, None)
    if noun is None:
        noun, gender = _to_nomn(nlp, words[head])
        head_parses = nlp.parses(words[head])
        number = "plur" if head_parses and "plur" in head_parses[0].tag else None
    out = [_to_nomn(nlp, w, gender, number)[0] for w in words[:head]] + [noun] + words[head + 1 :]
    return " ".join(out)


def _agreeing_head(nlp: NLP, adjective: str, noun: str) -> tuple[str | None, str | None, str | None]:
    """The head noun read in the case and number of the adjective before it: in «Петербургской биржи»
    «биржи» is genitive singular (→ «биржа»), not nominative plural."""
    adj = nlp.parses(adjective)
    if not adj or adj[0].tag.POS not in ("ADJF", "PRTF") or adj[0].tag.case in (None, "nomn"):
        return None, None, None
    case, number = adj[0].tag.case, adj[0].tag.number
    for p in nlp.parses(noun):
        if p.tag.POS == "NOUN" and p.tag.case == case and p.tag.number == number:
            form = p.inflect({"nomn", number} if number else {"nomn"})
            if form is not None:
                return _restore_case(noun, form.word), p.tag.gender, "plur" if number == "plur" else None
    return None, None, None


def _nominative_person(nlp: NLP, text: str) -> str:
    """«Владимира Щербакова» → «Владимир Щербаков», «Анны Ивановой» → «Анна Иванова»."""
    words = _SPACE.split(text.strip())
    gender = None
    for w in words:
        for p in nlp.parses(w):
            if "Name" in p.tag:
                gender = p.tag.gender
                break
        if gender:
            break
    out = []
    for w in words:
        if len(w) <= 2 or w.endswith("."):
            out.append(w)  # initials
            continue
        parses = nlp.parses(w)
        if not parses:
            out.append(w)
            continue
        name_parses = [p for p in parses if {"Name", "Surn", "Patr"} & set(p.tag.grammemes)] or parses
        if gender:
            name_parses = [p for p in name_parses if p.tag.gender in (gender, None)] or name_parses
        best = name_parses[0]
        if best.tag.case in (None, "nomn") or "UNKN" in best.tag:
            out.append(w)
            continue
        form = best.inflect({"nomn", "sing"} | ({gender} if gender else set())) or best.inflect({"nomn"})
        out.append(_restore_case(w, form.word) if form else w)
    return " ".join(out)
