"""Story grouping: re-grouping 100 000 articles, and what grouping adds to extraction.

Re-grouping: a SQLite store of SIZE articles, 1 000 a day from 40 feeds, generated here with the
prints extraction stores (`article_signatures`). Texts are 40–110 words drawn from 20 000 pseudo-words
with Zipf frequencies (exponent 0.8): two unrelated articles are then as alike as two gold stories
(mean Jaccard similarity of content lemmas 0.039 here, 0.034 in data/gold/dev.jsonl; 90th percentile
0.056 and 0.066). A third of the articles are another feed's version of an article of the previous
72 hours (70 % of its words and 80 % of its figures kept, the rest new); an article gives as many
figures as the gold stories do (a third give three or more: the figure index of reprints is used).
Timed: `avtomon.stories.grouping.rebuild` (forget
every story, group all again); baseline: reading every article's print and time from the store (what
any regrouping must do).

Overhead: the factRuEval corpus of the extraction bench is extracted without grouping, then grouped;
the MinHash + figures of each article are timed over its lemma text (the lemmas themselves are the
search index's, computed anyway). Overhead = (prints + grouping) / the rest of extraction.
Run alone: `python -m bench.stories [--size N]`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Figure, table

SIZE = 100_000
TARGET_S = 60.0
WORDS = 20_000
ZIPF = 0.8  # with WORDS and 40–110 words an article, two unrelated articles are as alike as two gold stories
PER_DAY = 1_000  # 40 feeds of 25 articles a day: a busy monitor, so a 72-hour window holds 3 000 articles
BATCH = 10_000


def _text(rng: random.Random, words: list[str], weights: list[float]) -> list[str]:
    return rng.choices(words, weights=weights, k=rng.randint(40, 110))


# how many figures an article gives (`signature.figures`: 0, 1, 2 … 6 and more), as in the gold stories:
# a third give three or more
FIGURE_COUNTS = ((0, 0.23), (1, 0.20), (2, 0.19), (3, 0.11), (4, 0.09), (5, 0.05), (6, 0.04), (8, 0.04),
                 (12, 0.05))
ROUND = ("100", "150", "200", "250", "300", "500", "1000", "1.5", "2.5")


def _figures(rng: random.Random) -> list[str]:
    """Figures like the gold stories': half two-digit numbers (percentages, counts: shared by many
    unrelated articles), some round ones, the rest amounts rarely repeated."""
    k = rng.choices([c for c, _ in FIGURE_COUNTS], weights=[w for _, w in FIGURE_COUNTS])[0]
    out = set()
    for _ in range(k):
        kind = rng.random()
        if kind < 0.5:
            out.add(str(int(10 + 90 * rng.random() ** 2)))
        elif kind < 0.65:
            out.add(rng.choice(ROUND))
        else:
            amount = rng.randint(100, 2_000_000) if rng.random() < 0.7 else rng.randint(10, 999) / 10
            out.add(str(amount))
    return sorted(out)


def generate(url: str, n: int, seed: int = 11) -> None:
    """Fill an empty store with `n` extracted articles and their prints (no story yet)."""
    from sqlalchemy import insert

    from avtomon.db import open_store
    from avtomon.models import Article, ArticleSignature
    from avtomon.stories.signature import minhash, to_bytes

    rng = random.Random(seed)
    words = [f"слово{i}" for i in range(WORDS)]
    weights = [1 / (i + 1) ** ZIPF for i in range(WORDS)]
    end = datetime.now(UTC).replace(tzinfo=None)
    days = n / PER_DAY
    times = sorted(end - timedelta(seconds=rng.random() * days * 86400) for _ in range(n))
    engine = open_store(url)
    recent: list[tuple[datetime, list[str], list[str]]] = []
    aid = 0
    for lo in range(0, n, BATCH):
        arts, prints = [], []
        for published in times[lo:lo + BATCH]:
            aid += 1
            recent = [r for r in recent[-300:] if published - r[0] <= timedelta(hours=72)]
            if recent and rng.random() < 1 / 3:  # another outlet's version of a recent article
                _, base, base_figures = rng.choice(recent)
                text = rng.sample(base, int(len(base) * 0.7)) + _text(rng, words, weights)[:len(base) // 3]
                figures = [f for f in base_figures if rng.random() < 0.8]  # most of its figures kept
            else:
                text, figures = _text(rng, words, weights), _figures(rng)
            recent.append((published, text, figures))
            arts.append(dict(id=aid, url=f"https://stories.example/{aid}", feed=f"Лента {aid % 40}", guid=str(aid),
                             title=" ".join(text[:8]), text=" ".join(text), published_at=published,
                             fetched_at=published, content_hash=str(aid), extract_status="done",
                             published_guessed=False))
            unique = set(text)
            prints.append(dict(article_id=aid, minhash=to_bytes(minhash(unique)), words=len(unique),
                               figures=" ".join(figures)))
        with engine.begin() as conn:
            conn.execute(insert(Article), arts)
            conn.execute(insert(ArticleSignature), prints)
        print(f"  {aid:,} articles", file=sys.stderr, flush=True)
    engine.dispose()


def _read_all(url: str) -> float:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from avtomon.db import open_store
    from avtomon.models import Article, ArticleSignature

    engine = open_store(url, migrate=False)
    started = time.perf_counter()
    with Session(engine) as s:
        for _ in s.execute(select(Article.id, Article.published_at, ArticleSignature.minhash)
                           .join(ArticleSignature, ArticleSignature.article_id == Article.id)
                           .order_by(Article.published_at, Article.id)).partitions(5000):
            pass
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def regroup(size: int) -> tuple[Figure, str]:
    from avtomon.db import open_store
    from avtomon.stories.grouping import rebuild

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'stories.db'}"
        generate(url, size)
        baseline = _read_all(url)
        engine = open_store(url, migrate=False)
        started = time.perf_counter()
        summary = rebuild(engine)
        elapsed = time.perf_counter() - started
        engine.dispose()
    figure = Figure(f"stories --rebuild, {size:,} articles (SQLite)", f"{elapsed:.1f} s",
                    f"reading the prints {baseline:.1f} s", elapsed / baseline, f"≤ {TARGET_S:.0f} s",
                    elapsed <= TARGET_S)
    return figure, summary.line()


def overhead() -> Figure:
    from avtomon.db import open_store
    from avtomon.pipeline.extract import extract
    from avtomon.pipeline.search import lemma_text
    from avtomon.stories.grouping import Print, group_new
    from bench.extraction import corpus

    texts = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        from sqlalchemy.orm import Session

        from avtomon.models import Article

        engine = open_store(f"sqlite:///{Path(tmp) / 'x.db'}")
        start = datetime(2026, 1, 1)
        with Session(engine) as s, s.begin():
            for i, t in enumerate(texts):
                published = start + timedelta(minutes=10 * i)
                s.add(Article(url=f"https://x.example/{i}", feed=f"Лента {i % 7}", title=t[:60], text=t,
                              published_at=published, fetched_at=published, content_hash=str(i)))
        began = time.perf_counter()
        extract(engine, backlog=False)
        extraction = time.perf_counter() - began
        began = time.perf_counter()
        group_new(engine, limit=None)
        grouping = time.perf_counter() - began
        engine.dispose()
    lemmas = [(lemma_text(t[:60] + "\n" + t), t) for t in texts]
    began = time.perf_counter()
    for lem, raw in lemmas:
        Print.of(lem, raw)
    prints = time.perf_counter() - began
    share = (prints + grouping) / (extraction - prints)
    return Figure(f"stories: prints + grouping, {len(texts)} factRuEval texts", f"{prints + grouping:.2f} s",
                  f"the rest of extraction {extraction - prints:.1f} s", share, "≤ 0.10 of extraction",
                  share <= 0.10)


def run(size: int = SIZE) -> list[Figure]:
    figure, line = regroup(size)
    print(f"  {line}", file=sys.stderr)
    return [figure, overhead()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=SIZE)
    args = parser.parse_args()
    figures = run(args.size)
    print(table([f.row() for f in figures], ["figure", "measured", "baseline", "ratio", "target", "met"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
