"""`avtomon digest`: the stories of a period grouped by watch, as Markdown, HTML or XLSX (or by email).

A story is under every watch it matches (all its articles are read with the watch's filters); without
watches, one section holds every story. Companies, events once per (type, company), sources, links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from avtomon.alerts.config import Watch
from avtomon.alerts.matching import matching_stories
from avtomon.labels import plural
from avtomon.pipeline.query import describe_stories

EVERYTHING = Watch(name="Все сюжеты")


@dataclass
class Section:
    watch: str
    stories: list[dict]


def build(engine: Engine, watches: list[Watch], since: datetime, until: datetime | None = None) -> list[Section]:
    """One section per watch: its stories first seen in the period, most articles first."""
    sections = []
    with Session(engine) as session:
        for watch in watches or [EVERYTHING]:
            found = matching_stories(session, watch, since, until)
            described = describe_stories(session, list(found))
            ordered = sorted(described.values(), key=lambda d: (-d["articles"], d["first_seen"], d["story_id"]))
            sections.append(Section(watch.name, ordered))
    return sections


def _md(text: str) -> str:
    """Feed text inside Markdown: no link brackets, emphasis or raw HTML of its own."""
    for char in "\\[]*_`":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _counts(story: dict) -> str:
    return (f"{plural(story['articles'], 'статья', 'статьи', 'статей')}, "
            f"{plural(len(story['sources']), 'источник', 'источника', 'источников')}")


def _events(story: dict) -> str:
    return ", ".join(e["type"] + (f" ({e['company']})" if e["company"] else "") for e in story["events"])


def markdown(sections: list[Section], since: datetime) -> str:
    lines = [f"# avtomon: сюжеты с {since:%Y-%m-%d %H:%M} UTC", ""]
    for section in sections:
        lines += [f"## {_md(section.watch)} ({len(section.stories)})", ""]
        if not section.stories:
            lines += ["Нет новых сюжетов.", ""]
        for st in section.stories:
            url = (st["url"] or "").replace(")", "%29").replace(" ", "%20")
            title = f"[{_md(st['title'])}]({url})" if url else _md(st["title"])
            lines.append(f"- **{title}** — {_counts(st)} ({_md(', '.join(st['sources']))})")
            if st["companies"]:
                lines.append(f"  - компании: {_md(', '.join(st['companies']))}")
            if st["events"]:
                lines.append(f"  - события: {_md(_events(st))}")
        lines.append("")
    return "\n".join(lines)


def html(sections: list[Section], since: datetime) -> str:
    parts = [f"<html><head><meta charset='utf-8'><title>avtomon digest</title></head><body>"
             f"<h1>avtomon: сюжеты с {since:%Y-%m-%d %H:%M} UTC</h1>"]
    for section in sections:
        parts.append(f"<h2>{escape(section.watch)} ({len(section.stories)})</h2><ul>")
        for st in section.stories:
            title = escape(st["title"])
            link = f'<a href="{escape(st["url"])}">{title}</a>' if st["url"] else title
            parts.append(f"<li><b>{link}</b> — {_counts(st)}: {escape(', '.join(st['sources']))}"
                         + (f"<br>компании: {escape(', '.join(st['companies']))}" if st["companies"] else "")
                         + (f"<br>события: {escape(_events(st))}" if st["events"] else "") + "</li>")
        parts.append("</ul>" if section.stories else "</ul><p>Нет новых сюжетов.</p>")
    parts.append("</body></html>")
    return "".join(parts)


def xlsx(sections: list[Section], path: Path) -> None:
    """One sheet row per (watch, story): the export's writer, so formula-looking titles stay text."""
    from avtomon.pipeline.export import Sheet, write_xlsx

    rows = ([s.watch, st["story_id"], datetime.fromisoformat(st["first_seen"].rstrip("Z")), st["title"], st["url"],
             st["articles"], ", ".join(st["sources"]), ", ".join(st["companies"]), _events(st)]
            for s in sections for st in s.stories)
    write_xlsx(path, {"digest": Sheet("Digest", ["watch", "story_id", "first_seen", "title", "url", "articles",
                                                 "sources", "companies", "events"], rows)})
