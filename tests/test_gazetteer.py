"""The company gazetteer and the names found outside it, on the real natasha and pymorphy3 models."""

from collections import Counter
from pathlib import Path

import pytest

from avtomon.errors import ConfigError
from avtomon.extractors import resources
from avtomon.extractors.analyze import analyze_text, compose
from avtomon.extractors.overlay import merge_overlay
from avtomon.extractors.resources import COMPANY_KINDS, load_yaml

pytestmark = pytest.mark.usefixtures("nlp")


def companies(text: str, title: str = "") -> dict[str, str]:
    a = analyze_text(compose(title, text) if title else text, len(title))
    return {c.key: c.name for c in a.companies}


def test_gazetteer_covers_the_market() -> None:
    entries = load_yaml("companies.yaml")
    kinds = Counter(e["kind"] for e in entries)
    assert len(entries) - kinds["brand"] >= 600
    assert set(kinds) <= COMPANY_KINDS
    keys = {e["key"] for e in entries}
    assert len(keys) == len(entries)
    for e in entries:  # every parent and brand owner exists, every home region is an ISO code
        assert e.get("parent") in keys | {None} and e.get("owner") in keys | {None}, e
        assert e.get("region") is None or e["region"].startswith("RU-"), e
        assert (e["kind"] == "brand") == bool(e.get("owner")), e
    # every kind of maker of the taxonomy is there
    for kind in ("carmaker", "trucks", "buses", "special", "trailers", "engines", "transmissions", "electronics",
                 "seats", "lighting", "glass", "tires", "brakes", "plastics", "batteries", "electric_motors",
                 "charging", "dealer", "leasing"):
        assert kinds[kind] >= 1, kind


@pytest.mark.parametrize(
    ("text", "key", "name"),
    [
        ("Сотрудники Автотора ушли в отпуск.", "avtotor", "Автотор"),  # declension
        ("Заказ получил Ярославский моторный завод.", "avtodizel", "ЯМЗ"),  # a long name, the canonical short one
        ("Моторы ЯМЗ ставят на тягачи.", "avtodizel", "ЯМЗ"),  # an abbreviation
        ("Продажи Lada выросли на 5%.", "avtovaz", "АвтоВАЗ"),  # a brand counted is its owner
        ("Продажи «Лады» выросли на 5%.", "avtovaz", "АвтоВАЗ"),  # the brand in Cyrillic, declined, in quotes
        ("Компания «Соллерс» подписала договор.", "sollers", "Соллерс"),  # quotes
        ("Mazda вышла из СП Mazda Sollers Manufacturing Rus.", "mazda_sollers", "Мазда Соллерс"),  # a JV, not split
        ("ООО «Хендэ Мотор Мануфактуринг Рус» остановило завод.", "hmmr", "Хендэ Мотор Мануфактуринг Рус"),
        ("Тульский завод ХММР... Хавейл Мотор Мануфэкчуринг Рус нарастил выпуск.", "haval_rus",
         "Хавейл Мотор Мануфэкчуринг Рус"),
        ("Ярославский завод дизельной аппаратуры (ЯЗДА) нарастил выпуск.", "yazda", "ЯЗДА"),
        ("Сарапульский электрогенераторный завод выпустил партию стартеров.", "segz", "СЭГЗ"),
        ("ОАО «Руденск» поставит фары для «Газели».", "rudensk", "Руденск"),
        ("Липецкий «Моторинвест» собрал 10 тыс. машин.", "motorinvest", "Моторинвест"),
    ],
)
def test_name_forms(text: str, key: str, name: str) -> None:
    found = companies(text)
    assert found.get(key) == name, found


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Лада Петрова получила награду за роль.", "avtovaz"),  # a woman's name
        ("Открыли движение по мосту через Каму.", "kama"),  # the river
        ("Самой продаваемой моделью стала Lada Granta.", "avtovaz"),  # a model in a ranking
        ("Тольятти получил 20 автобусов ЛиАЗ.", "liaz"),  # goods
        ("Краны собирают на шасси КАМАЗ.", "kamaz"),  # goods
        ("На заводе возобновили выпуск машин под маркой «Москвич».", "moskvich"),  # a label
        ("Завод выпускал Hyundai Solaris и Kia Rio.", "kia"),  # models
    ],
)
def test_brands_as_goods_are_not_companies(text: str, absent: str) -> None:
    assert absent not in companies(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a descriptor and a quoted name: the name, as written (in apposition it is nominative)
        ("Завод «Автопласт-Урал» запустил линию бамперов.", "Автопласт-Урал"),
        ("ООО «Северные прицепы» нарастило выпуск полуприцепов.", "Северные прицепы"),
        ("Производитель «Ростехмаш» открыл в Ижевске цех по выпуску кузовов для самосвалов.", "Ростехмаш"),
        # a plant named by a place adjective, its bracketed abbreviation an alias
        ("Камский завод автоприцепов (КЗАП) в 2025 году нарастил выпуск полуприцепов на 20%.",
         "Камский завод автоприцепов"),
        # nationality adjectives are not part of the name
        ("Американская компания Ковалент Моторс построит в Калуге завод электромобилей.", "Ковалент Моторс"),
    ],
)
def test_unknown_companies_from_how_news_names_them(text: str, name: str) -> None:
    found = analyze_text(text).companies
    assert name in {c.name for c in found if not c.known}, [(c.name, c.known) for c in found]


def test_abbreviation_in_brackets_is_an_alias_not_a_company() -> None:
    a = analyze_text("Камский завод автоприцепов (КЗАП) в 2025 году нарастил выпуск полуприцепов на 20%. Продукция "
                     "КЗАП идёт на экспорт в Казахстан.")
    (hit,) = [c for c in a.companies if c.name == "Камский завод автоприцепов"]
    assert {m.text for m in hit.mentions} >= {"КЗАП"} and len(hit.mentions) >= 3
    assert "КЗАП" not in {c.name for c in a.companies}


def test_nominative_never_invents_a_lemma() -> None:
    a = analyze_text("Совместное производство с «Меттэм» запущено. Поставки «Лиотеха» выросли, а у «Лиотех» новый "
                     "директор.")
    names = {h.name for h in (*a.companies, *a.organizations)}
    assert "Меттэм" in names and "Лиотех" in names
    assert not {"Меттэма", "Лиотеха"} & names


@pytest.mark.parametrize(
    "text",
    [
        "Завод построят в индустриальном парке «Есипово» в Подмосковье.",
        "Резидентом индустриального парка «Узловая» стала новая компания. В «Узловой» уже работают 10 заводов.",
        "Болельщики собрались в Лужниках, а затем прошли маршем по Чертаново.",
        "Автобус остановился у станции метро «Славянский бульвар».",
    ],
)
def test_places_are_never_organisations(text: str) -> None:
    a = analyze_text(text)
    names = {h.name for h in (*a.companies, *a.organizations)}
    assert not names & {"Есипово", "Узловая", "Узловой", "Лужники", "Чертаново", "Славянский бульвар"}, names


def test_investor_is_a_company_only_where_it_owns_an_auto_business() -> None:
    deal = analyze_text("Холдинг S8 Capital купил шинный завод Continental в Калуге.")
    assert "s8_capital" in {c.key for c in deal.companies}
    other = analyze_text("Ростех провёл выставку вооружений в Дубае.")
    assert "rostec" in {o.key for o in other.organizations}


# ----------------------------------------------------------------------------- the user's companies.yaml

OVERLAY = """companies:
  - key: tolyatti_seats
    name: Тольяттинский завод сидений
    kind: seats
    aliases: [ТЗС]
    region: RU-SAM
  - key: kamaz
    aliases: [Камский автогигант]
  - key: tesla
    remove: true
"""


@pytest.fixture
def overlay(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "companies.yaml"
    path.write_text(OVERLAY, encoding="utf-8")
    resources.configure(path)
    yield path
    resources.configure(None)


def test_overlay_adds_extends_and_removes(overlay: Path) -> None:
    a = analyze_text("ТЗС начал поставки кресел на конвейер. Камский автогигант нарастил выпуск. Tesla молчит.")
    found = {c.key: [m.text for m in c.mentions] for c in a.companies}
    assert found.get("tolyatti_seats") == ["ТЗС"]
    assert "Камский автогигант" in found.get("kamaz", [])
    assert "tesla" not in {c.key for c in a.companies if c.known}  # natasha may still find the name


def test_overlay_changes_the_extractor_version(overlay: Path) -> None:
    from avtomon.extractors import EXTRACTOR_VERSION, extractor_version

    with_overlay = extractor_version()
    assert with_overlay.startswith(EXTRACTOR_VERSION + "+")
    overlay.write_text(OVERLAY + "  - key: new_one\n    name: Новая компания\n", encoding="utf-8")
    assert extractor_version() != with_overlay  # an edit makes `extract --reextract` redo the articles


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("companies:\n  - name: Без ключа\n", "needs a 'key'"),
        ("companies:\n  - key: new_one\n", "needs a name"),
        ("companies:\n  - key: x\n    name: X\n    kind: bakery\n", "kind: 'bakery' is not one of"),
        ("companies:\n  - key: x\n    name: X\n    aliases: ТЗС\n", "expected a list of names"),
        ("companies:\n  - key: x\n    name: X\n    parent: nobody\n", "no company with key 'nobody'"),
        ("companies:\n  - key: x\n    name: X\n    colour: red\n", "unknown field"),
        ("companies: [", "not valid YAML"),
    ],
)
def test_overlay_errors_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "companies.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        merge_overlay(load_yaml("companies.yaml"), path)
    assert str(path) in str(err.value)
