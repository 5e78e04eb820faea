"""Full-text search that finds any word form: an index of lemmas per article.

The title and text of each article are reduced to the lemmas of their words («тяговых батарей» →
«тяговый батарея», ё as е) and indexed: an FTS5 table on SQLite, a `tsvector` with a GIN index on
PostgreSQL (both created by migration 0007). A query is reduced the same way, so any form finds any
form. Both sides use the same context-free lemmatiser (the best pymorphy3 parse of the word alone),
which is what makes them agree.

Extraction indexes each article it stores; articles stored before the index existed, or not yet
extracted, are indexed by `index_backlog` (run by `ingest` and `extract`) and meanwhile found by a
plain substring match, so a search never misses an article because it is not indexed yet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from sqlalchemy import Engine, and_, exists, func, not_, or_, select, text, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from avtomon.models import Article, StoreState

log = logging.getLogger(__name__)
_WORD = re.compile(r"\w+(?:[-']\w+)*")
BACKLOG_BATCH = 500


def lemma_text(text: str) -> str:
    """The lemmas of the words of `text`, space-separated, lower case, ё as е."""
    from avtomon.extractors.nlp import get_nlp

    lemmas = get_nlp().lemmas
    return " ".join(lemmas(w)[0] for w in _WORD.findall(text))


def query_lemmas(query: str) -> list[str]:
    """The distinct lemmas a search must find (every one of them)."""
    return list(dict.fromkeys(lemma_text(query).split()))


def index_articles(session: Session, rows: Sequence[tuple[int, str, str]]) -> dict[int, str]:
    """(Re)index articles given as (id, title, text), in the caller's transaction; returns each one's
    lemma text (story grouping reads it too)."""
    if not rows:
        return {}
    ids = [r[0] for r in rows]
    values = [{"id": aid, "lemmas": lemma_text(f"{title}\n{body}")} for aid, title, body in rows]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DELETE FROM article_search WHERE article_id = ANY(:ids)"), {"ids": ids})
        session.execute(text("INSERT INTO article_search (article_id, lemmas) "
                             "VALUES (:id, to_tsvector('simple', :lemmas))"), values)
    else:
        session.execute(text("DELETE FROM article_search WHERE rowid IN (SELECT value FROM json_each(:ids))"),
                        {"ids": str(ids)})
        session.execute(text("INSERT INTO article_search (rowid, lemmas) VALUES (:id, :lemmas)"), values)
    return {v["id"]: v["lemmas"] for v in values}


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
    many. When none is left it says so in store_state, and searches stop looking for unindexed articles."""
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
    return done
