"""What an article's wording is reduced to before two articles are compared.

Outlets reword a story: they reorder its facts, change the verbs' forms and add a line of background,
but keep most of its content words — the company, the place, the figures, the product. So an article
is the set of its content lemmas (any word form alike, ё as е, function words dropped) and two
articles are as close as the Jaccard similarity of those sets. A MinHash of the set estimates that
similarity from 128 numbers, and an LSH index over the MinHashes finds the close ones without comparing
every pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from datasketch import LeanMinHash, MinHash

NUM_PERM = 128
SEED = 7
SCHEME = "affine32"  # 32-bit hash values: 512 bytes per article

# function words and the words every auto-industry story uses: they make unrelated news look alike
STOP = frozenset("""
а без более бы был быть в вместе во вот все всё всего вы для до его ее её если есть еще ещё же за из или им
их к как ко когда который кто ли либо между мы на над не него нее неё нет ни них но о об однако около он она
они оно от по под после при про раз с свой со так также такой там то тот тоже только у уже хотя чем через что
чтобы эта это этот я год году года млн млрд тыс рубль рублей руб процент сообщать сообщить отметить заявить
сказать сообщаться являться стать время сейчас ранее который весь свой также кроме
""".split())  # noqa: SIM905 (a word list reads better as text)


def shingles(lemmas: str) -> set[str]:
    """The content lemmas of a lemma text (as `search.lemma_text` makes it): words of 3+ letters and
    every number, without the stop list."""
    return {w for w in lemmas.split() if w not in STOP and (len(w) >= 3 or w.isdigit())}


_GROUPED = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))")  # «56 148» is one number
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
# a day of the month («с 1 января», «10 декабря»): outlets differ in which dates they mention (the day of
# the news, of its background), so a date is not a figure of the news
_DATE = re.compile(r"\b\d{1,2}(?=\s+(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр))",
                   re.IGNORECASE)


def figures(text: str) -> frozenset[str]:
    """The figures a text gives (amounts, shares, model numbers), years, days of the month and one-digit
    numbers left out: two versions of one news give the same figures, two monthly sales reports give
    different ones."""
    found = _FIGURE.findall(_DATE.sub("", _GROUPED.sub("", text)))
    return frozenset(f.replace(",", ".") for f in found
                     if len(f) >= 2 and not (len(f) == 4 and f[:2] in ("19", "20")))


def minhash(words: Iterable[str]) -> LeanMinHash:
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    mh.update_batch([w.encode("utf-8") for w in words])
    return LeanMinHash(mh)


def to_bytes(mh: LeanMinHash) -> bytes:
    """The 128 hash values as 512 bytes (what the store keeps per article)."""
    return np.asarray(mh.hashvalues, dtype="<u4").tobytes()


def from_bytes(data: bytes) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=np.frombuffer(data, dtype="<u4"), scheme=SCHEME)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The share of the smaller set inside the larger, from their Jaccard similarity and sizes: a feed
    that carries only a story's lead has most of its words in another outlet's full text."""
    if not size_a or not size_b:
        return 0.0
    return jaccard * (size_a + size_b) / (1 + jaccard) / min(size_a, size_b)
