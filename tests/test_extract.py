"""Extraction into the store (SQLite file and PostgreSQL) after a real poll, and the NLP commands."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.extractors import EXTRACTOR_VERSION
from avtomon.extractors.analyze import compose
from avtomon.models import Article, Entity, Event, Mention

pytestmark = pytest.mark.usefixtures("nlp")
DEMO = Path(__file__).parent / "data" / "demo" / "feeds.yaml"


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def counts(db_url: str) -> dict[str, int]:
    engine = open_store(db_url)
    with Session(engine) as s:
        out = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
               for m in (Article, Entity, Mention, Event)}
    engine.dispose()
    return out


def test_ingest_extracts_everything_once(db_url: str) -> None:
    first = invoke("--db", db_url, "--feeds", str(DEMO), "ingest")
    assert first.exit_code == 0, first.output
    assert "15 new articles" in first.output and "15 articles extracted, 0 failed" in first.output
    after_first = counts(db_url)
    second = invoke("--db", db_url, "--feeds", str(DEMO), "--quiet", "ingest")
    assert second.output == ("6 feeds polled, 6 ok, 0 failed, 0 new articles; "
                             "0 articles extracted, 0 failed, 0 mentions, 0 events\n")
    assert counts(db_url) == after_first
    engine = open_store(db_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(Article.extract_status != "done")) == 0
        assert set(s.scalars(select(Article.extractor_version))) == {EXTRACTOR_VERSION}
        for mention in s.scalars(select(Mention)):
            article = s.get(Article, mention.article_id)
            assert compose(article.title, article.text)[mention.start_char : mention.end_char] == mention.text
        avtotor = s.scalars(select(Entity).where(Entity.kind == "company", Entity.key == "avtotor")).one()
        assert avtotor.name == "Автотор"
        launches = s.scalars(select(Event).where(Event.type == "launch", Event.company_id == avtotor.id)).all()
        assert "RU-KGD" in {e.region.key for e in launches if e.region}
        drom = s.scalars(select(Article).where(Article.url.like("%cordiant%"))).one()
        assert drom.relevant and drom.relevance > 0.5
    engine.dispose()


def test_reextract_replaces_results_atomically(db_url: str) -> None:
    invoke("--db", db_url, "--feeds", str(DEMO), "ingest")
    before = counts(db_url)
    engine = open_store(db_url)
    with Session(engine) as s, s.begin():
        s.execute(update(Article).values(extractor_version="0"))
    engine.dispose()
    assert "0 articles extracted" in invoke("--db", db_url, "extract").output  # not without --reextract
    out = invoke("--db", db_url, "extract", "--reextract", "--batch", "4")
    assert out.exit_code == 0 and "15 articles extracted" in out.output
    assert counts(db_url) == before  # replaced, not duplicated
    engine = open_store(db_url)
    with Session(engine) as s:
        assert set(s.scalars(select(Article.extractor_version))) == {EXTRACTOR_VERSION}
    engine.dispose()


def test_extract_limit_and_backlog(db_url: str) -> None:
    invoke("--db", db_url, "--feeds", str(DEMO), "poll")
    assert "3 articles extracted" in invoke("--db", db_url, "extract", "--limit", "3").output
    assert "12 articles extracted" in invoke("--db", db_url, "extract").output


def test_analyze_stdin_and_file(tmp_path: Path) -> None:
    text = "КАМАЗ запустил производство электробусов в Набережных Челнах."
    out = invoke("analyze", input=text)
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert data["companies"][0]["name"] == "КАМАЗ" and data["regions"][0]["key"] == "RU-TA"
    path = tmp_path / "news.txt"
    path.write_text(text, encoding="utf-8")
    compact = invoke("analyze", str(path), "--compact")
    assert json.loads(compact.output) == data and len(compact.output.strip().splitlines()) == 1


def test_analyze_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [{"id": "x1", "title": "Автотор открыл завод", "text": "Завод в Калининграде."},
            {"id": 2, "text": "Погода в Москве."}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = invoke("analyze", "--jsonl", str(path))
    lines = [json.loads(x) for x in out.output.splitlines()]
    assert [x["id"] for x in lines] == ["x1", 2]
    assert lines[0]["companies"][0]["mentions"][0] == {"start": 0, "end": 7, "text": "Автотор"}
    assert lines[0]["regions"][0]["key"] == "RU-KGD" and not lines[1]["relevant"]


def test_analyze_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "cp1251.txt"
    bad.write_bytes("КАМАЗ".encode("cp1251"))
    res = CliRunner().invoke(cli, ["analyze", str(bad)])
    assert res.exit_code == 2 and "not UTF-8" in res.output and "iconv" in res.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok"}\n{oops\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["analyze", "--jsonl", str(broken)])
    assert res.exit_code == 2 and "broken.jsonl:2: not valid JSON" in res.output


def test_eval_command(tmp_path: Path) -> None:
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps({"id": "1", "text": "КАМАЗ открыл завод в Татарстане.", "companies": [["КАМАЗ"]],
                                "org_other": [], "regions": ["RU-TA"], "categories": [],
                                "events": [["launch", "КАМАЗ"]]}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = invoke("eval", str(gold), "--format", "csv")
    assert "companies,1,0,0,1.0,1.0,1.0" in out.output
    assert "regions,1,0,0,1.0,1.0,1.0" in out.output
    assert "events,1,0,0,1.0,1.0,1.0" in out.output
