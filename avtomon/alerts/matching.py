"""Raise alerts: the new stories that match each watch, and spikes of a company's stories.

Runs after each ingest (and `avtomon alerts`). An alert is written with one pending delivery per
channel of its watch, in the same transaction (an outbox): a run killed afterwards leaves them to
be sent by the next one, a run killed before leaves nothing. A story is alerted once per watch: an
alert keeps the story's lead article, and a story any of whose articles was alerted for the watch is
not alerted again — not for a second outlet's version, not after a regrouping renumbered the stories.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, distinct, func, select
from sqlalchemy.orm import Session

from avtomon.alerts.config import Watch, WatchesConfig
from avtomon.db import chunks
from avtomon.errors import AvtomonError
from avtomon.models import Alert, Article, Delivery, Entity, Mention, Story
from avtomon.pipeline.filters import Filters, article_conditions, resolve
from avtomon.pipeline.lock import pass_lock
from avtomon.pipeline.query import describe_stories

log = logging.getLogger(__name__)


@dataclass
class RaiseSummary:
    alerts: int = 0
    spikes: int = 0
    problems: list[str] = field(default_factory=list)  # watches that could not run (an unknown company …)


def filters_of(watch: Watch, since: datetime | None = None, until: datetime | None = None) -> Filters:
    return Filters(since=since, until=until, company=watch.company, region=watch.region, category=watch.category,
                   event=watch.event, source=watch.source, text=watch.text, tz="UTC")


def matching_stories(session: Session, watch: Watch, since: datetime, until: datetime | None = None
                     ) -> dict[int, list[int]]:
    """Stories first seen since `since` with articles matching the watch: story id → those articles."""
    f = resolve(session, filters_of(watch, since, until))
    rows = session.execute(select(Article.story_id, Article.id).join(Story, Story.id == Article.story_id)
                           .where(Story.first_seen >= since, *article_conditions(f))
                           .order_by(Article.story_id, Article.id))
    found: dict[int, list[int]] = defaultdict(list)
    for sid, aid in rows:
        found[sid].append(aid)
    return found


def _alerted(session: Session, watch: str, story_ids: list[int]) -> set[int]:
    """The stories with an article already alerted for this watch."""
    done: set[int] = set()
    for part in chunks(story_ids):
        done.update(session.scalars(select(distinct(Article.story_id))
                                    .join(Alert, and_(Alert.article_id == Article.id, Alert.watch == watch))
                                    .where(Article.story_id.in_(part))))
    return done


def _add(session: Session, watch: Watch, kind: str, payload: dict, now: datetime, **keys: int | None) -> None:
    alert = Alert(watch=watch.name, kind=kind, created_at=now, title=payload["title"], url=payload.get("url"),
                  payload=json.dumps({"watch": watch.name, "kind": kind, **payload}, ensure_ascii=False), **keys)
    session.add(alert)
    session.flush()
    for channel in watch.channels:
        session.add(Delivery(alert_id=alert.id, channel=channel, status="pending", attempts=0))


def _story_alerts(session: Session, watch: Watch, since: datetime, now: datetime) -> int:
    found = matching_stories(session, watch, since)
    alerted = _alerted(session, watch.name, list(found))
    new = [sid for sid in found if sid not in alerted]
    described = describe_stories(session, new)
    for sid in sorted(new, key=lambda s: described[s]["first_seen"]):
        payload = described[sid]
        _add(session, watch, "story", payload, now, story_id=sid, article_id=payload["lead_article_id"])
    return len(new)


def spikes(session: Session, watch: Watch, now: datetime, multiple: float, minimum: int) -> list[dict]:
    """Companies (of the watch, or any) whose stories in the last 24 h exceed `multiple` × their daily mean
    of the 30 days before, with at least `minimum` stories."""
    day, month = now - timedelta(days=1), now - timedelta(days=31)
    f = resolve(session, filters_of(watch, month, now))
    story = func.coalesce(Article.story_id, -Article.id)
    recent = func.count(distinct(story)).filter(Article.published_at >= day)
    before = func.count(distinct(story)).filter(Article.published_at < day)
    rows = session.execute(select(Entity.id, Entity.name, Entity.key, recent, before)
                           .select_from(Mention).join(Entity, Entity.id == Mention.entity_id)
                           .join(Article, Article.id == Mention.article_id)
                           .where(Entity.kind == "company", Mention.passing.is_(False), *article_conditions(f))
                           .group_by(Entity.id, Entity.name, Entity.key))
    out = []
    for eid, name, key, last_day, earlier in rows:
        mean = earlier / 30
        if last_day >= minimum and last_day > multiple * mean:
            out.append({"entity_id": eid, "company": name, "key": key, "stories_24h": last_day,
                        "daily_mean_30d": round(mean, 2)})
    return out


def _spike_alerts(session: Session, watch: Watch, config: WatchesConfig, now: datetime) -> int:
    raised = 0
    for spike in spikes(session, watch, now, config.settings.spike_multiple, config.settings.spike_min):
        # once a day per company and watch
        if session.scalar(select(func.count()).where(Alert.watch == watch.name, Alert.kind == "spike",
                                                     Alert.entity_id == spike["entity_id"],
                                                     Alert.created_at > now - timedelta(days=1))):
            continue
        title = (f"{spike['company']}: {spike['stories_24h']} stories in 24 h "
                 f"(30-day mean {spike['daily_mean_30d']} a day)")
        _add(session, watch, "spike", {"title": title, "url": None, **spike}, now, entity_id=spike["entity_id"])
        raised += 1
    return raised


def raise_alerts(engine: Engine, config: WatchesConfig, now: datetime) -> RaiseSummary:
    """Write the alerts of every watch and their pending deliveries, in one transaction."""
    summary = RaiseSummary()
    since = now - timedelta(seconds=config.settings.lookback)
    with Session(engine) as session, session.begin():
        pass_lock(session, "alerts", now)
        for watch in config.watches:
            try:
                with session.begin_nested():
                    summary.alerts += _story_alerts(session, watch, since, now)
                    if watch.spikes:
                        summary.spikes += _spike_alerts(session, watch, config, now)
            except AvtomonError as exc:  # an unknown company in one watch does not stop the others
                summary.problems.append(f"watch {watch.name!r}: {exc}")
    return summary
