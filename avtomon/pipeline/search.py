"""Full-text search that finds any word form: an index of lemmas per article.

The title and text of each article are reduced to the lemmas of their words («тяговых батарей» →
«тяговый батарея», ё as е) and indexed: an FTS5 table on SQLite, a `tsvector` with a GIN index on
PostgreSQL (both created by migration 0007). A query is reduced the same way, so any form finds any
form. Both sides use the same context-free lemmatiser (the best pymorphy3 parse of the word alone),
which is what makes them agree.

Extraction indexes each article it stores; articles stored before the index existed, or not yet
extracted, are indexed by `index_backlog` (run by `ingest` and `extract`) and meanwhile found by a
plain substring match, so a search never misses an article because it is not indexed yet.

Beside its words, an article's entry holds two marks: its UTC day of publication (`ǂd20261203`, or
`ǂx20261203` when it is marked irrelevant) and hour (`ǂh21`); none when its date was guessed. With them
the trend of a word counts each day's hits in the index alone (`mark_counts`), where looking up every
hit's publication time made the trend of a word in half the articles grow with the store. No lemma starts
with «ǂ», so no search finds a mark. Entries made before the marks get them from `mark_backlog`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, func, not_, or_, select, text, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from avtomon.db import chunks
from avtomon.models import Article, StoreState

log = logging.getLogger(__name__)
_WORD = re.compile(r"\w+(?:[-']\w+)*")
BACKLOG_BATCH = 500
MARK = "ǂ"  # starts every mark: a letter (FTS5 and PostgreSQL keep it in the token) no Russian lemma holds
MARK_BATCH = 2000


def lemma_text(text: str) -> str:
    """The lemmas of the words of `text`, space-separated, lower case, ё as е."""
    from avtomon.extractors.nlp import get_nlp

    lemmas = get_nlp().lemmas
    return " ".join(lemmas(w)[0] for w in _WORD.findall(text))


def query_lemmas(query: str) -> list[str]:
    """The distinct lemmas a search must find (every one of them); never a mark."""
    return list(dict.fromkeys(w for w in lemma_text(query).split() if not w.startswith(MARK)))


def marks(published: datetime, guessed: bool, relevant: bool | None) -> list[str]:
    """An article's marks in the index: its UTC day (`d`, or `x` when marked irrelevant) and hour of
    publication; none for a guessed date, which trends leave out."""
    if guessed:
        return []
    return [f"{MARK}{'x' if relevant is False else 'd'}{published:%Y%m%d}", f"{MARK}h{published:%H}"]


def day_mark(day: date, include_irrelevant: bool) -> list[str]:
    """The marks of the articles of a UTC day a trend counts (either one will do)."""
    return [f"{MARK}d{day:%Y%m%d}", *([f"{MARK}x{day:%Y%m%d}"] if include_irrelevant else [])]


def hour_marks(hours: Sequence[int]) -> list[str]:
    return [f"{MARK}h{h:02d}" for h in hours]


def _marks_of(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for part in chunks(ids):
        for aid, published, guessed, relevant in session.execute(
                select(Article.id, Article.published_at, Article.published_guessed, Article.relevant)
                .where(Article.id.in_(part))):
            found[aid] = marks(published, guessed, relevant)
    return found


def index_articles(session: Session, rows: Sequence[tuple[int, str, str]]) -> dict[int, str]:
    """(Re)index articles given as (id, title, text), in the caller's transaction, with the marks of their
    stored date and relevance (set them first); returns each one's lemma text (story grouping reads it)."""
    if not rows:
        return {}
    ids = [r[0] for r in rows]
    marked = _marks_of(session, ids)
    values = [{"id": aid, "lemmas": lemma_text(f"{title}\n{body}"), "marks": marked.get(aid, [])}
              for aid, title, body in rows]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DELETE FROM article_search WHERE article_id = ANY(:ids)"), {"ids": ids})
    else:
        session.execute(text("DELETE FROM article_search WHERE rowid IN (SELECT value FROM json_each(:ids))"),
                        {"ids": str(ids)})
    insert_entries(session, values)
    return {v["id"]: v["lemmas"] for v in values}


def insert_entries(conn: Session | Connection, values: Sequence[dict[str, Any]]) -> None:
    """Add index entries given as {id, lemmas (text), marks (list)}; the caller removed any old ones."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "postgresql":
        # the marks are lexemes taken as they are, not parsed
        conn.execute(text("INSERT INTO article_search (article_id, lemmas) VALUES "
                          "(:id, to_tsvector('simple', :lemmas) || array_to_tsvector(CAST(:marks AS text[])))"),
                     values)
    else:
        conn.execute(text("INSERT INTO article_search (rowid, lemmas) VALUES (:id, :lemmas)"),
                     [{"id": v["id"], "lemmas": " ".join([v["lemmas"], *v["marks"]])} for v in values])


def _indexed(dialect: str):  # type: ignore[no-untyped-def]
    """Is the article in the index (SQL condition on Article)? One key lookup per article."""
    key = "s.article_id" if dialect == "postgresql" else "s.rowid"
    return exists(select(text("1")).select_from(text("article_search s")).where(text(f"{key} = articles.id")))


_WAITING = Article.extract_status.in_(("pending", "working"))  # stored, not extracted (so not indexed) yet


def nothing_waiting(session: Session) -> bool:
    """No article waits for extraction (one probe of the index on extract_status)."""
    return session.scalar(select(Article.id).where(_WAITING).limit(1)) is None


def text_condition(dialect: str, query: str, backlog_done: bool = False,  # type: ignore[no-untyped-def]
                   first_id: int | None = None, all_indexed: bool = False):
    """A condition on Article: every word of `query`, in any form, in its title or text. `backlog_done`:
    every extracted article is indexed (store_state), so unextracted ones alone need the substring match;
    `all_indexed`: besides, no article waits for extraction, so the index holds every article.
    `first_id`: only articles from that id on are wanted (the lowest id of a recent period).

    The condition is `id IN (index hits UNION unindexed matches)`, or `id IN (index hits)` when every
    article is indexed: the database starts from the hits and looks each one up, so a search costs its
    hits, not every article of the period (with `first_id`, the hits from that id on: the index reads
    only that part of each word's list). The UNION costs more than the empty branch it adds: PostgreSQL
    removes the duplicates of every hit first (a year of a word in half of 1M articles: 1.2 s of SQL with
    it, 0.6 s without), so it is left out whenever nothing can be missing from the index.
    """
    words = query_lemmas(query)
    if not words:
        return and_(True)
    key = "article_id" if dialect == "postgresql" else "rowid"
    later = [] if first_id is None else [text(f"{key} >= :first_id").bindparams(first_id=first_id)]
    if dialect == "postgresql":
        hits = select(text("article_id")).select_from(text("article_search")).where(
            text("lemmas @@ plainto_tsquery('simple', :q)").bindparams(q=" ".join(words)), *later)
    else:
        fts = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        hits = select(text("rowid")).select_from(text("article_search")).where(
            text("article_search MATCH :q").bindparams(q=fts), *later)
    if all_indexed:
        return Article.id.in_(hits)
    # not indexed yet: a substring match on the words as typed (ё folded). Once the backlog of an older
    # store is done, only articles waiting for extraction can lack an entry (few, and found by an index).
    raw = [w.lower().replace("ё", "е") for w in _WORD.findall(query)]
    waiting = _WAITING if backlog_done else not_(_indexed(dialect))
    unindexed = select(Article.id).where(waiting, *([] if first_id is None else [Article.id >= first_id]), *[
        or_(func.replace(func.lower(Article.title), "ё", "е").like(f"%{w}%"),
            func.replace(func.lower(Article.text), "ё", "е").like(f"%{w}%")) for w in raw])
    return Article.id.in_(union(hits, unindexed))


BACKLOG_DONE = "search_backlog_done"  # store_state key: every extracted article is in the index


def backlog_done(session: Session) -> bool:
    return session.scalar(select(StoreState.value).where(StoreState.key == BACKLOG_DONE)) == "yes"


def index_backlog(engine: Engine, limit: int | None = None) -> int:
    """Index extracted articles missing from the index (stored before it existed), in batches; returns how
    many. When none is left it says so in store_state, and searches stop looking for unindexed articles.
    Then it gives older entries their marks (`mark_backlog`)."""
    done = 0
    dialect = engine.dialect.name
    while limit is None or done < limit:
        try:
            with Session(engine) as s, s.begin():
                batch = BACKLOG_BATCH if limit is None else min(BACKLOG_BATCH, limit - done)
                # extracted articles only: the others are indexed by their own extraction, and two
                # processes writing one article's row would wait on each other
                rows = s.execute(select(Article.id, Article.title, Article.text)
                                 .where(Article.extract_status.in_(("done", "failed")), not_(_indexed(dialect)))
                                 .order_by(Article.id).limit(batch)).all()
                if not rows:
                    if not backlog_done(s):
                        s.merge(StoreState(key=BACKLOG_DONE, value="yes"))
                    break
                index_articles(s, [tuple(r) for r in rows])
        except IntegrityError:  # another process indexed some of them meanwhile: it goes on, we stop
            log.debug("search backlog taken over by another process", exc_info=True)
            break
        done += len(rows)
    # then the marks of older entries: an update of each, no lemmatising, so ten times as many a run
    mark_backlog(engine, None if limit is None else limit * 10)
    return done


def _fts_words(words: Sequence[str]) -> str:
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def text_probe(dialect: str, query: str):  # type: ignore[no-untyped-def]
    """A condition on Article: the index holds every word of `query` for it, one index probe per article
    (for the few articles of a short window; text_condition reads every hit of the words instead). Only
    for a store whose index holds every article (Filters.all_indexed)."""
    words = query_lemmas(query)
    if not words:
        return and_(True)
    if dialect == "postgresql":
        return exists(select(text("1")).select_from(text("article_search s")).where(
            text("s.article_id = articles.id AND s.lemmas @@ plainto_tsquery('simple', :pq)").bindparams(
                pq=" ".join(words))))
    return exists(select(text("1")).select_from(text("article_search")).where(
        text("article_search MATCH :fq AND article_search.rowid = articles.id").bindparams(fq=_fts_words(words))))


def _any_of(found: Sequence[str], dialect: str) -> str:
    """Match any of these marks: FTS5 / tsquery syntax."""
    if dialect == "postgresql":
        return "(" + " | ".join(f"'{m}'" for m in found) + ")"
    return "(" + " OR ".join(f'"{m}"' for m in found) + ")"


def mark_counts(session: Session, query: str, parts: Sequence[tuple[date, Sequence[int] | None]],
                include_irrelevant: bool = False) -> list[int]:
    """For each (UTC day, hours or None for all of it): how many articles published then hold every word
    of `query`, shown ones only unless `include_irrelevant`, guessed dates never. Read from the index and
    its marks alone, in one statement: each part costs its own day's hits, not the word's."""
    words = query_lemmas(query)
    if not parts:
        return []
    dialect = session.get_bind().dialect.name
    marked = [_any_of(day_mark(day, include_irrelevant), dialect)
              + ("" if hours is None else (" & " if dialect == "postgresql" else " AND ")
                 + _any_of(hour_marks(hours), dialect)) for day, hours in parts]
    if dialect == "postgresql":
        rows = session.execute(text(
            "SELECT q.i, (SELECT count(*) FROM article_search s WHERE s.lemmas @@ (plainto_tsquery('simple', :w) "
            "&& q.m)) FROM unnest(CAST(:ms AS tsquery[])) WITH ORDINALITY AS q(m, i)"),
            {"w": " ".join(words), "ms": marked})
        found = {int(i) - 1: n for i, n in rows}
    else:
        prefix = _fts_words(words) + " AND " if words else ""
        rows = session.execute(text(
            "SELECT j.key, (SELECT count(*) FROM article_search WHERE article_search MATCH j.value) "
            "FROM json_each(:qs) AS j"), {"qs": json.dumps([prefix + m for m in marked], ensure_ascii=False)})
        found = dict(rows.all())
    return [found.get(i, 0) for i in range(len(parts))]


MARKS_DONE = "search_marks_done"  # store_state key: every index entry holds its marks
MARKED_UPTO = "search_marked_upto"  # store_state key: mark_backlog has seen the entries up to this id


def marks_done(session: Session) -> bool:
    return session.scalar(select(StoreState.value).where(StoreState.key == MARKS_DONE)) == "yes"


def mark_backlog(engine: Engine, limit: int | None = None) -> int:
    """Give the index entries made before the marks existed their marks, in batches of ids; returns how
    many entries it saw. When it has seen them all it says so in store_state, and trends start to use them
    (entries made since carry their marks already: adding them again changes nothing)."""
    seen = 0
    while limit is None or seen < limit:
        try:
            with Session(engine) as s, s.begin():
                if marks_done(s):
                    break
                found = _mark_batch(s, MARK_BATCH if limit is None else min(MARK_BATCH, limit - seen))
                if not found:
                    s.merge(StoreState(key=MARKS_DONE, value="yes"))
                    break
        except IntegrityError:  # another process recorded its progress first: it goes on, we stop
            log.debug("marks backlog taken over by another process", exc_info=True)
            break
        seen += found
    return seen


def _mark_batch(s: Session, n: int) -> int:
    """Mark the next `n` index entries after the last one marked; returns how many it saw. An entry that
    has its marks already (written by extraction since) is left as it is, not rewritten."""
    postgres = s.get_bind().dialect.name == "postgresql"
    key = "article_id" if postgres else "rowid"
    after = int(s.scalar(select(StoreState.value).where(StoreState.key == MARKED_UPTO)) or 0)
    ids = list(s.scalars(text(f"SELECT {key} FROM article_search WHERE {key} > :after ORDER BY {key} LIMIT :n"),
                         {"after": after, "n": n}))
    if not ids:
        return 0
    values = [{"id": aid, "marks": found, "mark": found[-1]} for aid, found in _marks_of(s, ids).items() if found]
    if values and postgres:
        s.execute(text("UPDATE article_search SET lemmas = lemmas || array_to_tsvector(CAST(:marks AS text[])) "
                       "WHERE article_id = :id AND NOT lemmas @@ CAST(quote_literal(:mark) AS tsquery)"), values)
    elif values:
        s.execute(text("UPDATE article_search SET lemmas = lemmas || ' ' || :marks "
                       "WHERE rowid = :id AND instr(lemmas, :mark) = 0"),
                  [{**v, "marks": " ".join(v["marks"])} for v in values])
    s.merge(StoreState(key=MARKED_UPTO, value=str(ids[-1])))
    return len(ids)
