"""Match gazetteer phrases on lemma sequences, with case rules for names that are also words."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from avtomon.extractors.nlp import NLP, Token, fold

# Surface-case rules for one pattern word.
ANY, CAPITAL, ALLCAPS = 0, 1, 2


@dataclass(frozen=True)
class Pattern:
    """One phrase to find: its lemmas, a case rule per word, and what it stands for."""

    lemmas: tuple[str, ...]
    rules: tuple[int, ...]
    payload: Any
    strict: bool = False  # must not start a sentence (Орёл, Газель)


@dataclass(frozen=True)
class Match:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    payload: Any
    strict: bool


def word_rule(word: str, caps: bool) -> int:
    if caps:
        return ALLCAPS
    return CAPITAL if word[:1].isupper() else ANY


def _case_ok(token: Token, rule: int) -> bool:
    if rule == ALLCAPS:
        return token.text.isupper()
    if rule == CAPITAL:
        return token.text[:1].isupper() or token.text[:1].isdigit()
    return True


class PhraseMatcher:
    """Longest-match, left-to-right, non-overlapping phrase finder over tokens."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[Pattern]] = defaultdict(list)

    def add(self, nlp: NLP, phrase: str, payload: Any, caps: bool = False, strict: bool = False) -> None:
        from razdel import tokenize

        words = [t.text for t in tokenize(phrase)]
        if not words:
            return
        lemmas = tuple(nlp.lemmas(w)[0] for w in words)
        rules = tuple(word_rule(w, caps) for w in words)
        self._by_first[lemmas[0]].append(Pattern(lemmas, rules, payload, strict))
        # the surface form too: pymorphy3 sometimes lemmatises a brand oddly, the text will not
        surface = tuple(fold(w) for w in words)
        if surface != lemmas:
            self._by_first[surface[0]].append(Pattern(surface, rules, payload, strict))

    def finalize(self) -> None:
        for patterns in self._by_first.values():
            patterns.sort(key=lambda p: -len(p.lemmas))

    def _match_at(self, tokens: Sequence[Token], i: int) -> Match | None:
        tok = tokens[i]
        candidates: list[Pattern] = []
        for form in tok.forms:
            candidates.extend(self._by_first.get(form, ()))
        best: Match | None = None
        for p in candidates:
            n = len(p.lemmas)
            if i + n > len(tokens) or (best and n <= best.end - best.start):
                continue
            window = tokens[i : i + n]
            if any(t.sent != tok.sent for t in window):
                continue
            if all(lem in t.forms and _case_ok(t, rule) for lem, t, rule in zip(p.lemmas, window, p.rules,
                                                                                 strict=True)):
                if p.strict and tok.first_in_sentence:
                    continue
                best = Match(i, i + n, p.payload, p.strict)
        return best

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        out: list[Match] = []
        i = 0
        while i < len(tokens):
            m = self._match_at(tokens, i)
            if m:
                out.append(m)
                i = m.end
            else:
                i += 1
        return out
