"""Recognise articles already stored: by canonical URL, else (feed, guid), else title+text hash."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from avtomon.db import chunks
from avtomon.models import Article
from avtomon.pipeline.parse import EntryRecord

MIN_HASH_TEXT = 200


def _known(session: Session, entries: Sequence[EntryRecord]) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    urls = sorted({e.url for e in entries if e.url})
    guids = sorted({(e.feed, e.guid) for e in entries if e.guid})
    hashes = sorted({e.content_hash for e in entries})
    known_urls: set[str] = set()
    known_guids: set[tuple[str, str]] = set()
    known_hashes: set[str] = set()
    for chunk in chunks(urls):
        known_urls.update(session.scalars(select(Article.url).where(Article.url.in_(chunk))))
    for chunk in chunks(guids):
        rows = session.execute(select(Article.feed, Article.guid).where(tuple_(Article.feed, Article.guid).in_(chunk)))
        known_guids.update((f, g) for f, g in rows)
    for chunk in chunks(hashes):
        known_hashes.update(session.scalars(select(Article.content_hash).where(Article.content_hash.in_(chunk))))
    return known_urls, known_guids, known_hashes


def _hash_is_telling(e: EntryRecord) -> bool:
    """Two different links with one short text (say a title-only «Курс валют») are two articles;
    the same long text under two links is one story syndicated twice."""
    return not e.url or len(e.text) >= MIN_HASH_TEXT


def dedup(session: Session, entries: Sequence[EntryRecord]) -> list[EntryRecord]:
    """Return the entries not yet stored, each once (also removing duplicates inside `entries`).

    Args:
        session: an open session on the store.
        entries: parsed entries, possibly from several feeds.

    Returns:
        New entries in their original order.
    """
    urls, guids, hashes = _known(session, entries)
    fresh: list[EntryRecord] = []
    for e in entries:
        if e.url and e.url in urls:
            continue
        if e.guid and (e.feed, e.guid) in guids:
            continue
        if e.content_hash in hashes and _hash_is_telling(e):
            continue
        fresh.append(e)
        if e.url:
            urls.add(e.url)
        if e.guid:
            guids.add((e.feed, e.guid))
        hashes.add(e.content_hash)
    return fresh
