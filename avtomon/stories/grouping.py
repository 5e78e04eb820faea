"""Join each newly extracted article to a story of the last days, or start one.

Runs after extraction (`extract`, `ingest`) over the articles not grouped yet, oldest first, one
transaction per chunk: an article with `story_id` NULL is the backlog, so a run killed half-way leaves
every article either in a whole story or waiting for the next run. One grouping pass at a time per
store: the first statement of each transaction takes the store's write lock (SQLite) or an advisory
lock (PostgreSQL), so two extract processes never start two stories for one news.

An article joins the story of its closest earlier article (estimated Jaccard similarity of content
lemmas, see `signature`) published within `WINDOW` of it, when the two are close enough and do not
disagree: two articles that both name companies must share one, and two that both give figures must
share one. The first keeps apart the same template news («X отзывает Y машин») about different
carmakers; the second two monthly sales reports, or two recalls of one carmaker, whose wording is
alike and whose numbers are not. An article that is the same news as articles of several stories
makes them one (`Merges`): two versions an hour apart may start two stories before a third, close to
both, shows they are one news.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from datasketch import LeanMinHash, MinHashLSH
from sqlalchemy import Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from avtomon.db import chunks
from avtomon.models import Article, ArticleSignature, Entity, Mention, Story
from avtomon.pipeline.lock import pass_lock
from avtomon.pipeline.story_rollups import StoryCounter, recount
from avtomon.stories.signature import (
    NUM_PERM,
    containment,
    figures,
    from_bytes,
    minhash,
    shingles,
    to_bytes,
)

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=72)  # how far apart two outlets' versions of one news can be published
JOIN = 0.25  # estimated Jaccard similarity of content lemmas from which two articles are one story
# or: a short version (a feed's lead) with this share of its words inside the other, and JOIN_SHORT
CONTAINED, JOIN_SHORT = 0.65, 0.12
LSH_THRESHOLD = 0.1  # the index returns candidates down to about JOIN_SHORT (the estimate is noisy) …
# … with 48 bands of 2 values: a pair of similarity 0.25 is a candidate with probability 0.955, of 0.35
# 0.997, of 0.12 (the least a short lead needs) 0.5, and two unrelated articles (about 0.04) 0.07.
# datasketch's own choice for 0.1 (64 bands) finds no more joins in bench/stories.py and costs 20 % more.
LSH_PARAMS: tuple[int, int] | None = (48, 2)
CHUNK = 2000  # articles grouped per transaction (a regrouping reads the window's ids once per chunk)
RUN_LIMIT = 20_000  # per run after extraction: an upgraded store's history is grouped over a few runs


@dataclass
class Member:
    """An article already in a story, as the grouping compares it."""

    article_id: int
    story_id: int
    published_at: datetime
    mark: Print
    companies: frozenset[int]


@dataclass(frozen=True)
class Print:
    """What grouping compares of an article: the MinHash of its content lemmas, how many there are, and
    its figures (`signature.figures`)."""

    signature: LeanMinHash
    words: int
    figures: frozenset[str]

    @staticmethod
    def of(lemmas: str, raw: str) -> Print:
        words = shingles(lemmas)
        return Print(minhash(words), len(words), figures(raw))

    def joins(self, j: float, other_words: int) -> float:
        """`j` (the estimated similarity to another article of `other_words` lemmas) if that makes the two
        one news, else 0."""
        if j >= JOIN or (j >= JOIN_SHORT and containment(j, self.words, other_words) >= CONTAINED):
            return j
        return 0.0


@dataclass
class GroupSummary:
    articles: int = 0
    joined: int = 0  # articles that joined an existing story
    stories: int = 0  # stories started
    merged: int = 0  # stored stories merged into another (an article was close to both)

    def line(self) -> str:
        merged = f", {self.merged} stories merged into another" if self.merged else ""
        return f"{self.articles} articles grouped: {self.joined} joined a story, {self.stories} new stories{merged}"


@dataclass
class Window:
    """The grouped articles of a time range, in an LSH index (datasketch) for their near neighbours, and
    their MinHashes as the rows of one matrix: a busy window's hundreds of LSH candidates are scored in
    one array comparison."""

    lsh: MinHashLSH = field(default_factory=lambda: MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM,
                                                               params=LSH_PARAMS))
    members: dict[int, Member] = field(default_factory=dict)
    end: datetime | None = None  # the latest time read into it
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((1024, NUM_PERM), dtype=np.uint32))
    rows: dict[int, int] = field(default_factory=dict)  # article id → its row of `matrix`
    free: list[int] = field(default_factory=list)  # rows of forgotten articles, for reuse

    def add(self, m: Member) -> None:
        if m.article_id in self.members:
            return
        self.members[m.article_id] = m
        self.lsh.insert(m.article_id, m.mark.signature)
        if not self.free:
            size = len(self.matrix)
            self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
            self.free = list(range(2 * size - 1, size - 1, -1))
        row = self.free.pop()
        self.matrix[row] = m.mark.signature.hashvalues
        self.rows[m.article_id] = row

    def forget_before(self, moment: datetime) -> None:
        for aid in [a for a, m in self.members.items() if m.published_at < moment]:
            self.lsh.remove(aid)
            del self.members[aid]
            self.free.append(self.rows.pop(aid))

    def matches(self, article_id: int, published_at: datetime, mark: Print,
                companies: frozenset[int]) -> list[Member]:
        """The members that can be the same news, closest first (of equal scores, the earliest stored)."""
        keys = [k for k in self.lsh.query(mark.signature) if k != article_id]
        if not keys:
            return []
        rows = np.fromiter((self.rows[k] for k in keys), dtype=np.int64, count=len(keys))
        scores = np.count_nonzero(self.matrix[rows] == mark.signature.hashvalues, axis=1) / NUM_PERM
        found: list[tuple[float, int, Member]] = []
        for i in np.nonzero(scores >= JOIN_SHORT)[0].tolist():  # below that nothing joins: no more checks
            m = self.members[keys[i]]
            if abs(m.published_at - published_at) > WINDOW or _disjoint(companies, m.companies) \
                    or _disjoint(mark.figures, m.mark.figures):
                continue
            if score := mark.joins(float(scores[i]), m.mark.words):
                found.append((score, -m.article_id, m))
        return [m for _, _, m in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def _disjoint(a: frozenset, b: frozenset) -> bool:
    """Both sides have some and share none."""
    return bool(a) and bool(b) and not a & b


def _companies(session: Session, ids: Sequence[int]) -> dict[int, frozenset[int]]:
    found: dict[int, set[int]] = {}
    for part in chunks(list(ids)):
        rows = session.execute(select(Mention.article_id, Mention.entity_id)
                               .join(Entity, Entity.id == Mention.entity_id)
                               .where(Mention.article_id.in_(part), Entity.kind == "company"))
        for aid, eid in rows:
            found.setdefault(aid, set()).add(eid)
    return {aid: frozenset(found.get(aid, ())) for aid in ids}


def _stored(data: bytes, words: int, figs: str) -> Print:
    return Print(from_bytes(data), words, frozenset(figs.split()))


def prints(session: Session, ids: Sequence[int]) -> dict[int, Print]:
    """The stored print of each article, computing and storing the missing ones (articles extracted
    before stories existed: their title and text are read for that alone)."""
    found = {aid: _stored(data, words, figs) for part in chunks(list(ids))
             for aid, data, words, figs in session.execute(
                 select(ArticleSignature.article_id, ArticleSignature.minhash, ArticleSignature.words,
                        ArticleSignature.figures).where(ArticleSignature.article_id.in_(part)))}
    missing = [aid for aid in ids if aid not in found]
    if missing:
        from avtomon.pipeline.search import lemma_text

        made = {}
        for part in chunks(missing):
            for aid, title, body in session.execute(select(Article.id, Article.title, Article.text)
                                                    .where(Article.id.in_(part))):
                made[aid] = Print.of(lemma_text(f"{title}\n{body}"), f"{title}\n{body}")
        store_prints(session, made)
        found.update(made)
    return found


def store_prints(session: Session, made: dict[int, Print]) -> None:
    """Store (replace) articles' prints, in the caller's transaction."""
    if not made:
        return
    for part in chunks(list(made)):
        session.execute(delete(ArticleSignature).where(ArticleSignature.article_id.in_(part)))
    session.execute(ArticleSignature.__table__.insert(),
                    [{"article_id": aid, "minhash": to_bytes(p.signature), "words": p.words,
                      "figures": " ".join(sorted(p.figures))} for aid, p in made.items()])


def _load(session: Session, window: Window, start: datetime, end: datetime) -> None:
    """Put the grouped articles published in [start, end] into the window (those not in it yet).

    Only their ids are read for the whole range: another extract process may have grouped articles
    inside it since the last chunk (its passes and ours alternate), and only the new ones' prints are
    fetched — a long backlog's window moves on by a chunk at a time.
    """
    in_range = (Article.published_at.between(start, end), Article.story_id.is_not(None))
    ids = [aid for aid in session.scalars(select(Article.id).where(*in_range)) if aid not in window.members]
    for part in chunks(ids):
        rows = session.execute(select(Article.id, Article.story_id, Article.published_at, ArticleSignature.minhash,
                                      ArticleSignature.words, ArticleSignature.figures)
                               .join(ArticleSignature, ArticleSignature.article_id == Article.id)
                               .where(Article.id.in_(part))).all()
        companies = _companies(session, [r[0] for r in rows])
        for aid, sid, published, data, words, figs in rows:
            window.add(Member(aid, sid, published, _stored(data, words, figs), companies[aid]))
    window.end = end if window.end is None else max(window.end, end)


def refresh_stories(session: Session, story_ids: set[int]) -> None:
    """Recount the stories' articles, sources, first and last time, title and lead article."""
    stories = Story.__table__
    for part in chunks(sorted(story_ids)):
        rows = session.execute(select(Article.story_id, Article.id, Article.published_at, Article.feed, Article.title)
                               .where(Article.story_id.in_(part)).order_by(Article.published_at, Article.id)).all()
        by_story: dict[int, list] = {}
        for row in rows:
            by_story.setdefault(row.story_id, []).append(row)
        gone = [sid for sid in part if sid not in by_story]
        if gone:
            session.execute(delete(Story).where(Story.id.in_(gone)))
        if by_story:  # one statement, many parameter sets
            session.execute(update(stories).where(stories.c.id == bindparam("sid")).values(
                first_seen=bindparam("first"), last_seen=bindparam("last"), title=bindparam("lead_title"),
                lead_article_id=bindparam("lead"), articles=bindparam("n"), sources=bindparam("feeds")), [
                {"sid": sid, "first": m[0].published_at, "last": m[-1].published_at, "lead_title": m[0].title,
                 "lead": m[0].id, "n": len(m), "feeds": len({x.feed for x in m})} for sid, m in by_story.items()])


class Merges:
    """Stories found to be one news within a chunk: an article close enough to members of two stories
    joins the closest, and the stories become one. The oldest keeps its id: a stored story before one
    this chunk starts (a placeholder id below zero, -1 first), a lower id first."""

    def __init__(self) -> None:
        self.into: dict[int, int] = {}  # a merged story → the story it went into

    def find(self, sid: int) -> int:
        while sid in self.into:
            sid = self.into[sid]
        return sid

    def join(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            keep, gone = sorted((a, b), key=lambda sid: (sid < 0, abs(sid)))
            self.into[gone] = keep


def _place(window: Window, merges: Merges, rows: Sequence[tuple[int, datetime, str]], marks: dict[int, Print],
           companies: dict[int, frozenset[int]], summary: GroupSummary) -> tuple[list[Member], list[tuple[int, dict]]]:
    """Each article's story (a placeholder below zero for a story it starts); returns the articles and the
    stories started, as (placeholder, row to insert)."""
    started: list[tuple[int, dict]] = []
    placed: list[Member] = []
    for aid, published, title in rows:
        stories = list(dict.fromkeys(merges.find(m.story_id)
                                     for m in window.matches(aid, published, marks[aid], companies[aid])))
        for other in stories[1:]:  # the article bridges stories: they are one news
            merges.join(stories[0], other)
        if stories:
            sid = merges.find(stories[0])
            summary.joined += 1
        else:  # a new story's id is known after the insert: until then a placeholder below zero
            sid = -len(started) - 1
            started.append((sid, {"first_seen": published, "last_seen": published, "title": title,
                                  "lead_article_id": aid, "articles": 1, "sources": 1}))
        member = Member(aid, sid, published, marks[aid], companies[aid])
        window.add(member)
        placed.append(member)
    return placed, started


def _group_chunk(session: Session, window: Window, rows: Sequence[tuple[int, datetime, str]],
                 summary: GroupSummary) -> None:
    marks = prints(session, [r[0] for r in rows])
    companies = _companies(session, [r[0] for r in rows])
    _load(session, window, rows[0][1] - WINDOW, rows[-1][1] + WINDOW)
    merges = Merges()
    placed, started = _place(window, merges, rows, marks, companies, summary)
    gone = sorted(sid for sid in merges.into if sid > 0)  # stored stories merged into another
    for part in chunks(gone):  # their articles' rows first, as every writer locks rows before stories
        session.execute(select(Article.id).where(Article.story_id.in_(part)).with_for_update()).all()
    # the story rollups: the rows these articles (each its own story so far), the stories they join and
    # the stories merged make before and after
    counter = StoryCounter(session, {-aid for aid, _, _ in rows} | set(gone)
                           | {sid for m in placed if (sid := merges.find(m.story_id)) > 0})
    live = [(placeholder, row) for placeholder, row in started if merges.find(placeholder) == placeholder]
    ids = session.scalars(insert(Story).returning(Story.id, sort_by_parameter_order=True),
                          [row for _, row in live]).all() if live else []
    real = {placeholder: sid for (placeholder, _), sid in zip(live, ids, strict=True)}
    summary.stories += len(live)

    def final(sid: int) -> int:  # a story's id after the merges, a started one's after its insert
        root = merges.find(sid)
        return real.get(root, root)

    for m in window.members.values():
        m.story_id = final(m.story_id)
    articles = Article.__table__
    session.execute(update(articles).where(articles.c.id == bindparam("aid")).values(story_id=bindparam("sid")),
                    [{"aid": m.article_id, "sid": m.story_id} for m in placed])
    if gone:
        session.execute(update(articles).where(articles.c.story_id == bindparam("old"))
                        .values(story_id=bindparam("sid")),
                        [{"old": sid, "sid": final(sid)} for sid in gone])
        summary.merged += len(gone)
    refresh_stories(session, {m.story_id for m in placed} | set(gone))
    counter.write({m.story_id for m in placed})
    summary.articles += len(rows)


def group_new(engine: Engine, limit: int | None = RUN_LIMIT, now: datetime | None = None) -> GroupSummary:
    """Group the extracted articles that have no story yet, oldest first; returns what was done."""
    summary = GroupSummary()
    window = Window()
    now = now or datetime.now(UTC).replace(tzinfo=None)
    while limit is None or summary.articles < limit:
        size = CHUNK if limit is None else min(CHUNK, limit - summary.articles)
        with Session(engine) as session, session.begin():
            pass_lock(session, "stories", now)
            # row locks first, then the stories' locks (story_rollups), as extraction takes them: a
            # re-extraction of one of these articles finishes first, and neither waits on the other
            rows = session.execute(select(Article.id, Article.published_at, Article.title)
                                   .where(Article.story_id.is_(None), Article.extract_status == "done")
                                   .order_by(Article.published_at, Article.id).limit(size)
                                   .with_for_update(of=Article)).all()
            if not rows:
                break
            if window.end is not None and rows[0][1] - WINDOW > window.end:
                window = Window()  # a gap in the history: nothing loaded so far can be a neighbour
            else:
                window.forget_before(rows[0][1] - WINDOW)
            _group_chunk(session, window, [tuple(r) for r in rows], summary)
    return summary


def rebuild(engine: Engine) -> GroupSummary:
    """Forget every story and group all articles again (after a change of the rules or thresholds).

    One transaction for the forgetting; then the usual chunks. Killed half-way, the rest is grouped by
    the next run.
    """
    with Session(engine) as session, session.begin():
        pass_lock(session, "stories", datetime.now(UTC).replace(tzinfo=None))
        session.execute(update(Article).where(Article.story_id.is_not(None)).values(story_id=None))
        session.execute(delete(Story))
        recount(session)  # every article a story of its own again
    return group_new(engine, limit=None)


def backlog(session: Session) -> int:
    """Extracted articles waiting for their story."""
    return session.scalar(select(func.count()).where(Article.story_id.is_(None),
                                                     Article.extract_status == "done")) or 0
