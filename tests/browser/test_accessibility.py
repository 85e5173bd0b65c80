"""axe-core on every public page, /me/ and /summary/, in Chinese and English, on a phone
(375×812) and a desktop (1280×900): no serious or critical violation; and no text under
16 px on the residents' pages. The demo community (load_demo) is the data."""

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from activities.models import Activity, SignUp
from core.roles import SECRETARY_GROUP, STAFF_GROUP
from partners.models import Partner
from residents.models import Resident
from tests.browser.axe import serious_violations, small_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (375, 812), "desktop": (1280, 900)}


def session_cookie(user, url):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": url}


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_PHONE = "0931-1234567"
    settings.COMMUNITY_HOURS = "周一至周五 9:00–17:00"
    # Transactional tests flush the tables, the roles' migration data included.
    for name in (STAFF_GROUP, SECRETARY_GROUP):
        Group.objects.get_or_create(name=name)
    settings.DEBUG = True  # load_demo refuses otherwise
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False


def resident_pages():
    open_activity = Activity.objects.filter(status="open").order_by("starts_at").first()
    held = Activity.objects.filter(status="held").order_by("-starts_at").first()
    partner = Partner.objects.order_by("pk").first()
    return [
        reverse("home"),
        reverse("activities:list"),
        reverse("activities:list") + "?when=past",
        reverse("activities:detail", args=[open_activity.pk]),
        reverse("activities:detail", args=[held.pk]),
        reverse("activities:poster", args=[open_activity.pk]),
        reverse("activities:partners"),
        reverse("activities:partner", args=[partner.pk]),
        reverse("activities:projects"),
        reverse("residents:login"),
        reverse("residents:register"),
        reverse("residents:privacy"),
        "/no-such-page/",
    ]


def signed_in_pages():
    return [
        reverse("residents:me"),
        reverse("activities:need_create"),
        reverse("partners:lead_create"),
    ]


def check(page, url, *, resident_page=True):
    page.goto(url)
    found = {"axe": serious_violations(page)}
    if resident_page:
        found["small"] = small_text(page)
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("size", SIZES)
def test_no_serious_axe_violation_and_no_small_text(browser, live_server, demo, size):
    width, height = SIZES[size]
    resident = Resident.objects.filter(user__username="13900000001").get()
    # /me/ with a waiting-list place and a confirmation step to check too.
    assert SignUp.objects.filter(resident=resident).exists()
    from django.contrib.auth import get_user_model

    secretary = get_user_model().objects.get(username="secretary")
    problems = {}
    measured = []
    for prefix in ("", "/en"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        for path in resident_pages():
            url = live_server.url + prefix + path
            measured.append(url)
            if found := check(page, url):
                problems[url] = found
        context.add_cookies([session_cookie(resident.user, live_server.url)])
        for path in signed_in_pages():
            url = live_server.url + prefix + path
            measured.append(url)
            if found := check(page, url):
                problems[url] = found
        # The confirmation step of 取消报名 / 退出候补, opened.
        page.goto(live_server.url + prefix + reverse("residents:me"))
        summaries = page.locator("details.confirm-action > summary")
        if summaries.count():
            summaries.first.click()
            if found := serious_violations(page):
                problems[page.url + " (confirmation open)"] = {"axe": found}
        context.clear_cookies()
        context.add_cookies([session_cookie(secretary, live_server.url)])
        url = live_server.url + prefix + reverse("summary:current")
        measured.append(url)
        if found := check(page, url, resident_page=False):
            problems[url] = found
        context.close()
    print(f"axe ({size}): {len(measured)} pages, {len(problems)} with problems")
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("size", SIZES)
def test_the_check_in_desk_has_no_serious_axe_violation(browser, live_server, demo, size):
    """The staff's desk at the door, on a phone and at a desk, in Chinese and English."""
    from django.contrib.auth import get_user_model

    width, height = SIZES[size]
    staff = get_user_model().objects.get(username="staff")
    activity = Activity.objects.filter(status="open").order_by("starts_at").first()
    problems = {}
    for prefix in ("", "/en"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.add_cookies([session_cookie(staff, live_server.url)])
        page = context.new_page()
        url = (
            live_server.url
            + prefix
            + reverse("admin:activities_activity_check_in", args=[activity.pk])
        )
        if found := check(page, url, resident_page=False):
            problems[url] = found
        context.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
