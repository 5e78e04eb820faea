"""Store maintenance: statistics, pruning old articles, online SQLite backups."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from avtomon.errors import AvtomonError
from avtomon.models import (
    Alert,
    Article,
    Delivery,
    Entity,
    EntityDay,
    EntityMonth,
    Event,
    EventDay,
    Feed,
    Mention,
    PairDay,
    PairMonth,
    PollRun,
    StoreState,
    Story,
)
from avtomon.pipeline import story_rollups
from avtomon.pipeline.rollups import refresh_days
from avtomon.pipeline.store import PRUNED_BEFORE, prune_horizon
from avtomon.pipeline.story_rollups import StoryCounter
from avtomon.stories.grouping import backlog as grouping_backlog
from avtomon.stories.grouping import refresh_stories

TABLES = (Feed, PollRun, Article, Entity, Mention, Event, Story, Alert, Delivery)


@dataclass
class PruneResult:
    articles: int
    mentions: int
    events: int
    poll_runs: int
    dry_run: bool

    def line(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (f"{verb} {self.articles} articles, {self.mentions} mentions, {self.events} events, "
                f"{self.poll_runs} poll runs")


def stats(engine: Engine) -> list[list[object]]:
    """Rows per table, articles per extraction status, backlog and store size."""
    rows: list[list[object]] = []
    with Session(engine) as s:
        for model in TABLES:
            rows.append(["table", model.__tablename__, s.scalar(select(func.count()).select_from(model))])
        for status, n in s.execute(select(Article.extract_status, func.count()).group_by(Article.extract_status)):
            rows.append(["extraction", status, n])
        backlog = s.scalar(select(func.count()).where(Article.extract_status.in_(("pending", "working"))))
        rows.append(["extraction", "backlog", backlog])
        oldest = s.scalar(select(func.min(Article.fetched_at)).where(Article.extract_status == "pending"))
        rows.append(["extraction", "oldest pending", oldest.isoformat(sep=" ", timespec="seconds") if oldest else ""])
        rows.append(["stories", "grouping backlog", grouping_backlog(s)])
        rows.append(["alerts", "deliveries waiting", s.scalar(select(func.count()).where(Delivery.status != "sent"))])
        if engine.dialect.name == "postgresql":
            size = s.scalar(text("SELECT pg_database_size(current_database())"))
        else:
            db = engine.url.database
            size = sum(Path(db + suffix).stat().st_size for suffix in ("", "-wal")
                       if db and Path(db + suffix).exists())
        rows.append(["store", "size_bytes", size])
    return rows


def prune(engine: Engine, older_than: datetime, dry_run: bool = False) -> PruneResult:
    """Delete articles published before `older_than` with their mentions and events, in one transaction.

    The cutoff is remembered (store_state.pruned_before): later polls do not store entries dated
    before it, so an article a feed still carries does not come back.
    """
    old = select(Article.id).where(Article.published_at < older_than)
    with Session(engine) as s, s.begin():
        counts = PruneResult(
            articles=s.scalar(select(func.count()).select_from(old.subquery())) or 0,
            mentions=s.scalar(select(func.count()).where(Mention.article_id.in_(old))) or 0,
            events=s.scalar(select(func.count()).where(Event.article_id.in_(old))) or 0,
            poll_runs=s.scalar(select(func.count()).where(PollRun.started_at < older_than)) or 0,
            dry_run=dry_run)
        if not dry_run:
            touched = set(s.scalars(select(Article.story_id).where(Article.published_at < older_than,
                                                                   Article.story_id.is_not(None)).distinct()))
            # story rollups: the stories losing articles, and the cutoff day's own articles with no story
            # (the days before it go whole); on PostgreSQL the articles' rows are locked before the
            # stories' locks, in the order extraction and grouping take them (SQLite writers queue anyway)
            if s.get_bind().dialect.name == "postgresql":
                s.execute(old.with_for_update()).all()
            start = datetime.combine(older_than.date(), time())
            alone = s.scalars(select(Article.id).where(Article.published_at >= start, Article.published_at < older_than,
                                                       Article.story_id.is_(None)))
            stories = StoryCounter(s, touched | {-aid for aid in alone})
            s.execute(delete(Mention).where(Mention.article_id.in_(old)))
            s.execute(delete(Event).where(Event.article_id.in_(old)))
            s.execute(delete(Article).where(Article.published_at < older_than))
            s.execute(delete(PollRun).where(PollRun.started_at < older_than))
            # the rollups of the days gone go with them; the cutoff's own day is recounted
            s.execute(delete(EntityDay).where(EntityDay.day < older_than.date()))
            s.execute(delete(PairDay).where(PairDay.day < older_than.date()))
            s.execute(delete(EventDay).where(EventDay.day < older_than.date()))
            s.execute(delete(EntityMonth).where(EntityMonth.month < older_than.date().replace(day=1)))
            s.execute(delete(PairMonth).where(PairMonth.month < older_than.date().replace(day=1)))
            refresh_days(s, [older_than.date()])
            refresh_stories(s, touched)  # a story loses its old articles, or goes with the last of them
            stories.write()
            story_rollups.prune(s, older_than)
            _raise_horizon(s, older_than)
    return counts


def _raise_horizon(s: Session, older_than: datetime) -> None:
    """Remember the cutoff, so polls do not store again what a feed still carries from before it."""
    current = prune_horizon(s)
    if current is None or older_than > current:
        s.merge(StoreState(key=PRUNED_BEFORE, value=older_than.isoformat(sep=" ")))


def backup(engine: Engine, destination: str | Path) -> int:
    """Copy a SQLite store with SQLite's online backup API (safe while ingest writes); returns bytes."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise AvtomonError("db backup copies SQLite stores; for PostgreSQL use pg_dump")
    dest = Path(destination)
    if not dest.parent.exists():
        raise AvtomonError(f"{destination}: folder {dest.parent} does not exist")
    tmp = dest.with_name(f".{dest.name}.part")
    src = sqlite3.connect(engine.url.database)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=1024)  # in steps, so writers are not held off for long
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(dest)
    return dest.stat().st_size


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
