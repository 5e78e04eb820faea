from pathlib import Path

import pytest
from click.testing import CliRunner

from avtomon.cli import cli
from avtomon.errors import ConfigError
from avtomon.pipeline.config import load_feeds, parse_duration
from tests.conftest import write_feeds

ROOT = Path(__file__).parent.parent


def test_project_feeds_yaml_is_valid_and_komtrans_first() -> None:
    config = load_feeds(ROOT / "feeds.yaml")
    assert len(config.feeds) >= 15
    assert config.feeds[0].name == "Комтранс"
    assert all(f.url.startswith("https://") for f in config.feeds)
    assert all(f.homepage and f.tags for f in config.feeds)


def test_defaults_and_relative_path(tmp_path: Path) -> None:
    (tmp_path / "local.xml").write_text("<rss/>")
    path = write_feeds(tmp_path / "feeds.yaml", [{"name": "Локальная", "url": "local.xml"}])
    config = load_feeds(path)
    feed = config.feeds[0]
    assert feed.url == (tmp_path / "local.xml").as_uri()
    assert feed.enabled and feed.tags == () and feed.interval is None and feed.fulltext == "auto"
    assert config.settings.concurrency == 16 and config.settings.timeout == 20


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        ([{"name": "A", "url": "https://a.ru/rss"}, {"name": "B", "url": "https://b.ru/rss"},
          {"name": "C", "url": "https://c.ru/rss"}, {"name": "D", "url": "ftp://d.ru/rss"}],
         "feeds[3].url: not an http(s) or file URL"),
        ([{"url": "https://a.ru/rss"}], "feeds[0].name: required"),
        ([{"name": "A"}], "feeds[0].url: required"),
        ([{"name": "A", "url": "https://a.ru/rss", "enabled": "да"}], "feeds[0].enabled: expected true or false"),
        ([{"name": "A", "url": "https://a.ru/rss", "tags": "auto"}], "feeds[0].tags: expected a list"),
        ([{"name": "A", "url": "https://a.ru/rss", "interval": "скоро"}], "feeds[0].interval: expected a duration"),
        ([{"name": "A", "url": "https://a.ru/rss", "fulltext": "maybe"}], "feeds[0].fulltext: expected one of"),
        ([{"name": "A", "url": "https://a.ru/rss", "colour": "red"}], "feeds[0].colour: unknown field"),
        ([{"name": "A", "url": "https://a.ru/rss"}, {"name": "A", "url": "https://b.ru/rss"}],
         "feeds[1].name: duplicate name 'A' (also feeds[0])"),
        (["https://a.ru/rss"], "feeds[0]: expected a mapping"),
    ],
)
def test_invalid_feed_names_feed_and_field(tmp_path: Path, feeds: list, message: str) -> None:
    path = write_feeds(tmp_path / "feeds.yaml", feeds)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        load_feeds(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: [", "not valid YAML"),
        ("- a\n- b\n", "must be a mapping with a 'feeds:' list"),
        ("settings:\n  concurrency: 0\nfeeds: []\n", "settings.concurrency: expected a positive int"),
        ("settings:\n  speed: 3\nfeeds: []\n", "settings.speed: unknown setting"),
    ],
)
def test_invalid_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_feeds(path)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--feeds FILE or set AVTOMON_FEEDS"):
        load_feeds(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("value", "seconds"), [(15, 900), ("15m", 900), ("2h", 7200), ("1d", 86400), ("30s", 30)])
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value, "x") == seconds


def test_cli_config_error_exits_2(tmp_path: Path) -> None:
    path = write_feeds(tmp_path / "feeds.yaml", [{"name": "A", "url": "gopher://a"}])
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path}/x.db", "--feeds", str(path), "poll"])
    assert result.exit_code == 2
    assert "feeds[0].url: not an http(s) or file URL" in result.output


def test_cli_env_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_feeds(tmp_path / "mine.yaml", [{"name": "A", "url": "gopher://a"}])
    monkeypatch.setenv("AVTOMON_FEEDS", str(path))
    monkeypatch.setenv("AVTOMON_DB", f"sqlite:///{tmp_path}/x.db")
    result = CliRunner().invoke(cli, ["poll"])
    assert result.exit_code == 2 and "mine.yaml" in result.output
