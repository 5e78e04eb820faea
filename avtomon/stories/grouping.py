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
alike and whose numbers are not. Articles that give the same figures (three or more, and a third of
the fewer's) are one news at a lower similarity and up to `REPRINT_WINDOW` apart: outlets retell a
ministry's or an agency's statistics in their own words, and reprint them days later, but keep the
numbers. An article that is the same news as articles of several stories
makes them one (`Merges`): two versions an hour apart may start two stories before a third, close to
both, shows they are one news.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from datasketch import LeanMinHash
from sqlalchemy import Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from avtomon.db import chunks
from avtomon.models import Article, ArticleSignature, Entity, Mention, Story
from avtomon.pipeline.lock import pass_lock
from avtomon.pipeline.story_rollups import StoryCounter, recount
from avtomon.stories.bands import BandIndex
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
# or: the two give the same figures — at least SHARED of them and a third of the fewer's — and JOIN_SHORT;
# such versions are one news up to REPRINT_WINDOW apart (a weekly review reprinting a ministry's figures)
SHARED, REPRINT_WINDOW = 3, timedelta(days=7)
# the LSH index (`bands`) returns candidates down to about JOIN_SHORT: with 48 bands of 2 values a pair of
# similarity 0.25 is a candidate with probability 0.955, of 0.35 0.997, of 0.12 (the least a short lead
# needs) 0.5, and two unrelated articles (about 0.04) 0.07. datasketch's own choice for a threshold of
# 0.1 (64 bands) found no more joins in bench/stories.py and cost 20 % more.
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

    @property
    def figured(self) -> bool:
        """Gives enough figures to be matched by them."""
        return len(self.figures) >= SHARED

    def same_figures(self, other: Print) -> bool:
        """The two give the same figures: at least SHARED, and a third of the fewer's (two long statistics
        pieces share a few two-digit numbers by chance)."""
        shared = len(self.figures & other.figures)
        return shared >= SHARED and 3 * shared >= min(len(self.figures), len(other.figures))

    def joins(self, j: float, other: Print, apart: timedelta) -> float:
        """`j` (the estimated similarity to another article published `apart` from this one) if that makes
        the two one news, else 0."""
        if j >= JOIN_SHORT and apart <= REPRINT_WINDOW and self.same_figures(other):
            return j
        if apart > WINDOW:
            return 0.0
        if j >= JOIN or (j >= JOIN_SHORT and containment(j, self.words, other.words) >= CONTAINED):
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
    """The grouped articles of a time range: those within `WINDOW` of the articles being grouped in an LSH
    index (`bands`) for their near neighbours, and those giving figures (`Print.figured`) within
    `REPRINT_WINDOW` in an index from each figure to its articles; their MinHashes as the rows of one
    matrix, so that a busy window's hundreds of candidates are scored in one array comparison."""

    lsh: BandIndex = field(default_factory=BandIndex)
    members: dict[int, Member] = field(default_factory=dict)
    by_figure: dict[str, set[int]] = field(default_factory=dict)
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((1024, NUM_PERM), dtype=np.uint32))
    rows: dict[int, int] = field(default_factory=dict)  # article id → its row of `matrix`
    free: list[int] = field(default_factory=list)  # rows of forgotten articles, for reuse

    def add(self, m: Member, in_lsh: bool = True) -> None:
        """Add an article; `in_lsh` if it is within `WINDOW` of the articles being grouped (an article
        added without it, for its figures, is put in the LSH index when it comes within)."""
        if in_lsh and m.article_id not in self.lsh:
            self.lsh.insert(m.article_id, m.mark.signature)
        if m.article_id in self.members:
            return
        self.members[m.article_id] = m
        for f in m.mark.figures if m.mark.figured else ():
            self.by_figure.setdefault(f, set()).add(m.article_id)
        if not self.free:
            size = len(self.matrix)
            self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
            self.free = list(range(2 * size - 1, size - 1, -1))
        row = self.free.pop()
        self.matrix[row] = m.mark.signature.hashvalues
        self.rows[m.article_id] = row

    def forget_before(self, moment: datetime) -> None:
        """Drop what articles published from `moment` on cannot join: the LSH entries of articles more than
        `WINDOW` earlier, the rest of articles more than `REPRINT_WINDOW` earlier or not figured."""
        for aid in [a for a in self.lsh if self.members[a].published_at < moment - WINDOW]:
            self.lsh.remove(aid)
        for aid in [a for a, m in self.members.items() if a not in self.lsh and (
                m.published_at < moment - REPRINT_WINDOW or not m.mark.figured)]:
            m = self.members.pop(aid)
            self.free.append(self.rows.pop(aid))
            for f in m.mark.figures if m.mark.figured else ():
                self.by_figure[f].discard(aid)
                if not self.by_figure[f]:
                    del self.by_figure[f]

    def _same_figures(self, article_id: int, mark: Print) -> set[int]:
        """The members giving the same figures as the article (`Print.same_figures`). One that shares
        SHARED of its k figures shares one of the k - SHARED + 1 least common, so only their articles are
        looked at: a «100» or «20» in hundreds of articles is never read."""
        if not mark.figured:
            return set()
        postings = sorted((self.by_figure.get(f, set()) for f in mark.figures), key=len)
        seen = set().union(*postings[:len(postings) - SHARED + 1])
        return {aid for aid in seen if aid != article_id and mark.same_figures(self.members[aid].mark)}

    def matches(self, article_id: int, published_at: datetime, mark: Print,
                companies: frozenset[int]) -> list[Member]:
        """The members that can be the same news, closest first (of equal scores, the earliest stored)."""
        keys = list((self.lsh.query(mark.signature) | self._same_figures(article_id, mark)) - {article_id})
        if not keys:
            return []
        rows = np.fromiter((self.rows[k] for k in keys), dtype=np.int64, count=len(keys))
        scores = np.count_nonzero(self.matrix[rows] == mark.signature.hashvalues, axis=1) / NUM_PERM
        found: list[tuple[float, int, Member]] = []
        for i in np.nonzero(scores >= JOIN_SHORT)[0].tolist():  # below that nothing joins: no more checks
            m = self.members[keys[i]]
            if _disjoint(companies, m.companies) or _disjoint(mark.figures, m.mark.figures):
                continue
            if score := mark.joins(float(scores[i]), m.mark, abs(m.published_at - published_at)):
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


def _load(session: Session, window: Window, first: datetime, last: datetime) -> None:
    """Put into the window the grouped articles that articles published in [first, last] can join: those
    within `WINDOW` of them, and the figured ones within `REPRINT_WINDOW` (only what is not in it yet).

    Only their ids are read for the whole range: another extract process may have grouped articles
    inside it since the last chunk (its passes and ours alternate), and only the new ones' prints are
    fetched — a long backlog's window moves on by a chunk at a time.
    """
    grouped = Article.story_id.is_not(None)
    near = Article.published_at.between(first - WINDOW, last + WINDOW)
    # three figures or more: two spaces in the stored list (an index-free filter on a few days' rows)
    figured = select(Article.id).join(ArticleSignature, ArticleSignature.article_id == Article.id).where(
        Article.published_at.between(first - REPRINT_WINDOW, last + REPRINT_WINDOW), ~near, grouped,
        ArticleSignature.figures.like("% % %"))
    for ids, in_lsh in ((session.scalars(select(Article.id).where(near, grouped)), True),
                        (session.scalars(figured), False)):
        new = []
        for aid in ids:
            if aid not in window.members:
                new.append(aid)
            elif in_lsh:
                window.add(window.members[aid])  # come within WINDOW: into the LSH index
        _read_members(session, window, new, in_lsh)


def _read_members(session: Session, window: Window, ids: list[int], in_lsh: bool) -> None:
    for part in chunks(ids):
        rows = session.execute(select(Article.id, Article.story_id, Article.published_at, ArticleSignature.minhash,
                                      ArticleSignature.words, ArticleSignature.figures)
                               .join(ArticleSignature, ArticleSignature.article_id == Article.id)
                               .where(Article.id.in_(part))).all()
        companies = _companies(session, [r[0] for r in rows])
        for aid, sid, published, data, words, figs in rows:
            window.add(Member(aid, sid, published, _stored(data, words, figs), companies[aid]), in_lsh)


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
    _load(session, window, rows[0][1], rows[-1][1])
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
            window.forget_before(rows[0][1])  # after a gap in the history, that is everything
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
