"""Residents' journeys on a 375×812 phone in Debian's chromium, under the real CSP, with a
full-page screenshot of every step in test-results/journeys/ (git-ignored; CI keeps it
as an artifact). No console error and no CSP report on any page visited.

Not here: staff checking a resident in by scanning the QR with the desk's camera (the
check-in desk's own browser test) and the secretary's summary (test_summary_browser.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from activities import services
from activities.models import Need, SignUp
from core.roles import SECRETARY_GROUP, STAFF_GROUP
from residents.models import Resident
from tests.accounts import last_code
from tests.factories import (
    ActivityFactory,
    BuildingFactory,
    ResidentFactory,
    SignUpFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "journeys"
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_PHONE = "0931-1234567"
    for name in (STAFF_GROUP, SECRETARY_GROUP):
        Group.objects.get_or_create(name=name)


class Watch:
    """Console errors, page errors and CSP reports of every page visited, and numbered
    full-page screenshots."""

    def __init__(self, page, journey: str):
        self.page, self.journey, self.step = page, journey, 0
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
        (SHOTS / journey).mkdir(parents=True, exist_ok=True)

    def _console(self, msg):
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.problems.append(f"{msg.type}: {msg.text} ({self.page.url})")

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(
            path=str(SHOTS / self.journey / f"{self.step:02d}-{name}.png"), full_page=True
        )

    def clean(self) -> None:
        assert self.problems == []


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_resident_from_registration_to_english(page, live_server):
    building = BuildingFactory(number="丽苑2号楼")
    yoga = ActivityFactory(title="公益瑜伽课", place="小区党员阵地多功能厅", capacity=20)
    drill = ActivityFactory(title="消防演练", place="小区中心广场", capacity=1)
    neighbour = ResidentFactory(name="李秀英")
    seat = services.sign_up(activity=drill, resident=neighbour).signup
    past = ActivityFactory(
        title="智能手机使用课",
        starts_at=timezone.now() - dt.timedelta(days=3),
        ends_at=timezone.now() - dt.timedelta(days=3) + dt.timedelta(hours=2),
    )
    watch = Watch(page, "resident")

    # Registers: the phone number (the digits keyboard), the texted code (read from the
    # tests' SMS outbox), then name, password, address and consent.
    page.goto(live_server.url + reverse("residents:register"))
    assert page.locator("#id_phone").get_attribute("inputmode") == "numeric"
    page.fill("#id_phone", "139 0000 8888")
    watch.shot("register-phone")
    page.get_by_role("button", name="获取短信验证码").tap()
    page.wait_for_url(lambda url: "/verify/" in url)
    assert page.locator("#id_code").get_attribute("autocomplete") == "one-time-code"
    page.fill("#id_code", last_code("13900008888"))
    watch.shot("register-code")
    page.get_by_role("button", name="下一步").tap()
    page.wait_for_url(lambda url: "/continue/" in url)
    page.fill("#id_name", "张桂兰")
    page.fill("#id_password1", "Lanzhou-2026x")
    page.get_by_role("button", name="显示密码").first.tap()
    assert page.locator("#id_password1").get_attribute("type") == "text"
    page.fill("#id_password2", "Lanzhou-2026x")
    page.select_option("#id_building", label=str(building))
    page.fill("#id_unit", "1")
    page.fill("#id_room", "702")
    page.check("#id_consent")
    watch.shot("register")
    page.get_by_role("button", name="注册并登录").tap()
    page.wait_for_url(lambda url: "/continue/" not in url)
    resident = Resident.objects.get(phone="13900008888")
    watch.shot("registered")

    # Signs up: the message says when and where.
    page.goto(live_server.url + yoga.get_absolute_url())
    page.get_by_role("button", name="报名", exact=True).tap()
    expect(page.locator(".messages")).to_contain_text("报名成功！")
    expect(page.locator(".messages")).to_contain_text("小区党员阵地多功能厅")
    watch.shot("signed-up")

    # Joins the waiting list of a full activity.
    page.goto(live_server.url + drill.get_absolute_url())
    expect(page.locator("header .badge").first).to_have_text("已满·可候补")
    page.get_by_role("button", name="加入候补（您将排在第1位）").tap()
    expect(page.locator(".messages")).to_contain_text("已加入候补，您排在第1位")
    watch.shot("waiting-list")

    # Someone cancels: the resident is promoted and /me/ says so.
    services.cancel(signup=seat)
    page.goto(live_server.url + reverse("residents:me"))
    expect(page.locator(".messages")).to_contain_text("您候补的“消防演练”已转为报名成功")
    watch.shot("promoted")

    # Cancels the yoga class: the first tap only asks.
    card = page.locator("article.my-signup", has_text="公益瑜伽课")
    card.locator("summary", has_text="取消报名").tap()
    expect(card.get_by_text("确定要取消报名吗？名额会让给候补的居民。")).to_be_visible()
    assert SignUp.objects.filter(activity=yoga, resident=resident).active().exists()
    watch.shot("cancel-asks")
    card.get_by_role("button", name="确定取消报名").tap()
    expect(page.locator(".messages")).to_contain_text("已取消报名")
    assert not SignUp.objects.filter(activity=yoga, resident=resident).active().exists()
    watch.shot("cancelled")

    # Rates an activity attended (checked in by staff at the time).
    SignUpFactory(activity=past, resident=resident, attended=True, checked_in_at=past.starts_at)
    page.reload()
    item = page.locator("#past li", has_text="智能手机使用课")
    expect(item.get_by_text("已参加")).to_be_visible()
    item.locator("summary").tap()
    item.locator("label", has_text="5 星").tap()
    item.locator("textarea").fill("终于学会和孙子视频通话了！")
    item.get_by_role("button", name="提交评价").tap()
    expect(page.locator(".messages")).to_contain_text("谢谢您的评价！")
    watch.shot("rated")

    # Reports a need.
    page.goto(live_server.url + reverse("activities:need_create"))
    page.fill("#id_title", "3号楼楼道灯坏了")
    page.fill("#id_location", "3号楼1单元")
    page.locator(".urgency-choices label").first.tap()
    page.get_by_role("button", name="提交需求").tap()
    page.wait_for_url(lambda url: "/needs/new/" not in url)
    assert Need.objects.filter(resident=resident, title="3号楼楼道灯坏了").exists()
    watch.shot("need-reported")

    # Switches to English.
    page.goto(live_server.url + reverse("residents:me"))
    page.get_by_role("navigation", name="主导航").get_by_role("button", name="菜单").tap()
    page.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=2, name="Coming up")).to_be_visible()
    watch.shot("english")
    watch.clean()


def test_a_guardian_signs_up_a_child(page, live_server):
    parent = ResidentFactory(name="王建国", is_verified=True)
    child = ResidentFactory(
        name="王小明",
        household=parent.household,
        user=None,
        phone="",
        birth_year=timezone.localdate().year - 10,
    )
    ResidentFactory(
        name="王小小",
        household=parent.household,
        user=None,
        phone="",
        birth_year=timezone.localdate().year - 3,
    )
    science = ActivityFactory(title="青少年科学兴趣小组", min_age=8, max_age=14)
    watch = Watch(page, "guardian")
    log_in(page, live_server, parent.user)

    page.goto(live_server.url + reverse("activities:list"))
    expect(page.locator(".activity-card", has_text="青少年科学兴趣小组")).to_contain_text("8–14 岁")
    watch.shot("list")
    page.goto(live_server.url + science.get_absolute_url())
    expect(page.get_by_text("王小小")).to_have_count(0)  # too young: not offered
    watch.shot("detail")
    page.get_by_role("button", name="为王小明报名").tap()
    expect(page.locator(".messages")).to_contain_text("已为王小明报名成功！")
    assert SignUp.objects.filter(activity=science, resident=child).active().exists()
    watch.shot("child-signed-up")
    page.goto(live_server.url + reverse("residents:me"))
    expect(page.locator("article.my-signup", has_text="青少年科学兴趣小组")).to_contain_text(
        "为王小明报名"
    )
    watch.shot("me")
    watch.clean()
