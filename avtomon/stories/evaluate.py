"""Measure story grouping on a labelled set: pairwise precision and recall.

A labelled set is JSON lines, one article each: `group` (articles of one group are one news), `feed`,
`published` (ISO time, UTC) and either `title` + `text`, or `gold`: the id of a story in the gold file
(`data/gold/dev.jsonl`), whose title and text are taken from there, or the article's print alone —
`minhash` (hex), `words`, `figures` and `companies` (keys) — for news whose text may not be stored
(tests/data/stories/real_prints.jsonl: real outlets' versions). The articles go into a new
SQLite store in a temporary folder and through the same extraction and grouping as `avtomon ingest`;
then every pair of articles counts: in one story and in one group (right), in one story only (wrong
join), in one group only (missed).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from avtomon.errors import AvtomonError
from avtomon.extractors.evaluate import Score
from avtomon.models import Article, Entity, Mention
from avtomon.stories.grouping import Print, prints, store_prints
from avtomon.stories.signature import from_bytes, to_bytes


class LabelledSetError(AvtomonError):
    """The labelled set cannot be read."""


@dataclass(frozen=True)
class Labelled:
    group: str
    feed: str
    published: datetime
    title: str
    text: str
    mark: Print | None = None  # a print-only row: its print, and its companies' keys
    companies: tuple[str, ...] = ()
    topic: str = ""  # what the row's group is about (kept in a set of prints, which has no title)


@dataclass
class StoryScore:
    articles: int
    groups: int
    stories: int
    # pairs of articles: tp in one story and one group, fp in one story only, fn in one group only
    pairs: Score = field(default_factory=Score)
    wrong_pairs: list[tuple[str, str]] = field(default_factory=list)
    missed_pairs: list[tuple[str, str]] = field(default_factory=list)


def load(path: Path, gold: Path | None) -> list[Labelled]:
    """Read a labelled set; rows with `gold` take their title and text from the gold file."""
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise LabelledSetError(f"cannot read the labelled set {path}: {exc}") from exc
    stories: dict[str, dict] = {}
    if any("gold" in r for r in rows):
        if gold is None or not gold.exists():
            raise LabelledSetError(f"{path} takes texts from the gold file, and {gold} does not exist; "
                                   "pass --gold data/gold/dev.jsonl")
        stories = {s["id"]: s for s in (json.loads(x) for x in gold.read_text(encoding="utf-8").splitlines() if x)}
    items = []
    for n, r in enumerate(rows, 1):
        if "minhash" in r and "group" in r and "published" in r:
            mark = Print(from_bytes(bytes.fromhex(r["minhash"])), int(r["words"]), frozenset(r.get("figures", ())))
            items.append(Labelled(str(r["group"]), r.get("feed", "labelled"), datetime.fromisoformat(r["published"]),
                                  r.get("topic", ""), "", mark, tuple(r.get("companies", ())), r.get("topic", "")))
            continue
        source = stories.get(r["gold"]) if "gold" in r else r
        if source is None or "group" not in r or "published" not in r:
            raise LabelledSetError(f"{path}, line {n}: needs group, published and title + text, a known gold id "
                                   f"or a print (minhash, words)")
        items.append(Labelled(str(r["group"]), r.get("feed", "labelled"), datetime.fromisoformat(r["published"]),
                              source["title"], source["text"], topic=r.get("topic", "")))
    return items


def score(items: Sequence[Labelled], stories: Sequence[int]) -> StoryScore:
    """Pairwise agreement of the stories found with the labelled groups."""
    result = StoryScore(articles=len(items), groups=len({i.group for i in items}), stories=len(set(stories)))
    for (a, sa), (b, sb) in combinations(zip(items, stories, strict=True), 2):
        same_group, same_story = a.group == b.group, sa == sb
        if same_group and same_story:
            result.pairs.tp += 1
        elif same_story:
            result.pairs.fp += 1
            result.wrong_pairs.append((a.title, b.title))
        elif same_group:
            result.pairs.fn += 1
            result.missed_pairs.append((a.title, b.title))
    return result


@contextmanager
def _labelled_store(items: Sequence[Labelled]) -> Iterator[Engine]:
    """A new store in a temporary folder holding the items (article n: https://labelled.invalid/n),
    extracted and grouped as after an ingest."""
    from avtomon.db import open_store
    from avtomon.pipeline.extract import extract

    with tempfile.TemporaryDirectory(prefix="avtomon-stories-") as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            with Session(engine) as session, session.begin():
                store_items(session, items)
            extract(engine)  # the text rows; then the grouping of every row, as after an ingest
            yield engine
        finally:
            engine.dispose()


def store_items(session: Session, items: Sequence[Labelled], first: int = 0) -> None:
    """Add the items as articles, in the caller's transaction (article n: https://labelled.invalid/n, n
    counted from `first`): a text row waits for extraction; a print-only row is stored as extracted, with
    its print and company mentions."""
    for n, item in enumerate(items, first):
        digest = hashlib.sha256(f"{n}\n{item.title}\n{item.text}".encode()).hexdigest()
        article = Article(url=f"https://labelled.invalid/{n}", feed=item.feed, title=item.title, text=item.text,
                          published_at=item.published, fetched_at=item.published, content_hash=digest,
                          extract_status="done" if item.mark else "pending")
        session.add(article)
        if item.mark:
            session.flush()
            _add_print(session, article.id, item)


def group_labelled(items: Sequence[Labelled]) -> list[int]:
    """The story of each item, found by storing, extracting and grouping them in a new store."""
    with _labelled_store(items) as engine, Session(engine) as session:
        found = dict(session.execute(select(Article.url, Article.story_id)).all())
    return [found[f"https://labelled.invalid/{n}"] or -n - 1 for n in range(len(items))]


def to_prints(path: Path, gold: Path | None) -> list[dict[str, Any]]:
    """The labelled set with each article's title and text replaced by its print and its companies' keys,
    as extraction computes them: a set of real outlets' versions that can be shared without their text
    (what tests/data/stories/real_prints.jsonl is). `topic`, if given, is kept."""
    items = load(path, gold)
    with _labelled_store(items) as engine, Session(engine) as session:
        ids = dict(session.execute(select(Article.url, Article.id)).all())
        found = prints(session, list(ids.values()))
        keys: dict[int, set[str]] = {}
        named = select(Mention.article_id, Entity.key).join(Entity, Entity.id == Mention.entity_id)
        for aid, key in session.execute(named.where(Entity.kind == "company")):
            keys.setdefault(aid, set()).add(key)
    rows = []
    for n, item in enumerate(items):
        aid = ids[f"https://labelled.invalid/{n}"]
        mark = found[aid]
        rows.append({"group": item.group, "topic": item.topic, "feed": item.feed,
                     "published": item.published.isoformat(timespec="minutes"), "words": mark.words,
                     "figures": sorted(mark.figures), "companies": sorted(keys.get(aid, ())),
                     "minhash": to_bytes(mark.signature).hex()})
    return rows


def _add_print(session: Session, article_id: int, item: Labelled) -> None:
    """A print-only row's stored print and company mentions (what extraction would have written)."""
    assert item.mark is not None
    store_prints(session, {article_id: item.mark})
    for key in item.companies:
        entity = session.scalar(select(Entity).where(Entity.kind == "company", Entity.key == key))
        if entity is None:
            entity = Entity(kind="company", key=key, name=key)
            session.add(entity)
            session.flush()
        session.add(Mention(article_id=article_id, entity_id=entity.id, start_char=0, end_char=0, text=key))


def evaluate(path: Path, gold: Path | None) -> StoryScore:
    items = load(path, gold)
    return score(items, group_labelled(items))
