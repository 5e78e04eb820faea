"""Match gazetteer phrases on lemma sequences, with case rules for names that are also words."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from avtomon.extractors.nlp import NLP, Token, fold

# Surface-case rules for one pattern word.
ANY, CAPITAL, ALLCAPS = 0, 1, 2
OPEN_QUOTES = {"«", "„", "“", '"', "'"}
QUOTE_TOKENS = OPEN_QUOTES | {"»", "”", "’"}


@dataclass(frozen=True)
class Pattern:
    """One phrase to find: its lemmas, a case rule per word, and what it stands for."""

    lemmas: tuple[frozenset[str], ...]  # per word, every lemma it may have (Шушары: шушара, шушары, шушар)
    rules: tuple[int, ...]
    payload: Any
    strict: bool = False  # must not start a sentence (Орёл, Газель)
    quoted: bool = False  # must stand in quotes («Кама» the company, not the river)


@dataclass(frozen=True)
class Match:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    payload: Any
    strict: bool


def word_rule(word: str, caps: bool) -> int:
    # An abbreviation only counts in capitals: «НАМИ» is not the pronoun «нами», «ГАЗ» is not «газ».
    if caps or (len(word) >= 2 and word.isupper() and any(ch.isalpha() for ch in word)):
        return ALLCAPS
    return CAPITAL if word[:1].isupper() else ANY


# an abbreviation declined in running text keeps its capitals and adds a small ending: «ГАЗа», «ПАЗом»
_DECLINED_CAPS = re.compile(r"[A-ZА-ЯЁ0-9-]{2,}[а-яё]{1,3}")


def _case_ok(token: Token, rule: int) -> bool:
    if rule == ALLCAPS:
        return token.text.isupper() or bool(_DECLINED_CAPS.fullmatch(token.text))
    if rule == CAPITAL:
        return token.text[:1].isupper() or token.text[:1].isdigit()
    return True


class PhraseMatcher:
    """Longest-match, left-to-right, non-overlapping phrase finder over tokens."""

    def __init__(self, models: frozenset[str] = frozenset()) -> None:
        self._by_first: dict[str, list[Pattern]] = defaultdict(list)
        self._firsts: frozenset[str] = frozenset()
        self.models = models  # a strict name followed by one of these is a name even first in a sentence

    def add(self, nlp: NLP, phrase: str, payload: Any, caps: bool = False, strict: bool = False,
            quoted: bool = False) -> None:
        from razdel import tokenize

        words = [t.text for t in tokenize(phrase)]
        if not words:
            return
        # Each word may stand for any of its lemmas: place names in the plural (Шушары, Набережные
        # Челны) lemmatise differently in different cases, and so can a brand.
        forms = tuple(nlp.lemmas(w)[1] | {fold(w)} for w in words)
        rules = tuple(word_rule(w, caps) for w in words)
        pattern = Pattern(forms, rules, payload, strict, quoted)
        for form in forms[0]:
            self._by_first[form].append(pattern)

    def finalize(self) -> None:
        for patterns in self._by_first.values():
            patterns.sort(key=lambda p: -len(p.lemmas))
        self._firsts = frozenset(self._by_first)

    def _walk(self, tokens: Sequence[Token], i: int, p: Pattern) -> int | None:
        """End index if `p` matches from token i; quotes between words are transparent («Урал»)."""
        j, sent = i, tokens[i].sent
        for k, (lems, rule) in enumerate(zip(p.lemmas, p.rules, strict=True)):
            if k and j < len(tokens) and tokens[j].text in QUOTE_TOKENS and not lems & tokens[j].forms:
                j += 1
            if j >= len(tokens) or tokens[j].sent != sent:
                return None
            t = tokens[j]
            if not lems & t.forms or not _case_ok(t, rule):
                return None
            j += 1
        # a quote opened inside the match is closed inside it too, so the mention reads «Урал»
        inside = [t.text for t in tokens[i:j]]
        if any(q in inside for q in OPEN_QUOTES) and j < len(tokens) and tokens[j].text in QUOTE_TOKENS:
            j += 1
        return j

    def _candidates(self, tokens: Sequence[Token], i: int) -> list[Pattern]:
        seen: dict[int, Pattern] = {}
        for form in tokens[i].forms:
            for p in self._by_first.get(form, ()):
                seen.setdefault(id(p), p)
        return list(seen.values())

    def _strict_ok(self, tokens: Sequence[Token], i: int, end: int) -> bool:
        """A strict name may not start a sentence, unless it stands in quotes there («Газель») or a
        vehicle model follows it («Лада Веста подорожала»)."""
        return not tokens[i].first_in_sentence or (i > 0 and tokens[i - 1].text in OPEN_QUOTES) or (
            end < len(tokens) and tokens[end].text in self.models)

    def matches_at(self, tokens: Sequence[Token], i: int) -> list[Match]:
        """Every pattern matching from token i, longest first."""
        if self._firsts.isdisjoint(tokens[i].forms):
            return []  # the common case, decided in C
        out = []
        for p in self._candidates(tokens, i):
            end = self._walk(tokens, i, p)
            if end is not None and (not p.strict or self._strict_ok(tokens, i, end)) and (
                    not p.quoted or (i > 0 and tokens[i - 1].text in OPEN_QUOTES)):
                out.append(Match(i, end, p.payload, p.strict))
        out.sort(key=lambda m: m.start - m.end)
        return out

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        """Longest matches, left to right, not overlapping."""
        out: list[Match] = []
        firsts = self._firsts
        i = 0
        while i < len(tokens):
            # most tokens start no name: skip them without a call (this loop runs on every token of every text)
            found = [] if firsts.isdisjoint(tokens[i].forms) else self.matches_at(tokens, i)
            if found:
                out.append(found[0])
                i = found[0].end
            else:
                i += 1
        return out

    def find_all(self, tokens: Sequence[Token]) -> list[Match]:
        """Every match at every position, overlapping (event triggers are checked one by one)."""
        firsts = self._firsts
        return [m for i, t in enumerate(tokens) if not firsts.isdisjoint(t.forms) for m in self.matches_at(tokens, i)]
