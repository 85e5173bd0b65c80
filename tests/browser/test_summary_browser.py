"""The secretary's summary in a real browser: charts drawn under the real CSP, a print
button, a printout of one or two A4 pages and the Excel download (screenshots, PDF and
workbook in test-results/journeys/secretary/)."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core.periods import add_months
from tests.factories import SecretaryUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "journeys" / "secretary"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def last_month(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command(
        "seed_bench",
        residents=400,
        activities=130,
        signups=4000,
        months=12,
        stdout=io.StringIO(),
    )
    today = timezone.localdate()
    return add_months(today.year, today.month, -1)


@pytest.fixture
def secretary(db):
    # Transactional tests flush the tables, the roles' migration data included.
    Group.objects.get_or_create(name="党委书记")
    return SecretaryUserFactory()


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def test_the_summary_draws_its_charts_and_prints_on_two_a4_pages(
    page, live_server, last_month, secretary
):
    console, errors = [], []
    page.on("console", lambda msg: console.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, secretary)

    year, month = last_month
    page.goto(live_server.url + reverse("summary:month", args=[year, month]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("共建工作月度总结")
    expect(page.locator(".chart[data-chart-ready='true']")).to_have_count(3)
    for canvas in page.locator("canvas").all():
        box = canvas.bounding_box()
        assert box["width"] > 100 and box["height"] > 100
        assert canvas.evaluate("c => c.width * c.height") > 0
    # Something was drawn: the activities chart's pixels are not all blank.
    painted = page.locator("#chart-activities").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"
    )
    assert painted > 1000
    assert not [m for m in console if "Content Security Policy" in m]
    assert errors == []

    # The table under each chart, for readers who prefer numbers.
    page.locator(".chart-table summary").first.click()
    expect(page.locator(".chart-table table").first).to_be_visible()
    page.locator(".chart-table summary").first.click()

    # The print button calls window.print() (from summary.js, no inline handler).
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="打印 / 存为PDF").click()
    assert page.evaluate("window.__printed") is True

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "01-summary.png"), full_page=True)

    # The Excel download opens with openpyxl and holds the month's figures.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载Excel").click()
    workbook_path = SHOTS / "summary.xlsx"
    download_info.value.save_as(str(workbook_path))
    workbook = openpyxl.load_workbook(workbook_path)
    assert workbook.sheetnames
    assert sum(sheet.max_row for sheet in workbook.worksheets) > 5

    page.emulate_media(media="print")
    expect(page.locator(".report-nav")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    page.wait_for_timeout(300)
    pdf = page.pdf(path=str(SHOTS / "02-summary-a4.pdf"), format="A4", print_background=True)
    # The month fits on at most three A4 pages (two before the party members' service, issue 14, joined it).
    assert 1 <= _pdf_pages(pdf) <= 3
    page.screenshot(path=str(SHOTS / "03-summary-print.png"), full_page=True)
    assert not [m for m in console if "Content Security Policy" in m]
    assert errors == []


def test_the_month_picker_goes_to_the_chosen_month(page, live_server, last_month, secretary):
    log_in(page, live_server, secretary)
    page.goto(live_server.url + reverse("summary:current"))
    year, month = add_months(*last_month, -2)
    page.locator("#month-picker-input").fill(f"{year:04d}-{month:02d}")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/summary/{year:04d}/{month:02d}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{year}年{month}月")
