"""One shared NLP context: razdel segmentation, natasha NER, pymorphy3 lemmas.

Heavy components are built lazily, once per process, and reused (natasha's own convention: build
once, pass in). Nothing loads at import time so `avtomon --help` stays instant. natasha and
razdel shapes stop here: callers get `Token`, `Sentence` and `NerSpan` records.

natasha's MorphVocab is built on pymorphy2, which breaks on Python ≥ 3.12, so lemmas come from
pymorphy3 directly.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

_LOCK = threading.Lock()
_LINE = re.compile(r"[^\n]+")
_INSTANCE: NLP | None = None
LEMMA_CACHE_MAX = 500_000


@dataclass(frozen=True, slots=True)
class Token:
    """A word or punctuation mark with its offsets and lemmas (lower-case, ё → е)."""

    text: str
    start: int
    end: int
    lemma: str  # the most likely lemma
    forms: frozenset[str]  # every lemma pymorphy3 considers plus the lower-cased surface form
    sent: int  # index of the sentence holding the token
    first_in_sentence: bool


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class NerSpan:
    """A natasha NER span: type is PER, LOC or ORG."""

    type: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Parsed:
    """A text split into sentences and tokens, with NER spans."""

    text: str
    sentences: list[Sentence]
    tokens: list[Token]
    ner: list[NerSpan]
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)  # per-text results stages share

    @cached_property
    def starts(self) -> list[int]:
        return [t.start for t in self.tokens]

    @cached_property
    def start_index(self) -> dict[int, int]:
        """Character offset where a token starts → its index (mentions start on token starts)."""
        return {start: i for i, start in enumerate(self.starts)}

    def token_range(self, start: int, end: int) -> range:
        """Indices of the tokens lying inside [start, end) (binary search: spans are many)."""
        lo = bisect.bisect_left(self.starts, start)
        hi = lo
        while hi < len(self.tokens) and self.tokens[hi].end <= end:
            hi += 1
        return range(lo, hi)


PERSON = frozenset({"Name", "Surn", "Patr"})  # pymorphy3 grammemes of a person's names


def fold(word: str) -> str:
    """Lower-case and ё → е: the form all matching compares on."""
    return word.lower().replace("ё", "е")


def adapt_ner_spans(markup: Any) -> list[NerSpan]:
    """natasha NERMarkup → our records."""
    return [NerSpan(s.type, s.start, s.stop, markup.text[s.start : s.stop]) for s in markup.spans]


class NLP:
    """Lazily built NLP components; use `get_nlp()` to share one per process."""

    def __init__(self) -> None:
        self._lemmas: dict[str, tuple[str, frozenset[str]]] = {}
        self._parses: dict[str, list[Any]] = {}
        self.name_cache: dict[str, dict[str, str]] = {}  # normalize.py: surface name → nominative

    @cached_property
    def morph(self) -> Any:
        import pymorphy3

        return pymorphy3.MorphAnalyzer()

    @cached_property
    def ner_tagger(self) -> Any:
        from natasha import NewsEmbedding, NewsNERTagger

        return NewsNERTagger(NewsEmbedding())

    def parses(self, word: str) -> list[Any]:
        """pymorphy3 parses, or [] for words it cannot handle (characters with no Unicode name); cached,
        since the extractors ask about the same words many times (parses are immutable)."""
        hit = self._parses.get(word)
        if hit is not None:
            return hit
        try:
            result = list(self.morph.parse(word))
        except (ValueError, KeyError):
            result = []
        if len(self._parses) < LEMMA_CACHE_MAX:
            self._parses[word] = result
        return result

    def person_word(self, word: str, top: int = 2) -> bool:
        """True if one of the `top` best parses reads `word` as a first name, a surname or a patronymic."""
        return any(not PERSON.isdisjoint(p.tag.grammemes) for p in self.parses(word)[:top])

    def lemmas(self, word: str) -> tuple[str, frozenset[str]]:
        """(best lemma, all candidate lemmas + surface), cached: news repeats its words."""
        key = word
        hit = self._lemmas.get(key)
        if hit is not None:
            return hit
        low = fold(word)
        if not any(ch.isalpha() for ch in word):
            result = (low, frozenset((low,)))
        else:
            parses = self.parses(word)
            forms = {fold(p.normal_form) for p in parses[:4]}
            forms.add(low)
            best = fold(parses[0].normal_form) if parses else low
            result = (best, frozenset(forms))
        if len(self._lemmas) < LEMMA_CACHE_MAX:
            self._lemmas[key] = result
        return result

    def segment(self, text: str) -> tuple[list[Sentence], list[Token]]:
        """Sentences and tokens with offsets into `text`."""
        from razdel import sentenize, tokenize

        sentences: list[Sentence] = []
        tokens: list[Token] = []
        # A line break ends a sentence: titles and feed paragraphs often have no final full stop,
        # and razdel alone would glue the title to the first sentence of the text.
        for line in _LINE.finditer(text):
            for sent in sentenize(line.group()):
                si, offset = len(sentences), line.start() + sent.start
                sentences.append(Sentence(offset, offset + len(sent.text), sent.text))
                first = True
                for tok in tokenize(sent.text):
                    lemma, forms = self.lemmas(tok.text)
                    is_word = any(ch.isalnum() for ch in tok.text)
                    tokens.append(Token(tok.text, offset + tok.start, offset + tok.stop, lemma, forms, si,
                                        first and is_word))
                    if is_word:
                        first = False
        return sentences, tokens

    def ner(self, texts: Sequence[str], words: Sequence[list[str]] | None = None) -> list[list[NerSpan]]:
        """NER spans for many texts at once (the tagger batches internally).

        With `words` (each text's razdel tokens, already made by `segment`) the tagger skips its own
        tokenisation, which is a tenth of its time. slovnet fails on a text with no tokens, so blank
        texts skip the tagger.
        """
        out: list[list[NerSpan]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if any(ch.isalnum() for ch in t)]
        if words is not None and _has_infer_parts(self.ner_tagger):
            markups = _tag_tokens(self.ner_tagger, [texts[i] for i in todo], [words[i] for i in todo])
        else:
            markups = self.ner_tagger.map([texts[i] for i in todo])
        for i, markup in zip(todo, markups, strict=True):
            out[i] = adapt_ner_spans(markup)
        return out

    def parse_many(self, texts: Iterable[str]) -> list[Parsed]:
        """Segment, lemmatise and tag a batch of texts."""
        texts = list(texts)
        segmented = [self.segment(text) for text in texts]
        spans = self.ner(texts, [[t.text for t in tokens] for _, tokens in segmented]) if texts else []
        return [Parsed(text, sentences, tokens, ner)
                for text, (sentences, tokens), ner in zip(texts, segmented, spans, strict=True)]


def _has_infer_parts(tagger: Any) -> bool:
    infer = getattr(tagger, "infer", None)
    return all(hasattr(infer, name) for name in ("encoder", "process", "decoder"))


def _tag_tokens(tagger: Any, texts: list[str], words: list[list[str]]) -> Iterable[Any]:
    """slovnet's NERInfer.__call__ minus its tokenisation: the same encoder, model and decoder on our
    tokens (razdel tokens of the same text, so the spans come out identical)."""
    from natasha.ner import adapt_markup
    from slovnet.markup import BIOMarkup

    infer = tagger.infer
    for i in range(0, len(texts), tagger.batch_size):
        chunk_texts, chunk_words = texts[i : i + tagger.batch_size], words[i : i + tagger.batch_size]
        preds = infer.decoder(infer.process(infer.encoder(chunk_words)))
        for text, item, pred in zip(chunk_texts, chunk_words, preds, strict=True):
            yield adapt_markup(BIOMarkup.from_tuples(zip(item, pred, strict=True)).to_span(text))


def get_nlp() -> NLP:
    """The process-wide NLP context (built on first use, thread-safe)."""
    global _INSTANCE
    if _INSTANCE is None:
        with _LOCK:
            if _INSTANCE is None:
                _INSTANCE = NLP()
    return _INSTANCE
