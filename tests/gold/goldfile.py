"""Shared by the build_*.py scripts: one gold record per `add`, written as JSON Lines (DESIGN.md format).

The sets were written before `../shared/data/ANNOTATION.md` became the contract (issue 11). Where its
rules differ mechanically from the conventions the texts were annotated with, the records are
converted here, by the hand-written tables below (never by the extractors' own code):

- a brand is the company that owns it when it acts or is counted («Lada» → АвтоВАЗ, «Sitrak» →
  Sinotruk): the owner's name leads the group, the brand stays an acceptable name, and events of the
  brand are the owner's;
- a brand named only as goods («для автомобилей Lada», «грузовики «Урал»») is not a company;
- subsidiaries, joint ventures and owners named as owners are companies of their own (OVERRIDES);
- renamed companies accept their new name too (ALIASES).

Categories and events keep their old conventions (every product named is a category; events by the old
attribution rules): tests/test_accuracy.py scores category mentions and floors events on these sets,
and holds the contract's figures on the development set instead.
"""

import json
from pathlib import Path

BRAND_OWNERS = {"Lada": "АвтоВАЗ", "Sitrak": "Sinotruk", "Howo": "Sinotruk", "Tenet": "АГР", "Exeed": "Chery",
                "Газель": "Группа ГАЗ"}
# per text: companies the text names only as goods under the contract
GOODS = {
    "a07": ["Газель"], "a39": ["КАМАЗ"], "h03": ["Урал", "ПАЗ"], "h16": ["Газель"],
    "h17": ["Lada", "Москвич"], "l02": ["УАЗ"], "t02": ["Lada"], "h06": ["Tenet"], "u09": ["Tenet"],
    "f12": ["Lada"], "a35": ["Lada"], "h21": ["Lada"],
}
# per text: fields replaced because the contract decides differently (JVs, subsidiaries, owners)
OVERRIDES = {
    "a03": {"companies": [["Haval", "Хавейл"], ["Хавейл Мотор Рус", "Haval Motor Rus"]],
            "events": [["investment", "Haval"], ["investment", "Хавейл Мотор Рус"], ["localization", "Haval"],
                       ["localization", "Хавейл Мотор Рус"]]},
    "a27": {"companies": [["Соллерс Форд", "Ford Sollers", "Форд Соллерс"], ["Соллерс", "Sollers"]],
            "events": [["deal", "Соллерс"], ["deal", "Соллерс Форд"]]},
    "f05": {"companies": [["Нижнекамскшина", "Kama Tyres"], ["Татнефть"]], "org_other": []},
    "f11": {"companies": [["ЧТЗ", "Челябинский тракторный завод", "ЧТЗ-Уралтрак"], ["Ростех"]], "org_other": []},
}
ALIASES = {"Белджи": ["Belgee"], "Петербургская биржа": ["СПБ Биржа"]}


def _convert(record: dict) -> dict:
    rid = record["id"]
    goods = set(GOODS.get(rid, ()))
    groups = [g for g in record["companies"] if g[0] not in goods]
    events = [e for e in record["events"] if e[1] not in goods]
    names = {g[0] for g in groups}
    out: list[list[str]] = []
    for group in groups:
        owner = BRAND_OWNERS.get(group[0])
        if owner is None:
            out.append(group)
            continue
        target = next((g for g in out if g[0] == owner), None)
        if target is None and owner in names:
            target = next(g for g in groups if g[0] == owner)
        if target is not None:
            target.extend(n for n in group if n not in target)
        else:
            out.append([owner, *group])
    events = [[t, BRAND_OWNERS.get(c, c)] for t, c in events]
    record = {**record, "companies": out, "events": [list(e) for e in dict.fromkeys(map(tuple, events))]}
    for field in ("companies", "org_other"):
        record[field] = [g + [a for a in ALIASES.get(g[0], ()) if a not in g] for g in record[field]]
    return {**record, **OVERRIDES.get(rid, {})}


class GoldFile:
    def __init__(self) -> None:
        self.records: list[dict] = []

    def add(self, id, title, text, companies=(), org_other=(), regions=(), categories=(), events=(), relevant=True):
        self.records.append(_convert({
            "id": id, "title": title, "text": text, "companies": [list(c) for c in companies],
            "org_other": [list(o) for o in org_other], "regions": list(regions), "categories": list(categories),
            "events": [list(e) for e in events], "relevant": relevant}))

    def write(self, path: Path) -> None:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records), encoding="utf-8")
        print(len(self.records), "texts")
