"""Shared by the build_*.py scripts: one gold record per `add`, written as JSON Lines (DESIGN.md format)."""

import json
from pathlib import Path


class GoldFile:
    def __init__(self) -> None:
        self.records: list[dict] = []

    def add(self, id, title, text, companies=(), org_other=(), regions=(), categories=(), events=(), relevant=True):
        self.records.append({
            "id": id, "title": title, "text": text, "companies": [list(c) for c in companies],
            "org_other": [list(o) for o in org_other], "regions": list(regions), "categories": list(categories),
            "events": [list(e) for e in events], "relevant": relevant})

    def write(self, path: Path) -> None:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records), encoding="utf-8")
        print(len(self.records), "texts")
