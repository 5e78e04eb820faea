"""The trend of a searched word, counted from the marks of the lemma index.

Looking up the publication time of every hit made the trend of a word in half the articles cost half the
store (275 000 lookups for a year at 1M articles). Instead, each UTC day of the span is counted in the
index alone, as hits of the words and the day's mark (`search.mark_counts`). A day cut by a local
midnight of --tz (21:00 UTC for Moscow) that starts a period (every day by day, a Monday by week, the
1st by month) is counted whole and on one side of the cut (the hour marks), the other side by
difference. Only the parts of an hour at --since and --until are read from the articles, a probe of the
index for each. The counts per part of a day go to `count_hours`, which places them in the periods of
--tz. (One query per day, not per period: an OR of a month's day marks cost PostgreSQL 35 ms a month
at 1M articles, twice its days one by one.)
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from avtomon.models import Article
from avtomon.pipeline.filters import Filters, article_conditions, count_hours, midnights_on_hours, split_day
from avtomon.pipeline.search import mark_counts, marks_done, text_probe

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def usable(s: Session, f: Filters) -> bool:
    """Only a word (and dates) filter, the index holds every article and every entry its marks."""
    others = f.company or f.region or f.category or f.event or f.source or f.ids is not None
    return bool(f.text) and not others and f.all_indexed and marks_done(s)


def word_counts(s: Session, f: Filters, by: str) -> Counter[date] | None:
    """Articles per period of --tz holding the words of --text; None in a zone whose midnight is not on a
    whole UTC hour (the caller then counts the articles' own rows)."""
    span = _span(s, f)
    if span is None:
        return Counter()
    first, end = span
    if not midnights_on_hours(first, end, f.tz):
        return None
    parts: list[tuple[date, tuple[int, ...] | None]] = []
    places: list[tuple[datetime, int, int | None]] = []  # bucket start, its part, the part it is cut from
    raw: list[tuple[datetime, datetime]] = []
    day = first.date()
    while datetime.combine(day, time()) < end:
        d0 = datetime.combine(day, time())
        _, _, cut = split_day(d0, by, f.tz)  # a local midnight inside a week or a month: None, counted whole
        _plan_day(d0, max(d0, first), min(d0 + DAY, end), cut, parts, places, raw)
        day += timedelta(days=1)
    found = mark_counts(s, f.text or "", parts, f.include_irrelevant)
    buckets: Counter[datetime] = Counter()
    for start, part, whole in places:
        buckets[start] += found[part] - (found[whole] if whole is not None else 0)
    for lo, hi in raw:
        buckets[lo] += _probe(s, f, lo, hi)
    return count_hours({k: v for k, v in buckets.items() if v}, by, f.tz)


def _plan_day(d0: datetime, lo: datetime, hi: datetime, cut: datetime | None,
              parts: list[tuple[date, tuple[int, ...] | None]], places: list[tuple[datetime, int, int | None]],
              raw: list[tuple[datetime, datetime]]) -> None:
    """The parts to count for the UTC day from d0, within [lo, hi): whole hours from the marks, the part
    of an hour at either end from the rows."""
    core_lo = _ceil_hour(lo)
    core_hi = hi.replace(minute=0, second=0, microsecond=0)  # not before core_lo once core_lo < hi
    if core_lo >= hi:
        raw.append((lo, hi))
        return
    if lo < core_lo:
        raw.append((lo, core_lo))
    if core_hi < hi:
        raw.append((core_hi, hi))
    if core_lo >= core_hi:
        return
    pieces = [(core_lo, cut), (cut, core_hi)] if cut is not None and core_lo < cut < core_hi else [(core_lo, core_hi)]
    whole_day = (core_lo, core_hi) == (d0, d0 + DAY)
    if whole_day and len(pieces) == 2:
        # the day's hits, and the smaller side of the cut; the other side is the difference
        small = min(pieces, key=lambda p: p[1] - p[0])
        other = pieces[1] if small == pieces[0] else pieces[0]
        parts.append((d0.date(), None))
        parts.append((d0.date(), _hours(d0, *small)))
        places.append((small[0], len(parts) - 1, None))
        places.append((other[0], len(parts) - 2, len(parts) - 1))
        return
    for a, b in pieces:
        parts.append((d0.date(), None if (a, b) == (d0, d0 + DAY) else _hours(d0, a, b)))
        places.append((a, len(parts) - 1, None))


def _hours(d0: datetime, a: datetime, b: datetime) -> tuple[int, ...]:
    return tuple(range((a - d0) // HOUR, (b - d0) // HOUR))


def _ceil_hour(t: datetime) -> datetime:
    floor = t.replace(minute=0, second=0, microsecond=0)
    return floor if floor == t else floor + HOUR


def _span(s: Session, f: Filters) -> tuple[datetime, datetime] | None:
    """[--since or the first dated article, --until or just after the last one)."""
    dated = select(Article.published_at).where(Article.published_guessed.is_(False))
    first = f.since or s.scalar(dated.order_by(Article.published_at).limit(1))
    last = s.scalar(dated.order_by(Article.published_at.desc()).limit(1))
    end = f.until or (last + timedelta(microseconds=1) if last else None)
    if first is None or end is None or first >= end:
        return None
    return first, end


def _probe(s: Session, f: Filters, lo: datetime, hi: datetime) -> int:
    """The articles of a part of an hour holding the words, each probed in the index."""
    base = Filters(since=lo, until=hi, include_irrelevant=f.include_irrelevant, dialect=f.dialect)
    stmt = select(func.count()).where(Article.published_guessed.is_(False), *article_conditions(base),
                                      text_probe(f.dialect, f.text or ""))
    return s.scalar(stmt) or 0
