"""A resident on a 360 px phone opens an activity, taps 报名 and sees 已报名 — with the real
browser, the real CSP and the real static files."""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import ActivityFactory, PartnerFactory, ResidentFactory, SignUpFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 360


@pytest.fixture
def browser_context_args(browser_context_args):
    """pytest-playwright's `page` on a 360 px wide phone screen."""
    return {
        **browser_context_args,
        "viewport": {"width": WIDTH, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }


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


def test_a_resident_signs_up_on_a_phone(page, live_server):
    resident = ResidentFactory(name="张桂兰")
    partner = PartnerFactory(name="徐婕瑜伽", category="fitness")
    activity = ActivityFactory(
        title="公益瑜伽课（中老年班）",
        place="小区党员阵地二楼活动室",
        capacity=20,
        summary="徐老师带大家做舒缓瑜伽，适合中老年居民。",
        description="请穿宽松衣服，自带水杯。瑜伽垫由徐婕瑜伽提供。\n下雨照常进行。",
        partners=[partner],
    )
    SignUpFactory.create_batch(3, activity=activity)

    csp_reports = []
    page.on(
        "console",
        lambda msg: csp_reports.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    log_in(page, live_server, resident.user)
    page.goto(live_server.url + reverse("activities:detail", args=[activity.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("公益瑜伽课（中老年班）")

    button = page.get_by_role("button", name="报名", exact=True)
    box = button.bounding_box()
    assert box["height"] >= 44
    button.tap()

    expect(page.locator(".messages")).to_contain_text("报名成功！")
    expect(page.locator("summary", has_text="取消报名")).to_be_visible()
    assert activity.signups.filter(resident=resident, status="confirmed").exists()

    page.screenshot(path="/tmp/site-activity.png", full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= WIDTH
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 16
    assert csp_reports == []
    assert errors == []


def test_the_share_button_copies_the_link_and_says_so(page, live_server):
    activity = ActivityFactory(title="小区音乐节")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + reverse("activities:detail", args=[activity.pk]))
    page.get_by_role("button", name="分享（复制链接）").click()
    expect(page.locator("[data-copy-status]")).to_have_text("已复制链接")


def test_progress_bars_get_their_width_from_site_js(page, live_server):
    from tests.factories import ServiceProjectFactory

    ServiceProjectFactory(title="爸妈食堂", progress=40)
    page.goto(live_server.url + reverse("activities:projects"))
    bar = page.locator("[data-progress='40']")
    expect(bar).to_be_visible()
    # 40 % of the track, once the CSS transition has run.
    page.wait_for_function(
        "() => { const b = document.querySelector(\"[data-progress='40']\");"
        " const r = b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width;"
        " return r > 0.39 && r < 0.41; }",
        timeout=3000,
    )
