"""The web view's test set-up: a store of recent news (the gold texts dated over the last four weeks,
plus hostile titles) filled through the real pipeline, and `avtomon serve`'s application on a real
uvicorn server on loopback. Shared by the HTTP tests, the browser test and the benchmark."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.serving import serving
from tests.store_fixture import fresh_store, ingest_feed, news_items

SCRIPT_TITLE = '<script>alert("avtomon")</script> КАМАЗ открыл линию'
IMG_TITLE = '"><img src=x onerror=alert(1)> Автотор расширил завод'


def recent_items(now: datetime | None = None) -> list[dict[str, Any]]:
    """The gold news dated over the 27 days before `now` (newest first), and two hostile titles."""
    now = now or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    items = [i for i in news_items() if i["link"] != "https://news.example.ru/hostile"]
    for n, item in enumerate(items):
        item["date"] = now - timedelta(hours=2 + 11 * n)
    # escaped twice, as some feeds do: the title the store keeps is the markup as text
    items.append({"title": html.escape(SCRIPT_TITLE),
                  "text": "КАМАЗ открыл новую линию сборки кабин в Набережных Челнах.",
                  "link": "https://news.example.ru/script", "date": now - timedelta(days=20, hours=5)})
    items.append({"title": html.escape(IMG_TITLE),
                  "text": "Калининградский Автотор расширил завод по сборке автомобилей.",
                  "link": "https://news.example.ru/img", "date": now - timedelta(days=20, hours=7)})
    return items


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web_store(request: pytest.FixtureRequest, make_httpserver: HTTPServer, tmp_path_factory: pytest.TempPathFactory,
              nlp) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A store URL (SQLite file or fresh PostgreSQL database) with the last four weeks of news."""
    tmp = tmp_path_factory.mktemp("web")
    with fresh_store(request, tmp) as url:
        ingest_feed(url, make_httpserver, tmp, f"/web-{request.param}.xml", recent_items(), name="Комтранс")
        yield url


@pytest.fixture(scope="module")
def site(web_store: str) -> Iterator[str]:
    """The base URL of `avtomon serve`'s application over `web_store`, opened read-only."""
    from avtomon.db import open_readonly
    from avtomon.web import create_app

    engine = open_readonly(web_store)
    with serving(create_app(engine)) as base:
        yield base
    engine.dispose()


def shots_folder(tmp: Path) -> Path:
    """Where the browser test saves its screenshots: $AVTOMON_SCREENSHOTS (docs/img to refresh the README's),
    else a temporary folder."""
    import os

    folder = Path(os.environ.get("AVTOMON_SCREENSHOTS") or tmp)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
