"""The web view in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by selenium.

Opens the dashboard, searches with a declined form and reaches the article, opens a company page and
checks that its chart was drawn, saving screenshots along the way (set AVTOMON_SCREENSHOTS=docs/img to
refresh the README's). Skipped with a reason when Chromium is missing, unless AVTOMON_REQUIRE_BROWSER is
set (CI installs it and sets that).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_fixture import shots_folder

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM and DRIVER):
        reason = "Chromium and chromedriver not found (apt-get install chromium chromium-driver)"
        if os.environ.get("AVTOMON_REQUIRE_BROWSER"):
            pytest.fail(f"AVTOMON_REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                "--lang=ru"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def full_page(driver, path: Path) -> None:  # type: ignore[no-untyped-def]
    """A screenshot of the whole page: the window stretched to the document's height first."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 700), 2400))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)


@pytest.mark.parametrize("web_store", ["sqlite"], indirect=True)
def test_dashboard_search_and_company_page(browser, site: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    shots = shots_folder(tmp_path)
    browser.get(site + "/?days=30")
    assert browser.title.startswith("Обзор за 30 дн.")
    assert int(browser.find_element(By.ID, "total").text.replace("\u202f", "")) > 0
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    full_page(browser, shots / "dashboard.png")

    box = browser.find_element(By.CSS_SELECTOR, "form.quick input[name=q]")
    box.send_keys("тяговые батареи")  # the article says «тяговых батарей»
    box.submit()
    # submit() may return before the next page is there: wait for it (never a fixed sleep)
    WebDriverWait(browser, 30).until(lambda b: "/search" in b.current_url
                                     and b.find_elements(By.CSS_SELECTOR, "ol.articles a.title"))
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ol.articles a.title")]
    assert "Автотор запустил производство тяговых батарей для электромобилей" in titles
    full_page(browser, shots / "search.png")
    browser.find_element(By.LINK_TEXT, "Автотор запустил производство тяговых батарей для электромобилей").click()
    WebDriverWait(browser, 30).until(lambda b: "/article/" in b.current_url)
    assert "тяговых батарей" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_elements(By.CSS_SELECTOR, "mark.m-company")

    browser.find_element(By.CSS_SELECTOR, "mark.m-company a").click()  # the company's page, from its mention
    WebDriverWait(browser, 30).until(lambda b: "/company/" in b.current_url)
    assert browser.current_url.endswith("/company/avtotor")
    browser.get(site + "/company/avtovaz")
    chart = browser.find_element(By.CSS_SELECTOR, "svg.chart")
    assert chart.size["width"] > 300 and chart.size["height"] > 80  # laid out by the browser, not hidden
    drawn = [r for r in chart.find_elements(By.CSS_SELECTOR, "rect.bar") if r.size["height"] > 0]
    assert {r.get_attribute("data-series") for r in drawn} == {"статьи", "события"}
    full_page(browser, shots / "company.png")
    for name in ("dashboard.png", "search.png", "company.png"):
        assert (shots / name).stat().st_size > 10_000
