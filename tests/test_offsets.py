"""Every mention satisfies text[start:end] == mention.text: random texts and real news."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avtomon.extractors.analyze import analyze_many, analyze_text
from avtomon.extractors.records import Analysis
from tests.conftest import shared_data

pytestmark = pytest.mark.usefixtures("nlp")

WORDS = ["КАМАЗ", "КАМАЗа", "«Автотора»", "Тольятти", "в", "Калининградской", "области", "запустил", "завод",
         "электробусов", "Владимир", "Щербаков", "ПАО", "«Соллерс»", "\n\n", "Москве", "😀", "ё", "Набережных",
         "Челнах", "шин", "—", "\u200b", "Орёл", "ГАЗ", "газ", ".", ",", "Haval", "Петербург", "\t", "  "]


def check(text: str, analysis: Analysis) -> None:
    for hit in analysis.entities():
        for m in hit.mentions:
            assert text[m.start : m.end] == m.text, (hit, m)
    for e in analysis.events:
        assert text[e.start : e.end] == e.sentence


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=40).map(" ".join))
def test_offsets_random_text(text: str) -> None:
    check(text, analyze_text(text))


def test_offsets_real_news() -> None:
    folder = shared_data() / "factru2016" / "devset"
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))[:60]]
    texts.append((shared_data() / "seed-article.txt").read_text(encoding="utf-8"))
    texts.append((Path(__file__).parent / "data" / "feeds" / "komtrans_rss20.xml").read_text(encoding="utf-8"))
    for text, analysis in zip(texts, analyze_many(texts), strict=True):
        check(text, analysis)
