"""SQLAlchemy 2 typed ORM models: the store schema shared by SQLite and PostgreSQL.

Table and column names are a contract (DESIGN.md): analysts and outside checks query them.
Times are stored as naive UTC datetimes so SQLite and PostgreSQL compare them alike.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Feed(Base):
    """A polled source and its HTTP cache and health state."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)  # where we poll now (a permanent redirect updates it)
    config_url: Mapped[str | None] = mapped_column(Text)  # the URL in feeds.yaml when we last synced
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime)
    tags: Mapped[str | None] = mapped_column(Text)  # comma-separated, from feeds.yaml (relevance uses them)


class PollRun(Base):
    """One poll of one feed."""

    __tablename__ = "poll_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed: Mapped[str] = mapped_column(String(200), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # ok | not_modified | error | skipped
    http_status: Mapped[int | None] = mapped_column(Integer)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class StoreState(Base):
    """Store-wide settings written by commands, one row per key (e.g. ``pruned_before``)."""

    __tablename__ = "store_state"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Article(Base):
    """One news item, stored once whatever feeds carried it."""

    __tablename__ = "articles"
    __table_args__ = (
        # dedup by (feed, guid) when the URL changed but the guid did not
        Index("ix_articles_feed_guid", "feed", "guid"),
        # the extraction backlog: WHERE extract_status = 'pending'
        Index("ix_articles_extract_status", "extract_status"),
        # date filters of queries and exports; a period's count per hour reads this index alone (0013; on
        # PostgreSQL the migration also includes the id — not said here: a postgresql_* argument would
        # import SQLAlchemy's PostgreSQL dialect, asyncio included, into every command's start-up)
        Index("ix_articles_published", "published_at", "published_guessed", "relevant"),
        # the poll's page pass: WHERE page_status = 'pending'
        Index("ix_articles_page_status", "page_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # canonical URL; NULL only for entries that carry no link at all (then guid or hash dedups)
    url: Mapped[str | None] = mapped_column(Text, unique=True)
    guid: Mapped[str | None] = mapped_column(Text)
    feed: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_guessed: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    # dedup across feeds for items without a stable URL
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    text_source: Mapped[str] = mapped_column(String(10), default="feed")  # feed | page
    # full text from the article page: NULL (not wanted) | pending | ok | failed | robots | short
    page_status: Mapped[str | None] = mapped_column(String(10))
    page_error: Mapped[str | None] = mapped_column(Text)
    extract_status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|working|done|failed
    # which extract worker holds the article, and since when (a stale claim is taken over)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    extractor_version: Mapped[str | None] = mapped_column(String(20))
    extract_error: Mapped[str | None] = mapped_column(Text)
    extracted_at: Mapped[datetime | None] = mapped_column(DateTime)
    relevance: Mapped[float | None] = mapped_column(Float)
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    # the story (the same news from several outlets) the article belongs to; NULL until grouped
    # (ix_articles_story_id: a story's articles, and the grouping backlog WHERE story_id IS NULL)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"), index=True)

    mentions: Mapped[list[Mention]] = relationship(back_populates="article", cascade="all, delete-orphan",
                                                   passive_deletes=True)
    events: Mapped[list[Event]] = relationship(back_populates="article", cascade="all, delete-orphan",
                                               passive_deletes=True)


class Story(Base):
    """The same news, reworded by several outlets: its articles point here (articles.story_id)."""

    __tablename__ = "stories"
    __table_args__ = (Index("ix_stories_first_seen", "first_seen"),)  # the newest stories

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime)  # the earliest article's published time (UTC)
    last_seen: Mapped[datetime] = mapped_column(DateTime)  # the latest article's
    title: Mapped[str] = mapped_column(Text, default="")  # the earliest article's title
    lead_article_id: Mapped[int | None] = mapped_column(Integer)  # the earliest article
    articles: Mapped[int] = mapped_column(Integer, default=0)
    sources: Mapped[int] = mapped_column(Integer, default=0)  # distinct feeds


class ArticleSignature(Base):
    """The MinHash of an article's content lemmas (avtomon.stories.signature), kept for grouping."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    words: Mapped[int] = mapped_column(Integer)  # how many distinct content lemmas the MinHash is of
    figures: Mapped[str] = mapped_column(Text, default="")  # the figures it gives, space-separated


class Alert(Base):
    """Something a watch raised (a new story that matches it, or a spike of a company's stories), kept
    so that it is sent once: an alert is written with one pending delivery per channel, in one
    transaction, before anything is sent."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_watch_article", "watch", "article_id"),  # was this story alerted?
                      Index("ix_alerts_watch_created", "watch", "created_at"))  # a watch's Atom feed

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # story | spike
    story_id: Mapped[int | None] = mapped_column(Integer)
    # the story's lead article when the alert was raised: after a regrouping the story of this article
    # is still the one alerted (story ids change, article ids do not)
    article_id: Mapped[int | None] = mapped_column(Integer)
    entity_id: Mapped[int | None] = mapped_column(Integer)  # a spike's company
    created_at: Mapped[datetime] = mapped_column(DateTime)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # the alert as JSON: what every channel sends


class Delivery(Base):
    """One alert to one channel: pending until the channel took it, retried on later runs."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel", name="uq_deliveries_alert_channel"),
                      Index("ix_deliveries_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))  # pending | sending | sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class Entity(Base):
    """A company, organization, region, category or person, identified by (kind, key)."""

    __tablename__ = "entities"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_entities_kind_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # company | organization | region | category | person
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    known: Mapped[bool] = mapped_column(Boolean, default=True)
    org_kind: Mapped[str | None] = mapped_column(String(20))  # government | media | finance | other


class Mention(Base):
    """One occurrence of an entity in an article, with character offsets into title + "\\n\\n" + text."""

    __tablename__ = "mentions"
    __table_args__ = (
        # "which articles mention X": entity first
        Index("ix_mentions_entity_article", "entity_id", "article_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    start_char: Mapped[int] = mapped_column(Integer)
    end_char: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # a product category named only in passing: kept as a mention, but not one of the article's categories
    passing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    article: Mapped[Article] = relationship(back_populates="mentions")
    entity: Mapped[Entity] = relationship()


class Event(Base):
    """An event (launch, investment, …) found in one sentence of an article."""

    __tablename__ = "events"
    # a type's events by article (`--event` from a period's lowest article id on); serves the type alone too
    __table_args__ = (Index("ix_events_type_article", "type", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"), index=True)
    # indexed (ix_events_region_id): a region's events
    region_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"), index=True)
    categories: Mapped[str] = mapped_column(Text, default="")  # comma-separated category keys
    sentence: Mapped[str] = mapped_column(Text)
    start_char: Mapped[int] = mapped_column(Integer)
    end_char: Mapped[int] = mapped_column(Integer)

    article: Mapped[Article] = relationship(back_populates="events")
    company: Mapped[Entity | None] = relationship(foreign_keys=[company_id])
    region: Mapped[Entity | None] = relationship(foreign_keys=[region_id])


class EntityCounts:
    """The columns entity_days and entity_months share: per entity, shown (the article is not marked
    irrelevant) and guessed date, the articles and mentions, all of them and those `about` it (mentions
    not in passing), and the first and last publication."""

    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    shown: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    guessed: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    articles: Mapped[int] = mapped_column(Integer)
    articles_about: Mapped[int] = mapped_column(Integer)
    mentions: Mapped[int] = mapped_column(Integer)
    mentions_about: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime)
    last_at: Mapped[datetime] = mapped_column(DateTime)
    first_about_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_about_at: Mapped[datetime | None] = mapped_column(DateTime)


class PairCounts:
    """The columns pair_days and pair_months share: per pair of entities of two kinds (company-region,
    company-category, region-category) and shown, the articles naming both, all and those about both;
    in those articles each side's mentions and their first and last publication — what a ranking of one
    side filtered by the other (`query regions --company КАМАЗ`) shows."""

    left_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    right_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    shown: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    articles: Mapped[int] = mapped_column(Integer)
    articles_about: Mapped[int] = mapped_column(Integer)
    left_mentions: Mapped[int] = mapped_column(Integer)
    left_mentions_about: Mapped[int] = mapped_column(Integer)
    right_mentions: Mapped[int] = mapped_column(Integer)
    right_mentions_about: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime)
    last_at: Mapped[datetime] = mapped_column(DateTime)
    first_about_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_about_at: Mapped[datetime | None] = mapped_column(DateTime)


class EntityDay(EntityCounts, Base):
    """Rollup per UTC day of publication. Kept exact by extraction and prune in their own transactions
    (pipeline/rollups.py); rankings read these rows, not the mentions."""

    __tablename__ = "entity_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (Index("ix_entity_days_entity_day", "entity_id", "day"),)


class PairDay(PairCounts, Base):
    """Rollup of pairs per UTC day of publication."""

    __tablename__ = "pair_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)

    # one entity's pairs over a range (an entity page): the key starts with the day
    __table_args__ = (Index("ix_pair_days_left_day", "left_id", "day"),
                      Index("ix_pair_days_right_day", "right_id", "day"))


class EventDay(Base):
    """Events per UTC day of publication, entity and type: a company's and a region's own events, and the
    events of the articles naming a category (`events`) or about it (`events_about`; for companies and
    regions the same number). Kept exact with the other rollups; the entity pages' charts read them."""

    __tablename__ = "event_days"
    # covering: an entity page reads its days' counts from the index alone
    __table_args__ = (Index("ix_event_days_entity_day", "entity_id", "guessed", "day", "type", "shown", "events",
                            "events_about"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(20), primary_key=True)
    shown: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    guessed: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    events: Mapped[int] = mapped_column(Integer)
    events_about: Mapped[int] = mapped_column(Integer)


class EntityMonth(EntityCounts, Base):
    """Rollup of entity_days per calendar month (`month` is its first day): a year's ranking sums twelve
    rows per entity instead of 365."""

    __tablename__ = "entity_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (Index("ix_entity_months_entity_month", "entity_id", "month"),)  # one entity's months


class PairMonth(PairCounts, Base):
    """Rollup of pair_days per calendar month."""

    __tablename__ = "pair_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)

    # one entity's partners over a range, summed from the index alone (an entity page; migration 0014)
    __table_args__ = (Index("ix_pair_months_left", "left_id", "shown", "month", "right_id", "articles",
                            "articles_about"),
                      Index("ix_pair_months_right", "right_id", "shown", "month", "left_id", "articles",
                            "articles_about"))


class StoryCounts:
    """The columns story_days and story_months share: per entity and way of counting — `every` article
    or only those shown (not marked irrelevant, the default), mentions in `passing` counted or not
    (stored for categories only: companies and regions are never named in passing) — how many of the
    entity's stories (an article with no story yet is a story of its own) have their first article
    naming it on that day or month."""

    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    every: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    passing: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    stories: Mapped[int] = mapped_column(Integer)


class StoryDay(StoryCounts, Base):
    """Stories per entity by the UTC day of their first article naming it (pipeline/story_rollups.py)."""

    __tablename__ = "story_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class StoryMonth(StoryCounts, Base):
    """story_days per calendar month."""

    __tablename__ = "story_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)


class StoryLink(StoryCounts, Base):
    """Stories per entity, UTC day and `back`, the latest earlier day of one of its articles naming the
    entity: a period starting after `back` and holding `day` counts such a story though its first
    article lies before the period. `long`: more than a week between the two (rare; read apart)."""

    __tablename__ = "story_links"
    # a period's stories that began before it: short links by their earlier day, the long ones all
    __table_args__ = (Index("ix_story_links_back", "long", "back"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    back: Mapped[date] = mapped_column(Date, primary_key=True)
    long: Mapped[bool] = mapped_column(Boolean)
