"""Extractors on the real natasha and pymorphy3 models: tables of (text, expected)."""

import json

import pytest

from avtomon.extractors.analyze import analyze_text, compose
from tests.conftest import shared_data

pytestmark = pytest.mark.usefixtures("nlp")


def keys(items: list) -> set[str]:
    return {i.key for i in items}


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("КАМАЗ увеличил выпуск.", "kamaz"),
        ("Акции КАМАЗа выросли.", "kamaz"),
        ("Соглашение с КАМАЗом подписано.", "kamaz"),
        ("На площадке «Автотора» запущена линия.", "avtotor"),
        ("Автотор открыл завод.", "avtotor"),  # natasha tags it PER: the gazetteer wins
        ("Сотрудники АвтоВАЗа ушли в отпуск.", "avtovaz"),
        ("ПАО «КАМАЗ» отчиталось.", "kamaz"),
        ("Группа ГАЗ представила новинку.", "gaz"),
        ("Руководство Горьковского автозавода сообщило.", "gaz_plant"),  # the plant, beside the group «ГАЗ»
        ("В Haval Motor Rus объявили о старте.", "haval_motor_rus"),  # the Russian distributor, own entry
        ("Выпуск Хавейл растёт.", "haval"),
        ("Компания «Соллерс» подписала договор.", "sollers"),
        ("Завод «Москвич» в Москве возобновил работу.", "moskvich"),
        ("Ликинский автобусный завод поставит машины.", "liaz"),
        ("Продукция пойдёт на конвейеры ГАЗа и КАМАЗа.", "gaz"),  # a declined abbreviation
        ("Борский стекольный завод начал выпуск лобовых стёкол.", "Борский стекольный завод"),  # unknown, by cues
    ],
)
def test_company_in_any_case_form(text: str, company: str) -> None:
    found = analyze_text(text).companies
    assert company in keys(found) | {c.name for c in found}


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Цены на газ в Европе выросли.", "gaz"),  # «газ» the fuel, not ГАЗ
        ("Москвичи стали чаще ездить на метро.", "moskvich"),  # residents, not the brand
        ("Мы видим рост спроса, сказал он нам.", "nami"),  # «НАМИ» only in capitals
        ("Лада Петрова получила награду за роль.", "lada"),  # a woman's name
        ("На Урале выпал первый снег.", "ural"),  # the mountains, not the truck maker
        ("Моторы будут ставить на грузовики «Урал» и автобусы ПАЗ.", "paz"),  # brands named as goods
        ("Открыли движение по мосту через Каму у Набережных Челнов.", "kama"),  # the river, not the company
    ],
)
def test_words_that_only_look_like_companies(text: str, absent: str) -> None:
    assert absent not in keys(analyze_text(text).companies)


@pytest.mark.parametrize(
    "text",
    [
        "Меры руководства позволяют предприятию «чувствовать себя увереннее других игроков рынка», "
        "говорится в сообщении «КАМАЗа».",
        "Завод «работает в штатном режиме и выполняет все обязательства», заявили в пресс-службе.",
    ],
)
def test_quoted_words_after_a_company_word_are_not_a_company(text: str) -> None:
    """Words in quotes after «предприятие», «завод»: a quotation, not a name (names are capitalised)."""
    found = analyze_text(text)
    names = {c.name for c in found.companies} | {o.name for o in found.organizations}
    assert not any(n[:1].islower() and len(n.split()) >= 3 for n in names), names


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Завод построят в Калининградской области.", "RU-KGD"),
        ("Калининградский завод нарастил выпуск.", "RU-KGD"),
        ("АвтоВАЗ в Тольятти ушёл в отпуск.", "RU-SAM"),
        ("Сборка идёт в Набережных Челнах.", "RU-TA"),
        ("Татарстан привлёк инвестора.", "RU-TA"),
        ("В Удмуртии открыли цех.", "RU-UD"),
        ("Подмосковный завод запустил линию.", "RU-MOS"),
        ("Склад открыт в Подмосковье.", "RU-MOS"),
        ("В Петербурге открыли дилерский центр.", "RU-SPE"),
        ("Производство в Шушарах возобновлено.", "RU-SPE"),
        ("Завод в Миассе выпустил грузовик.", "RU-CHE"),
        ("Автобусы делают в Павлове.", "RU-NIZ"),
        ("Моторы выпускают в Заволжье.", "RU-NIZ"),
        ("ЛиАЗ работает в Ликино-Дулёве.", "RU-MOS"),
        ("Новый цех во Всеволожске.", "RU-LEN"),
        ("Завод в Елабуге расширят.", "RU-TA"),
        ("Орёл получил новые автобусы.", None),  # sentence-initial «Орёл»: the word, not the city
        ("Автобусы поступили в Орёл и Курск.", "RU-ORL"),
        ("Челнинский завод выпустил тягач.", "RU-TA"),
        ("В Москве открыли салон.", "RU-MOW"),
    ],
)
def test_regions(text: str, region: str | None) -> None:
    found = keys(analyze_text(text).regions)
    if region is None:
        assert "RU-ORL" not in found
    else:
        assert region in found


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Пробка растянулась по Ленинградскому шоссе.", "RU-LEN"),
        ("Поезд прибыл на Казанский вокзал.", "RU-TA"),
        ("Автобусы выйдут на маршруты в Приморском и Выборгском районах Петербурга.", "RU-PRI"),
        ("Офис переехал на Нижегородскую улицу.", "RU-NIZ"),
    ],
)
def test_adjective_naming_a_street_or_district_is_not_a_region(text: str, absent: str) -> None:
    assert absent not in keys(analyze_text(text).regions)


def test_moskvich_is_not_moscow() -> None:
    a = analyze_text("«Москвич» увеличил продажи.")
    assert "moskvich" in keys(a.companies) and "RU-MOW" not in keys(a.regions)


def test_city_named_like_a_person_is_not_a_region() -> None:
    a = analyze_text("Президент Владимир Путин посетил выставку.")
    assert "RU-VLA" not in keys(a.regions)


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("Завод выпускает выхлопные системы.", {"exhaust_systems"}),
        ("Освоен выпуск систем выпуска отработавших газов.", {"exhaust_systems"}),
        ("Линия тяговых электродвигателей заработала.", {"electric_motors"}),
        ("Москва закупит электробусы.", {"buses", "electric_vehicles"}),
        ("Шинный завод выпускает шины.", {"tires"}),
        ("Производство коробок передач и ведущих мостов.", {"transmissions"}),
        ("Строим зарядные станции.", {"charging"}),
        ("Сварка и окраска кузовов локализованы.", {"body_parts"}),
        ("Завод выпускает блоки управления двигателем и кузовную электронику.", {"electronics"}),
        ("Завод ждёт поставки двигателей ЯМЗ и мостов.", {"transmissions"}),  # axles
        ("Холдинг приступил к производству электрических фургонов.", {"electric_vehicles", "lcv"}),
        ("Локализуют выпуск тяговых электродвигателей и инверторов.", {"electric_motors", "electronics"}),
        ("Рынок лёгких коммерческих автомобилей вырос.", {"lcv"}),
    ],
)
def test_categories(text: str, categories: set[str]) -> None:
    a = analyze_text(text)
    assert categories <= keys(a.categories) | keys(a.passing)  # every product named is a mention


@pytest.mark.parametrize(
    ("text", "about", "passing"),
    [
        # a battery plant: its cells' uses are named in passing (data/ANNOTATION.md)
        ("«Энертэк» запустил производство тяговых батарей. Завод в Подмосковье выпускает тяговые батареи "
         "и аккумуляторные модули для электробусов и погрузчиков.", {"batteries"}, {"buses", "special_machinery"}),
        # a carmaker's news about its «машины» is about passenger cars even without the word «легковой»
        ("Toyota закрывает завод в Петербурге. Завод выпускал до 100 тыс. машин в год, в основном Camry и RAV4; "
         "сотрудники получат выплаты.", {"passenger_cars"}, set()),
    ],
)
def test_categories_by_salience(text: str, about: set[str], passing: set[str]) -> None:
    a = analyze_text(text)
    assert about <= keys(a.categories), (keys(a.categories), keys(a.passing))
    assert passing <= keys(a.passing) and not passing & keys(a.categories)


@pytest.mark.parametrize("text", ["Открыли движение по мосту через Каму.", "Крымский мост закрыли на ремонт."])
def test_a_bridge_is_not_an_axle(text: str) -> None:
    assert "transmissions" not in keys(analyze_text(text).categories)


def test_unknown_maker_counts_towards_relevance() -> None:
    a = analyze_text("В Липецкой области построят завод автокомпонентов. Китайская компания Синьхуа Моторс построит в "
                     "особой экономической зоне «Липецк» завод по выпуску топливной аппаратуры и "
                     "турбокомпрессоров. Инвестиции в проект составят 4,5 млрд рублей.")
    assert any(not c.known for c in a.companies) and a.relevant


def test_special_machinery_market_is_relevant() -> None:
    a = analyze_text("Рынок спецтехники упал на четверть. Продажи новой спецтехники в России сократились на 25%. "
                     "Сильнее всего упал спрос на экскаваторы и погрузчики.")
    assert a.relevant


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Об этом рассказал Владимир Щербаков.", "Владимир Щербаков"),
        ("Слова Владимира Щербакова привёл «Коммерсантъ».", "Владимир Щербаков"),
        ("Интервью Анны Ивановой вышло вчера.", "Анна Иванова"),
    ],
)
def test_persons_in_nominative(text: str, name: str) -> None:
    assert name in {p.name for p in analyze_text(text).persons}


def test_unknown_company_and_organisation_from_context() -> None:
    a = analyze_text("Завод «Ромашка-Авто» начал выпуск фургонов. Министерство транспорта одобрило проект.")
    assert any(c.name.startswith("Ромашка") and not c.known for c in a.companies)
    assert any(o.org_kind == "government" for o in a.organizations)


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("Компания «Итэлма» открыла в Москве новый завод электронных блоков управления.", "Итэлма"),
        ("Тольяттинская компания «Автоком» запустила линию литья пластиковых бамперов.", "Автоком"),
    ],
)
def test_unknown_organisation_making_things_is_a_company(text: str, company: str) -> None:
    assert company in {c.name for c in analyze_text(text).companies}


def test_unknown_company_found_again_where_natasha_missed_it() -> None:
    title = "«Транспневматика» откроет линию тормозных систем для автобусов"
    a = analyze_text(compose(title, "Тверская «Транспневматика» к концу года откроет линию по выпуску тормозных "
                                    "систем для автобусов."), len(title))
    (hit,) = [c for c in a.companies if c.name == "Транспневматика"]
    assert len(hit.mentions) == 2 and not a.organizations


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a quoted name after «компании» keeps its form («Сосен» is not the genitive of «сосны»)
        ("Завод компании «Сосен Моторс» нарастил выпуск грузовиков.", "Сосен Моторс"),
        ("Выставку открыла Ярославская торговая палата.", "Ярославская торговая палата"),
        ("Челябинский «Трактор» уступил уфимскому «Салавату Юлаеву» в матче КХЛ.", "Салават Юлаев"),
        ("Челябинский «Трактор» уступил уфимскому «Салавату Юлаеву» в матче КХЛ.", "Трактор"),
    ],
)
def test_organisation_names_in_the_nominative(text: str, name: str) -> None:
    a = analyze_text(text)
    assert name in {h.name for h in (*a.companies, *a.organizations)}


def test_short_name_in_the_title_is_the_full_name_of_the_text() -> None:
    title = "Театр оперы и балета представил премьеру сезона"
    a = analyze_text(compose(title, "Новосибирский театр оперы и балета представил премьеру сезона."), len(title))
    assert [o.name for o in a.organizations] == ["Новосибирский театр оперы и балета"]
    assert len(a.organizations[0].mentions) == 2


def test_production_words_inside_another_name_do_not_make_a_company() -> None:
    a = analyze_text("Ликинский автобусный завод выиграл контракт на поставку электробусов для оператора "
                     "«Мосгортранс».")
    assert "Мосгортранс" in {o.name for o in a.organizations}
    assert "Мосгортранс" not in {c.name for c in a.companies}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Как сообщили в пресс-службе мэрии Москвы, линия заработает в мае.", "Мэрия Москвы"),
        ("Проект поддержала администрация Тольятти.", "Администрация Тольятти"),
        ("Соглашение подписало правительство Нижегородской области.", "Правительство Нижегородской области"),
    ],
)
def test_local_government_in_lower_case(text: str, name: str) -> None:
    a = analyze_text(text)
    assert (name, "government") in {(o.name, o.org_kind) for o in a.organizations}
    assert a.regions  # the place still counts as a region


@pytest.mark.parametrize(
    ("text", "mention", "name"),
    [
        ("Сотрудники МЧС России прибыли на место.", "МЧС России", None),
        ("Решение приняла Генеральная прокуратура ОАЭ.", "Генеральная прокуратура ОАЭ", None),
        ("Тариф согласовало ОАО «ВымпелКом».", "ВымпелКом", "ВымпелКом"),
        ("ЕС ввёл пошлины на китайские электромобили.", "ЕС", "Евросоюз"),
        ("Санкции Европейского союза ударили по поставкам.", "Европейского союза", "Евросоюз"),
    ],
)
def test_organisation_mentions(text: str, mention: str, name: str | None) -> None:
    a = analyze_text(text)
    hits = {m.text: h.name for h in (*a.companies, *a.organizations) for m in h.mentions}
    assert mention in hits, hits
    assert name is None or hits[mention] == name


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Павловский автобусный завод прекратил выпуск автобусов «Вектор Next».", "Вектор Next"),
        ("Группа компаний «Автодом» купила дилерский центр.", "Группа компаний"),
        ("Совет директоров Банка России сохранил ставку.", "Совет директоров"),
        ("Нижегородская компания «Авиатор» ввела в эксплуатацию линию.", "Нижегородская компания"),
        ("Новосибирский театр оперы и балета представил балет «Спартак».", "Спартак"),  # a work, not a club
        ("Автосборочный завод в Калуге возобновил работу.", "Автосборочный завод"),
    ],
)
def test_model_names_and_descriptors_are_not_organisations(text: str, absent: str) -> None:
    a = analyze_text(text)
    assert absent not in {h.name for h in (*a.companies, *a.organizations)}


@pytest.mark.parametrize(
    ("text", "event", "company"),
    [
        ("КАМАЗ запустил производство электробусов.", "launch", "kamaz"),
        ("АвтоВАЗ приостановил конвейер из-за простоя.", "suspension", "avtovaz"),
        ("Haval инвестирует 10 млрд рублей в завод.", "investment", "haval"),
        ("Соллерс подписал соглашение с Isuzu.", "partnership", "sollers"),
        ("Tenet начал продажи кроссовера.", "model_launch", "agr"),  # a brand counts as its owner
        ("Mercedes-Benz продал завод группе «Автодом».", "deal", "mercedes"),
        ("Автотор повысил уровень локализации.", "localization", "avtotor"),
        ("Продажи Lada в марте выросли на 5%.", "sales", "avtovaz"),
        ("Лидирует ПАЗ, далее следуют ЛиАЗ и Yutong.", "sales", "liaz"),
        ("Самой популярной маркой осталась Lada, следом идут Toyota и Hyundai.", "sales", "toyota"),
        ("Chery в октябре нарастила экспорт автомобилей на 30%.", "sales", "chery"),
        ("ЛиАЗ передал Петербургу 100 новых электробусов.", "sales", "liaz"),
        ("Лидером сегмента остаётся Sitrak, за ним следуют КАМАЗ и Howo.", "sales", "kamaz"),
        ("В прошлом году КАМАЗ реализовал около 35 тыс. грузовиков и сохранил лидерство на рынке, хотя его доля "
         "снизилась из-за роста поставок китайских Sitrak и Shacman.", "sales", "kamaz"),
        ("Чаще всего покупали Toyota и Lada.", "sales", "toyota"),
        ("ЛиАЗ начнёт ставить российские батареи. Ранее батареи для машин закупались в Китае.", "localization",
         "liaz"),
    ],
)
def test_events(text: str, event: str, company: str) -> None:
    events = analyze_text(text).events
    assert (event, company) in {(e.type, e.company_key) for e in events}


@pytest.mark.parametrize(
    ("text", "event", "company", "not_company"),
    [
        # a company after a preposition is not the one acting
        ("Компания «Соллерс» подписала соглашение с японской Isuzu о расширении локализации грузовиков.",
         "localization", "sollers", None),
        # an agreement names every party
        ("«Соллерс» и Isuzu договорились о локализации грузовиков.", "partnership", "isuzu", None),
        # a sentence without a company goes on about the company of the event before it
        ("Компания «Автокомпоненты» запустила в Самаре линию литья бамперов для автомобилей Lada. Инвестиции "
         "составили 1,2 млрд рублей.", "investment", "avtokomponenty", "lada"),
    ],
)
def test_event_attribution(text: str, event: str, company: str, not_company: str | None) -> None:
    found = {(e.type, e.company_key) for e in analyze_text(text).events}
    assert (event, company) in found
    assert not_company is None or (event, not_company) not in found


def test_import_replaced_is_localization_of_the_new_domestic_supplier() -> None:
    title = "Сиденья для «Москвича» будут делать в Москве"
    text = compose(title, "Компания Forvia начала в Москве выпуск автомобильных сидений для «Москвича», которые ранее "
                          "поставлялись из Китая.")
    found = {(e.type, e.company_key) for e in analyze_text(text, len(title)).events}
    assert {("launch", "forvia"), ("localization", "forvia")} <= found


def test_former_owner_and_brand_label_do_not_act() -> None:
    a = analyze_text("Бывший завод Volkswagen в Калуге возобновил производство.")
    assert "volkswagen" not in {e.company_key for e in a.events}
    b = analyze_text("Группа компаний «Автодом» приобрела дилерский центр BMW в Казани.")
    assert {(e.type, e.company_key) for e in b.events} == {("deal", "avtodom")}


def test_repeated_event_is_one_event_per_company() -> None:
    a = analyze_text("КАМАЗ запустил производство электробусов в Набережных Челнах. Запуск производства "
                     "позволит КАМАЗу выпускать тысячу машин. КАМАЗ также запустил производство двигателей "
                     "в Ярославле.")
    launches = [(e.company_key, e.region) for e in a.events if e.type == "launch"]
    assert launches == [("kamaz", "RU-TA")]  # once per (type, company), the first sentence as evidence


def test_contract_assembly_for_listed_brands_includes_the_assembler() -> None:
    title = "Автотор подвёл итоги года"
    a = analyze_text(compose(title, "Автотор выпускает кроссоверы по контрактам с BAIC, Kaiyi и Chery. В декабре "
                                    "завод начал сварку и окраску кузовов для моделей Kaiyi, что позволило повысить "
                                    "уровень локализации до 45%."), len(title))
    found = {(e.type, e.company_key) for e in a.events}
    assert {("partnership", "avtotor"), ("partnership", "baic"), ("partnership", "chery"),
            ("localization", "avtotor")} <= found
    assert ("localization", "kaiyi") not in found


@pytest.mark.parametrize(("text", "parties"), [
    # a plant starting to build another maker's brand: contract assembly
    ("На заводе «Автотор» в Калининграде начался серийный выпуск автомобилей китайской марки Changan.",
     {"avtotor", "changan"}),
    ("Группа «Соллерс» выпустила в Елабуге первую партию фургонов китайского бренда JAC.", {"sollers", "jac"}),
    # the goods go to vehicles the customer builds
    ("На заводе «Лиотех» запущено производство батарей: первая партия пойдёт на электробусы, которые "
     "«Тролза» собирает для Москвы.", {"liotech", "trolza"}),
])
def test_contract_assembly_and_supply_are_partnerships(text: str, parties: set[str]) -> None:
    found = {e.company_key for e in analyze_text(text).events if e.type == "partnership"}
    assert parties <= found


def test_output_of_brands_already_built_is_no_partnership() -> None:
    a = analyze_text("Автотор собрал за год 110 тыс. машин, из них 60% — китайских марок Chery, Kaiyi и BAIC.")
    assert "partnership" not in {e.type for e in a.events}


@pytest.mark.parametrize("text", [
    "Инвестиции по контракту «Соллерса» составят 12 млрд рублей.",  # a СПИК is an investment
    "Поставки КАМАЗа после ухода немецких партнёров стали нерегулярными.",  # partners who left
])
def test_not_a_partnership(text: str) -> None:
    assert "partnership" not in {e.type for e in analyze_text(text).events}


def test_brands_named_as_goods_are_not_sellers() -> None:
    a = analyze_text("Калининградский завод «Автотор» в прошлом году собрал 110 тыс. автомобилей, из них 60% — "
                     "китайских марок Chery, Kaiyi и BAIC.")
    assert not {e.company_key for e in a.events} & {"chery", "kaiyi", "baic"}  # the goods, not the makers
    ranking = analyze_text("Больше всего продано машин Zeekr, на втором месте Evolute, на третьем — Tesla.")
    assert {"zeekr", "evolute", "tesla"} <= {e.company_key for e in ranking.events if e.type == "sales"}


def test_a_plan_is_not_a_sales_figure() -> None:
    a = analyze_text("Автотор приступил к выпуску фургонов. В первый год компания выпустит около 3 тыс. машин.")
    assert "sales" not in {e.type for e in a.events}


def test_the_new_owner_is_the_buyer_of_the_deal_before() -> None:
    title = "Mercedes-Benz продал завод в Подмосковье"
    a = analyze_text(compose(title, "Немецкий концерн Mercedes-Benz завершил сделку по продаже своего завода в "
                                    "Есипово группе «Автодом». Новый владелец планирует наладить на площадке выпуск "
                                    "автомобилей китайских марок."), len(title))
    # the launch sentence names no company: its candidate party is the buyer, never the seller
    parties = {hit.key for etype, hit, _ in a.trace["events"] if etype == "launch"}
    assert parties == {"avtodom"}
    # a plan without a date, a volume or money is no event (data/ANNOTATION.md)
    assert "launch" not in {e.type for e in a.events}


def test_deal_counts_the_new_owner_and_the_business() -> None:
    a = analyze_text("Бывший завод Ford Sollers в Елабуге перешёл под контроль компании «Соллерс», которая "
                     "выкупила долю американского партнёра.")
    # the joint venture is a company of its own, never split into its parents
    assert {("deal", "sollers_ford"), ("deal", "sollers")} <= {(e.type, e.company_key) for e in a.events}


def test_start_of_sales_is_not_a_production_launch() -> None:
    a = analyze_text("Tenet начал продажи кроссоверов калужской сборки.")
    assert {e.type for e in a.events} == {"model_launch"}


def test_event_goes_to_title_company_when_sentence_has_none() -> None:
    title = "КАМАЗ открыл новый завод"
    a = analyze_text(compose(title, "Предприятие начало выпуск двигателей."), len(title))
    assert {("launch", "kamaz")} <= {(e.type, e.company_key) for e in a.events}


def test_reference_article_against_gold_example() -> None:
    data = shared_data()
    gold = json.loads((data / "gold-example.jsonl").read_text(encoding="utf-8").splitlines()[0])
    a = analyze_text(compose(gold["title"], gold["text"]), len(gold["title"]))
    assert [c.name for c in a.companies] == ["Автотор"]
    assert {o.name for o in a.organizations} >= {"Комтранс"}
    assert keys(a.regions) == set(gold["regions"])
    # the products the cluster's plants make are what the news is about, listed once each
    # («заводы по выпуску оснастки, сидений, …, а также пластиковых деталей»)
    assert keys(a.categories) >= set(gold["categories"])
    assert {(e.type, e.company) for e in a.events} >= {tuple(e) for e in gold["events"]}
    assert a.relevant and a.relevance > 0.9
    # the raw article file, analysed as it is
    seed = (data / "seed-article.txt").read_text(encoding="utf-8")
    assert "avtotor" in keys(analyze_text(seed).companies)


def test_json_shape() -> None:
    text = "КАМАЗ запустил производство в Набережных Челнах, сообщил Сергей Когогин."
    out = analyze_text(text).to_json()
    assert set(out) == {"companies", "organizations", "regions", "categories", "categories_in_passing", "persons",
                        "events", "relevance", "relevant"}
    company = out["companies"][0]
    assert company == {"key": "kamaz", "name": "КАМАЗ", "known": True,
                       "mentions": [{"start": 0, "end": 5, "text": "КАМАЗ"}]}
    assert out["regions"][0]["key"] == "RU-TA"
    assert out["persons"][0]["name"] == "Сергей Когогин"
    event = out["events"][0]
    assert set(event) == {"type", "company", "company_key", "region", "categories", "start", "end", "sentence"}
    assert text[event["start"] : event["end"]] == event["sentence"]


@pytest.mark.parametrize("text", ["Лада Веста подорожала на 3 %.", "Лада Гранта в январе подешевела на 2%."])
def test_brand_and_model_first_in_a_sentence_is_auto_news(text: str) -> None:
    # a brand named as goods is no company of its own (data/ANNOTATION.md), but it is auto news
    result = analyze_text(text).to_json()
    assert result["relevant"]
    assert "passenger_cars" in {c["key"] for c in result["categories"] + result["categories_in_passing"]}


def test_strict_brand_first_in_a_sentence_alone_is_a_word() -> None:
    assert not analyze_text("Лада в семье важнее всего.").to_json()["relevant"]


@pytest.mark.parametrize("name", ["Quto.ru", "Autonews.ru", "Авто.рф"])
def test_a_name_written_as_a_web_address_is_media(name: str) -> None:
    """ANNOTATION: media are not companies. A site's name in an auto text with sales figures was taken for
    a company (a real Минпромторг note «…на которое обратил внимание Quto.ru»)."""
    from avtomon.extractors.nlp import get_nlp
    from avtomon.extractors.unknown import classify_org

    text = f"Продажи автомобилей в октябре выросли на 34%, до 183 тысяч штук, сообщает {name}."
    parsed = get_nlp().parse_many([text])[0]
    start = text.index(name)
    assert classify_org(parsed, start, start + len(name)) == ("organization", "media")


@pytest.mark.parametrize("descriptor", ["консалтинговая компания", "исследовательская компания",
                                        "маркетинговое агентство"])
def test_a_firm_that_serves_every_industry_is_no_company(descriptor: str) -> None:
    """ANNOTATION: non-auto companies are org_other. A consultancy quoted for market figures was taken for a
    company (a real note on Europe's truck sales: «подсчитала консалтинговая компания GlobalData»), and with
    it the sales event of the makers' sentence could have gone to it."""
    text = (f"Продажи новых грузовиков в Европе в октябре снизились на 3,2%, до 125 826 машин, подсчитала "
            f"{descriptor} GlobalData. Лидером рынка остался Daimler Truck.")
    result = analyze_text(text).to_json()
    assert "GlobalData" not in {c["name"] for c in result["companies"]}
    assert "GlobalData" in {o["name"] for o in result["organizations"]}
    assert "Daimler Truck" in {c["name"] for c in result["companies"]}


def test_the_operator_of_vehicle_passports_is_a_source_not_a_maker() -> None:
    """АО «Электронный паспорт» is quoted as the source of sales figures (a real ministry note); the
    document «электронный паспорт транспортного средства» is no organisation at all."""
    source = analyze_text("В октябре продажи отечественных автомобилей выросли на 9%, сообщил Минпромторг со "
                          "ссылкой на компанию ППК, входящую в группу АО «Электронный паспорт».").to_json()
    assert "Электронный паспорт" in {o["name"] for o in source["organizations"]}
    assert "Электронный паспорт" not in {c["name"] for c in source["companies"]}
    document = analyze_text("С 1 ноября на каждый ввозимый автомобиль оформляется электронный паспорт "
                            "транспортного средства.").to_json()
    assert not [o for o in document["organizations"] if "паспорт" in o["name"].lower()]
