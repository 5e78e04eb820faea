"""Stories: outlets' versions of one news grouped at ingest, incrementally, on SQLite and PostgreSQL;
rebuilt alike; counted by queries and exports; measured on the labelled set.

The feeds here carry tests/data/stories/labelled.jsonl's own rewrites (our writing: regression tests).
The quality figure is the labelled set's, with the real gold stories as hard negatives
(test_labelled_set_quality)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article, Story
from avtomon.stories.signature import containment, figures
from tests.conftest import shared_data, write_feeds
from tests.store_fixture import fresh_store, rss

LABELLED = Path(__file__).parent / "data" / "stories" / "labelled.jsonl"
START = datetime(2026, 3, 2, 7, 0)


def rewrites() -> list[dict]:
    """The labelled set's own texts: {group, feed, title, text}, in file order."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if "text" in r]


def items(rows: list[dict], hours: int, host: str) -> list[dict]:
    return [{"title": r["title"], "text": r["text"], "link": f"https://{host}.example.ru/{r['group']}-{i}",
             "date": START + timedelta(hours=hours, minutes=7 * i)} for i, r in enumerate(rows)]


def run(url: str, feeds: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", url, "--feeds", str(feeds), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


# outlet B's versions of three of outlet A's stories, reworded (full texts, as an agency rewrites a story)
OUTLET_B = {
    "d054": ("Komatsu остановила завод в Ярославле",
             "Производитель спецтехники Komatsu приостанавливает работу ярославского завода «Комацу Мэнуфэкчуринг "
             "Рус», выпускавшего экскаваторы и карьерные самосвалы: поставки в Россию прекращены с 30 марта из-за "
             "проблем с логистикой и неясных финансовых условий. Выручка ярославского предприятия в 2020 году — "
             "6 млрд рублей, «Комацу СНГ» — 60,4 млрд рублей."),
    "d064": ("Костромская «Итэлма» займет у ФРП 622 млн рублей",
             "Фонд развития промышленности одобрил заем 622 млн рублей под 5% годовых производителю автоэлектроники "
             "«Итэлма». Деньги направят на локализацию блоков ABS и ESP на заводе в Костроме, рассчитанном на "
             "1,2 млн блоков в год. Российских деталей в этих системах сейчас около 25%, компания планирует "
             "довести их долю до 55%. Крупнейший заказчик ABS — АвтоВАЗ."),
    "d017": ("Конвейеры АвтоВАЗа снова запущены",
             "АвтоВАЗ 25 апреля вышел из корпоративного отпуска и возобновил сборку Lada Granta, Vesta, Largus, "
             "XRAY и Niva Travel в Тольятти и Ижевске. Выпуск Niva Legend пока не начат: не хватает датчиков ABS "
             "от Bosch, которая приостановила работу в России. По словам губернатора Самарской области Дмитрия "
             "Азарова, автозавод нашел поставщиков комплектующих в Азии."),
}


def serve_two_outlets(server: HTTPServer, tmp: Path) -> tuple[Path, dict[str, list[str]]]:
    """Outlet A carries the first rewrite of each group, outlet B another version of three of them (two
    hours later); returns feeds.yaml and each group's titles."""
    first: dict[str, dict] = {}
    for r in rewrites():
        first.setdefault(r["group"], r)
    second = [{"group": g, "title": t, "text": x} for g, (t, x) in OUTLET_B.items()]
    server.expect_request("/a.xml").respond_with_data(rss(items(list(first.values()), 0, "a")))
    server.expect_request("/b.xml").respond_with_data(rss(items(second, 2, "b")))
    feeds = write_feeds(tmp / "feeds.yaml", [{"name": "Outlet A", "url": server.url_for("/a.xml")},
                                             {"name": "Outlet B", "url": server.url_for("/b.xml")}])
    titles: dict[str, list[str]] = defaultdict(list)
    for r in [*first.values(), *second]:
        titles[r["group"]].append(r["title"])
    return feeds, titles


def partition(url: str) -> dict[str, int]:
    engine = open_store(url, migrate=False)
    try:
        with Session(engine) as s:
            return dict(s.execute(select(Article.title, Article.story_id)).all())
    finally:
        engine.dispose()


def together(story: dict[str, int]) -> set[tuple[str, str]]:
    """The pairs of titles in one story: what two groupings must agree on (story ids may differ)."""
    return {(a, b) for a in story for b in story if story[a] == story[b]}


def forget_stories(url: str, prints: bool = False) -> None:
    """What a run killed between extraction and grouping leaves (story_id NULL), and with `prints` what
    migration 0011 leaves on an older store (no print either)."""
    engine = open_store(url, migrate=False)
    try:
        with Session(engine) as s, s.begin():
            if prints:
                s.execute(text("DELETE FROM article_signatures"))
            s.execute(text("UPDATE articles SET story_id = NULL"))
            s.execute(text("DELETE FROM stories"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with fresh_store(request, tmp_path) as url:
        yield url


def test_outlets_versions_are_one_story_and_template_news_are_not(backend: str, httpserver: HTTPServer,
                                                                   tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    feeds, titles = serve_two_outlets(httpserver, tmp_path)
    out = run(backend, feeds, "ingest")
    assert "grouped into stories" in out
    story = partition(backend)
    for group, names in titles.items():
        assert len({story[t] for t in names}) == 1, f"{group}: {names} split"
    # every group is its own story: the two monthly sales reports (d021, d096: the same wording, other
    # figures) and the two Toyota-plant stories (d088, d089) included
    assert len({story[names[0]] for names in titles.values()}) == len(titles)
    engine = open_store(backend, migrate=False)
    try:
        with Session(engine) as s:
            two = s.scalars(select(Story).where(Story.articles == 2)).all()
            assert len(two) == sum(len(n) == 2 for n in titles.values())
            assert all(st.sources == 2 and st.title in {n[0] for n in titles.values()} for st in two)
            # the earliest article leads: outlet A published two hours before outlet B
            assert all(st.first_seen < st.last_seen for st in two)
    finally:
        engine.dispose()


def test_a_later_version_joins_the_story_and_a_week_later_one_does_not(backend: str, httpserver: HTTPServer,
                                                                       tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    komatsu = next(r for r in rewrites() if r["group"] == "d054")
    # the same news reworded by another outlet a day later, and again a week later (a new story by then)
    later = {**komatsu, "title": OUTLET_B["d054"][0], "text": OUTLET_B["d054"][1]}
    week = {**later, "title": "Komatsu закрыла завод в Ярославле (обзор недели)"}
    for path, item in (("/a.xml", items([komatsu], 0, "a")), ("/b.xml", items([later], 24, "b")),
                       ("/c.xml", items([week], 24 * 8, "c"))):
        httpserver.expect_request(path).respond_with_data(rss(item))
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "A", "url": httpserver.url_for("/a.xml")}])
    run(backend, feeds, "ingest")
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": n, "url": httpserver.url_for(f"/{n.lower()}.xml")}
                                                  for n in "ABC"])
    run(backend, feeds, "ingest")
    story = partition(backend)
    assert story[komatsu["title"]] == story[later["title"]]
    assert story[week["title"]] != story[komatsu["title"]]


def test_rebuild_gives_the_same_stories_and_a_lost_grouping_is_caught_up(backend: str, httpserver: HTTPServer,
                                                                         tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    feeds, _ = serve_two_outlets(httpserver, tmp_path)
    run(backend, feeds, "ingest")
    before = partition(backend)
    assert "articles grouped" in run(backend, feeds, "stories", "--rebuild")
    assert together(partition(backend)) == together(before)
    # a run killed between extraction and grouping leaves story_id NULL: the next one groups them
    forget_stories(backend)
    assert run(backend, feeds, "stories").startswith(f"{len(before)} articles grouped")
    again = partition(backend)
    assert all(v is not None for v in again.values())
    assert together(again) == together(before)


def test_queries_and_exports_count_stories(httpserver: HTTPServer, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    feeds, titles = serve_two_outlets(httpserver, tmp_path)
    run(url, feeds, "ingest")
    out = run(url, feeds, "query", "stories", "--since", "2026-03-01", "--until", "2026-03-10", "--format", "json")
    rows = json.loads(out)
    pairs = [r for r in rows if r["articles"] == 2]
    assert len(pairs) == sum(len(n) == 2 for n in titles.values()) and all(r["sources"] == 2 for r in pairs)
    repeated = json.loads(run(url, feeds, "query", "stories", "--since", "2026-03-01", "--min-sources", "2",
                              "--format", "json"))
    assert sorted(r["story"] for r in repeated) == sorted(r["story"] for r in pairs)
    loan = next(r for r in rows if "Итэлм" in r["title"])
    every_event = json.loads(run(url, feeds, "query", "events", "--company", "Итэлма", "--since", "2026-03-01",
                                 "--format", "json"))
    per_story = json.loads(run(url, feeds, "query", "events", "--company", "Итэлма", "--since", "2026-03-01",
                               "--per-story", "--format", "json"))
    pairs_all = [(e["type"], e["company"]) for e in every_event]
    pairs_once = [(e["type"], e["company"]) for e in per_story]
    assert pairs_all.count(("investment", "Итэлма")) == 2 and pairs_once.count(("investment", "Итэлма")) == 1
    assert sorted(set(pairs_all)) == sorted(pairs_once) and {e["story"] for e in per_story} == {loan["story"]}
    events = loan["events"].split("; ")
    assert loan["articles"] == 2 and "investment: Итэлма" in events
    assert len(events) == len(set(events))  # each (type, company) once per story, not once per outlet
    every = ("--since", "2026-03-01", "--limit", "1000", "--format", "json")  # no «rows cut» line
    by_articles = {r["key"]: r["articles"] for r in json.loads(run(url, feeds, "query", "companies", *every))}
    by_stories = json.loads(run(url, feeds, "query", "companies", "--count", "stories", *every))
    avtovaz = next(r for r in by_stories if r["key"] == "avtovaz")
    assert avtovaz["articles"] == by_articles["avtovaz"] and avtovaz["stories"] < avtovaz["articles"]
    run(url, feeds, "export", str(tmp_path / "a.csv"), "--table", "articles")
    with open(tmp_path / "a.csv", encoding="utf-8-sig") as fh:
        exported = list(csv.DictReader(fh))
    story = partition(url)
    assert all(int(r["story_id"]) == story[r["title"]] for r in exported)
    # the events sheet too: an analyst keeps one event per (story, type, company) in Excel
    run(url, feeds, "export", str(tmp_path / "e.csv"), "--table", "events")
    with open(tmp_path / "e.csv", encoding="utf-8-sig") as fh:
        events = list(csv.DictReader(fh))
    assert events and all(int(r["story_id"]) == story[r["title"]] for r in events)
    engine = open_store(url, migrate=False)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(DISTINCT story_id) FROM v_articles")).scalar() == len(titles)
            # an analyst's one event per story, type and company in SQL
            per_story = conn.execute(text("SELECT count(*) FROM (SELECT DISTINCT story_id, type, company_key "
                                          "FROM v_events) x")).scalar()
            assert 0 < per_story < conn.execute(text("SELECT count(*) FROM v_events")).scalar()
            ids = dict(conn.execute(text("SELECT title, id FROM articles")).all())
    finally:
        engine.dispose()
    # the web view's article page lists the other outlets' versions of its story
    import httpx

    from avtomon.db import open_readonly
    from avtomon.web.app import create_app
    from tests.serving import serving

    first, second = titles["d064"]
    readonly = open_readonly(url)
    try:
        with serving(create_app(readonly)) as base:
            page = httpx.get(f"{base}/article/{ids[first]}").text
            assert "Этот сюжет в других источниках (1)" in page and f'href="/article/{ids[second]}"' in page
            alone = httpx.get(f"{base}/article/{ids[titles['d013'][0]]}").text
            assert "в других источниках" not in alone
            # the dashboard's top stories: the three told by both outlets
            board = httpx.get(f"{base}/?until=2026-03-03&days=7").text
            assert "Главные сюжеты" in board and all(f'href="/article/{ids[n[0]]}"' in board
                                                      for n in titles.values() if len(n) == 2)
    finally:
        readonly.dispose()


def test_prune_recounts_stories(httpserver: HTTPServer, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    feeds, _ = serve_two_outlets(httpserver, tmp_path)
    run(url, feeds, "ingest")
    # outlet A's versions are two hours older than outlet B's: pruning between them halves the pairs
    run(url, feeds, "prune", "--older-than", (START + timedelta(hours=2)).date().isoformat())
    engine = open_store(url, migrate=False)
    try:
        with Session(engine) as s:
            counts = dict(s.execute(select(Story.id, Story.articles)).all())
            real = dict(s.execute(text("SELECT story_id, count(*) FROM articles GROUP BY story_id")).all())
    finally:
        engine.dispose()
    assert counts == {k: v for k, v in real.items() if k is not None}


def test_labelled_set_quality(tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    """The issue's bar: pairwise precision >= 0.95 and recall >= 0.90 on the labelled set."""
    gold = shared_data() / "gold" / "dev.jsonl"
    result = CliRunner().invoke(cli, ["stories", "--eval", str(LABELLED), "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("precision"))
    precision, recall = float(line.split()[1]), float(line.split()[3])
    assert precision >= 0.95 and recall >= 0.90, result.output
    missing = CliRunner().invoke(cli, ["stories", "--eval", str(LABELLED), "--gold", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "--gold" in missing.output


def test_figures_and_containment() -> None:
    assert figures("продано 56 148 машин, на 43,4% меньше; в 2023 году с 1 по 5 марта, КАМАЗ-54901") == {
        "56148", "43.4", "54901"}
    assert figures("Завод открыли в июне") == frozenset()
    # a day of the month is not a figure of the news; a number before other words is
    assert figures("с 1 января 2026 года, сообщили 10 декабря; 29 сентября, в 12 моделей, на 10 процентов") == {
        "12", "10"}
    # a lead of 20 words, 15 of them in a full text of 80: Jaccard 15/85, containment 0.75
    assert containment(15 / 85, 20, 80) == pytest.approx(0.75)


# two versions of one news (our writing): each names a different day (of the announcement, of the
# background), which must not count as figures that disagree
DATED_VERSIONS = [
    ("ГАЗ вернется к пятидневной рабочей неделе с 1 февраля",
     "Группа ГАЗ с 1 февраля возвращает сотрудников нижегородского автозавода к пятидневной рабочей неделе, "
     "сообщила 14 января пресс-служба компании. На четырехдневный график завод перешел осенью из-за снижения "
     "спроса на легкие коммерческие автомобили и грузовики."),
    ("Нижегородский автозавод ГАЗ с февраля вернется к пятидневке",
     "Автозавод ГАЗ в Нижнем Новгороде с 1 февраля вернется к пятидневной рабочей неделе, рассказали в "
     "пресс-службе группы. Четырехдневную рабочую неделю на предприятии ввели 2 сентября из-за снижения спроса "
     "на легкие коммерческие автомобили, 28 октября ее продлили до конца года."),
]


def test_days_of_the_month_do_not_keep_versions_apart(tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    labelled = tmp_path / "dated.jsonl"
    labelled.write_text("".join(json.dumps({"group": "gaz", "feed": f"outlet {n}", "published":
                                            f"2026-01-14T1{n}:00", "title": t, "text": x}, ensure_ascii=False) + "\n"
                                for n, (t, x) in enumerate(DATED_VERSIONS)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["stories", "--eval", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "pairs: 1 right, 0 wrongly joined, 0 missed" in result.output, result.output


def versions(url: str, when: list[str], made: dict[str, tuple[set[str], frozenset[str], datetime, tuple[str, ...]]]
             ) -> tuple[list[str], dict[str, int]]:
    """Store the versions `made` (name → its content lemmas, figures, publication time and company keys) as
    extracted articles with their prints, feed = name, in the groups of `when`, each grouped by a run of its
    own as successive ingests (and late arrivals) are; returns each run's summary line and each version's
    story."""
    from avtomon.pipeline.story_rollups import recount
    from avtomon.stories.evaluate import Labelled, store_items
    from avtomon.stories.grouping import Print, group_new
    from avtomon.stories.signature import minhash

    engine = open_store(url)
    lines = []
    try:
        for n, batch in enumerate(when):
            items = [Labelled(name, name, published, f"Версия {name}", "", companies=companies,
                              mark=Print(minhash(words), len(words), figs))
                     for name in batch for words, figs, published, companies in [made[name]]]
            with Session(engine) as s, s.begin():
                store_items(s, items, first=10 * n)
                recount(s)  # the story rollups extraction writes (each new article a story of its own)
            lines.append(group_new(engine).line())
        with Session(engine) as s:
            return lines, dict(s.execute(select(Article.feed, Article.story_id)).all())
    finally:
        engine.dispose()


def bridged(url: str, when: list[str]) -> list[str]:
    """Versions A, B, C of one news (word sets chosen so that A and B share 10 of 190 words, too few to join,
    and C shares 55 of 145 with each), published in that order; `when` says which are grouped after which:
    ["AB", "C"] groups A and B, then C. Returns each grouping's summary line."""
    words = [f"слово{i}" for i in range(200)]
    spans = {"A": (0, 100), "B": (90, 190), "C": (45, 145)}
    start = datetime(2026, 1, 12, 20, 0)  # B on the next UTC day: story rollup links
    made = {name: (set(words[slice(*span)]), frozenset(), start + timedelta(hours=5 * n), ("kamaz",))
            for n, (name, span) in enumerate(spans.items())}
    return versions(url, when, made)[0]


@pytest.mark.parametrize("when", [["AB", "C"], ["ABC"]], ids=["stored stories", "one chunk"])
def test_an_article_close_to_two_stories_makes_them_one(backend: str, when: list[str]) -> None:
    """A version close enough to two stories joins the closest and the two become one, whether they were
    stored by an earlier run or started in the same chunk: the older keeps its id, the story rollups stay
    exact. (Real sets: 7 of 24 missed pairs were such bridges; docs/stories.md.)"""
    from tests.test_story_rollups import from_scratch, stored

    lines = bridged(backend, when)
    assert lines[-1].endswith("1 stories merged into another" if len(when) == 2 else "1 new stories"), lines
    engine = open_store(backend)
    try:
        with Session(engine) as s:
            stories = s.scalars(select(Story)).all()
            assert len(stories) == 1, [(x.id, x.title, x.articles) for x in stories]
            story = stories[0]
            assert (story.articles, story.sources, story.title) == (3, 3, "Версия A")
            assert set(s.scalars(select(Article.story_id))) == {story.id}
            lead = s.scalar(select(Article.id).where(Article.title == "Версия A"))
            assert story.lead_article_id == lead
        assert stored(engine) == from_scratch(engine)
    finally:
        engine.dispose()


# versions of a statistics note: A; B three hours later in other words (Jaccard 0.18) with four of A's five
# figures; C a weekly review five days later in other words (0.14) with A's figures; D four days later in A's
# words without figures; E A's words and figures 13 days later (8 days after C); F three hours later, 0.18,
# two figures shared
FIGURES = ("1054711", "22.8", "82.7", "100.7", "56")
REPRINTS = {"A": (range(0, 100), FIGURES, 0), "B": (range(70, 170), (*FIGURES[:4], "12"), 3),
            "C": (range(75, 175), FIGURES, 5 * 24), "D": (range(0, 100), (), 4 * 24),
            "E": (range(0, 100), FIGURES, 13 * 24), "F": ((*range(0, 30), *range(300, 370)),
                                                         ("1054711", "22.8", "77", "78", "79"), 3)}


def group_prints(url: str, when: list[str]) -> dict[str, int]:
    """REPRINTS' versions grouped in the runs of `when`; each one's story."""
    made = {name: ({f"слово{i}" for i in span}, frozenset(figs), START + timedelta(hours=hours), ())
            for name, (span, figs, hours) in REPRINTS.items()}
    return versions(url, when, made)[1]


@pytest.mark.parametrize("when", [["ABCDEF"], ["C", "ABDEF"], ["A", "B", "C", "D", "E", "F"]],
                         ids=["one run", "the review first", "one run each"])
def test_versions_giving_the_same_figures_are_one_news_up_to_a_week_apart(backend: str, when: list[str]) -> None:
    """Outlets retell a statistics note in their own words and reprint it days later, keeping its figures
    (real prints: the ministry's October sales, 5 pairs below the bar, 2 six days apart; docs/stories.md)."""
    story = group_prints(backend, when)
    assert story["A"] == story["B"] == story["C"], story
    # no figures four days later, the same figures two weeks later, two shared figures: other news
    assert len({story["A"], story["D"], story["E"], story["F"]}) == 4, story


def test_same_figures() -> None:
    from avtomon.stories.grouping import Print
    from avtomon.stories.signature import minhash

    def mark(*figs: str) -> Print:
        return Print(minhash({"слово"}), 1, frozenset(figs))

    assert mark("10", "20", "1054711").same_figures(mark("10", "20", "1054711", "5.5"))
    assert not mark("10", "20").same_figures(mark("10", "20", "30"))  # three at least
    # two long statistics pieces sharing three of their 12 figures: chance, not one news (a third needed)
    twelve = [str(n) for n in range(10, 22)]
    assert not mark(*twelve).same_figures(mark(*twelve[:3], *[str(n) for n in range(40, 49)]))
    assert mark(*twelve).same_figures(mark(*twelve[:4], *[str(n) for n in range(40, 48)]))


def test_small_chunks_group_alike(httpserver: HTTPServer, tmp_path: Path, nlp,  # type: ignore[no-untyped-def]
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk boundaries (the window moving on, read in increments) change nothing."""
    from avtomon.stories import grouping

    url = f"sqlite:///{tmp_path / 'a.db'}"
    feeds, _ = serve_two_outlets(httpserver, tmp_path)
    run(url, feeds, "ingest")
    whole = partition(url)
    monkeypatch.setattr(grouping, "CHUNK", 2)
    engine = open_store(url, migrate=False)
    try:
        summary = grouping.rebuild(engine)
    finally:
        engine.dispose()
    assert summary.articles == len(whole)
    chunked = partition(url)
    assert together(chunked) == together(whole)


def test_articles_from_before_stories_get_their_prints(httpserver: HTTPServer, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    """An upgraded store: extracted articles with no print and no story are grouped by `avtomon stories`,
    which computes their prints once, into the same stories as at ingest."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    feeds, _ = serve_two_outlets(httpserver, tmp_path)
    run(url, feeds, "ingest")
    before = partition(url)
    forget_stories(url, prints=True)
    assert run(url, feeds, "stories").startswith(f"{len(before)} articles grouped")
    assert together(partition(url)) == together(before)
    engine = open_store(url, migrate=False)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM article_signatures")).scalar() == len(before)
    finally:
        engine.dispose()


def test_real_outlets_prints(nlp) -> None:  # type: ignore[no-untyped-def]
    """Real outlets' versions, kept as prints only (their texts may not be stored): precision 0.951 (one
    article joins the next day's related news) and recall 0.853 (reprints beyond 72 h without the same
    figures, rewrites below the bar; docs/stories.md) are what they are today and must not fall."""
    prints = LABELLED.with_name("real_prints.jsonl")
    result = CliRunner().invoke(cli, ["stories", "--eval", str(prints)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("precision"))
    precision, recall = float(line.split()[1]), float(line.split()[3])
    assert precision >= 0.95 and recall >= 0.85, result.output
    assert "75 articles in 41 labelled groups" in result.output


def test_different_real_news_stay_apart(tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    """Wrong joins on more real news than the labelled set's: factRuEval's 122 devset texts (politics,
    economy, sport, crime; many figures) and the 120 gold stories, each its own news, all within 61 hours
    (29 161 pairs). One pair is joined: the known ГТЛК / Уфа buses (one programme, two news)."""
    data = shared_data()
    start = datetime(2026, 3, 1)
    rows = []
    for n, path in enumerate(sorted((data / "factru2016" / "devset").glob("*.txt"))):
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        rows.append({"group": path.stem, "feed": f"outlet {n % 20}", "title": title[:200], "text": body or title,
                     "published": (start + timedelta(minutes=30 * n)).isoformat()})
    gold = data / "gold" / "dev.jsonl"
    for n, line in enumerate(gold.read_text(encoding="utf-8").splitlines()):
        story = json.loads(line)["id"]
        rows.append({"group": story, "feed": f"outlet {n % 20}", "gold": story,
                     "published": (start + timedelta(minutes=30 * n + 7)).isoformat()})
    assert len(rows) == 242
    labelled = tmp_path / "different.jsonl"
    labelled.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(cli, ["stories", "--eval", str(labelled), "--gold", str(gold), "--errors"])
    assert result.exit_code == 0, result.output
    assert "pairs: 0 right, 1 wrongly joined" in result.output and "ГТЛК" in result.output, result.output


def test_prints_of_a_labelled_set_score_as_its_texts(tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    """`stories --prints` keeps what grouping reads (print, companies, times, feeds) and no text: the
    prints of the labelled set are grouped exactly as its texts."""
    gold = shared_data() / "gold" / "dev.jsonl"
    out = tmp_path / "prints.jsonl"
    made = CliRunner().invoke(cli, ["stories", "--prints", str(LABELLED), str(out), "--gold", str(gold)])
    assert made.exit_code == 0 and "143 prints of 120 labelled groups" in made.output, made.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all("text" not in r and "title" not in r and len(bytes.fromhex(r["minhash"])) == 512 for r in rows)
    scores = [CliRunner().invoke(cli, ["stories", "--eval", str(path), "--gold", str(gold)]).output
              for path in (LABELLED, out)]
    assert "precision" in scores[0] and scores[0] == scores[1]
