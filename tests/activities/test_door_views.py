"""The door through the browser's eyes: the check-in link in a resident's QR code for each
role, the desk's search and walk-ins, the printable sign-in sheet and the call list."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities import services
from activities.models import CallListEntry, Feedback, SignUp
from tests.factories import (
    ActivityFactory,
    BuildingFactory,
    CallListEntryFactory,
    HouseholdFactory,
    ResidentFactory,
    SecretaryUserFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


def _link(signup):
    return reverse("activities:check_in_link", args=[signup.activity_id, signup.check_in_code])


def _desk(activity):
    return reverse("admin:activities_activity_check_in", args=[activity.pk])


def _at_the_door(name="王桂英", **kwargs):
    activity = ActivityFactory(at_the_door=True, **kwargs)
    # A room that no random token on the page (CSRF, CSP nonce) will contain by chance, as "502" can.
    resident = ResidentFactory(user=None, name=name, household=HouseholdFactory(room="B502"))
    signup = services.sign_up(activity=activity, resident=resident).signup
    return activity, signup


# --- the check-in link in the QR code -----------------------------------------------------


def test_the_qr_on_me_carries_the_absolute_check_in_link(resident_client, monkeypatch):
    import activities.privacy

    drawn = []
    real = activities.privacy.qr_svg
    monkeypatch.setattr(
        activities.privacy, "qr_svg", lambda data, **kw: drawn.append(data) or real(data, **kw)
    )
    activity = ActivityFactory()
    signup = services.sign_up(activity=activity, resident=resident_client.resident).signup

    page = resident_client.get(reverse("residents:me")).content.decode()

    assert drawn == [f"http://testserver{_link(signup)}"]
    assert "qr-code" in page


def test_staff_opening_the_link_see_the_resident_and_a_button_and_get_changes_nothing(
    staff_client,
):
    _activity, signup = _at_the_door()

    response = staff_client.get(_link(signup))

    page = response.content.decode()
    assert response.status_code == 200
    assert "王桂英" in page and "B502" in page
    assert 'id="check-in-confirm"' in page and 'method="post"' in page
    signup.refresh_from_db()
    assert not signup.attended


def test_staff_confirming_checks_the_resident_in(staff_client, staff_user):
    _activity, signup = _at_the_door()

    response = staff_client.post(_link(signup), follow=True)

    signup.refresh_from_db()
    assert signup.attended and signup.checked_in_by == staff_user
    assert 'id="check-in-done"' in response.content.decode()


def test_staff_are_told_when_the_door_is_not_open_yet(staff_client):
    activity = ActivityFactory()  # a week from now
    signup = services.sign_up(activity=activity, resident=ResidentFactory(user=None)).signup

    page = staff_client.get(_link(signup)).content.decode()
    staff_client.post(_link(signup))

    assert 'id="check-in-refused"' in page and "签到从" in page
    assert 'id="check-in-confirm"' not in page
    signup.refresh_from_db()
    assert not signup.attended


@pytest.mark.parametrize("who", ["resident", "anonymous", "secretary"])
def test_anyone_else_opening_the_link_is_only_told_what_it_is(client, who):
    _activity, signup = _at_the_door()
    if who == "resident":
        client.force_login(ResidentFactory().user)
    elif who == "secretary":
        client.force_login(SecretaryUserFactory())

    page = client.get(_link(signup)).content.decode()
    posted = client.post(_link(signup))

    assert 'id="check-in-explained"' in page
    assert "王桂英" not in page and "B502" not in page
    assert 'id="check-in-confirm"' not in page
    assert posted.status_code == 403
    signup.refresh_from_db()
    assert not signup.attended


def test_the_resident_opening_their_own_link_changes_nothing(resident_client):
    activity = ActivityFactory(at_the_door=True)
    signup = services.sign_up(activity=activity, resident=resident_client.resident).signup

    page = resident_client.get(_link(signup)).content.decode()
    assert resident_client.post(_link(signup)).status_code == 403

    assert 'id="check-in-explained"' in page
    signup.refresh_from_db()
    assert not signup.attended


# --- the desk -----------------------------------------------------------------------------


def test_the_desk_checks_in_from_a_scanned_link_and_says_so_large(staff_client):
    activity, signup = _at_the_door()

    response = staff_client.post(
        _desk(activity), {"code": f"http://testserver{_link(signup)}"}, follow=True
    )

    result = response.context["result"]
    assert (result["level"], result["name"], result["household"]) == (
        "success",
        "王桂英",
        str(signup.resident.household),
    )
    assert 'id="desk-result"' in response.content.decode()


def test_a_refused_code_is_echoed_and_kept_in_the_field(staff_client):
    activity, _signup = _at_the_door()

    response = staff_client.post(_desk(activity), {"code": "999999"}, follow=True)

    result = response.context["result"]
    page = response.content.decode()
    assert (result["level"], result["headline"], result["typed"]) == (
        "error",
        "签到码无效。",
        "999999",
    )
    assert 'value="999999"' in page
    assert '<span class="desk-typed">999999</span>' in page


def test_the_desk_finds_residents_by_name_in_pinyin_order_or_by_the_last_four_digits(
    staff_client,
):
    activity = ActivityFactory(at_the_door=True)
    for name in ["周敏", "安娜", "张伟", "唐丽"]:
        ResidentFactory(user=None, name=name)
    ResidentFactory(user=None, name="吴秀兰", phone="13900004321")

    for name in ["张丽", "安丽"]:
        ResidentFactory(user=None, name=name)

    by_name = staff_client.get(_desk(activity), {"q": "丽"}).context["found"]
    by_phone = staff_client.get(_desk(activity), {"q": "4321"}).context["found"]

    assert [r.name for r in by_name] == ["安丽", "唐丽", "张丽"]
    assert [r.name for r in by_phone] == ["吴秀兰"]


def test_the_desk_lists_those_not_yet_in_by_pinyin(staff_client):
    activity = ActivityFactory(at_the_door=True, capacity=None)
    for name in ["周敏", "张伟", "吴秀兰", "唐丽", "任建国", "安娜"]:
        services.sign_up(activity=activity, resident=ResidentFactory(user=None, name=name))

    response = staff_client.get(_desk(activity))

    names = [s.resident.name for s in response.context["not_yet"]]
    assert names == ["安娜", "任建国", "唐丽", "吴秀兰", "张伟", "周敏"]


def test_a_walk_in_registered_at_a_full_desk_needs_the_confirmation(staff_client, staff_user):
    activity = ActivityFactory(at_the_door=True, capacity=1)
    services.sign_up(activity=activity, resident=ResidentFactory(user=None))
    building = BuildingFactory(complex=activity.complex)

    refused = staff_client.post(
        _desk(activity),
        {
            "action": "register",
            "name": "马兰英",
            "phone": "",
            "building": building.pk,
            "unit": "1",
            "room": "101",
        },
        follow=True,
    )
    result = refused.context["result"]
    assert result["level"] == "error" and "名额已满" in result["headline"]
    assert 'name="over_capacity" value="1"' in refused.content.decode()

    confirmed = staff_client.post(
        _desk(activity),
        {"action": "walk_in", "resident": result["over_capacity_for"], "over_capacity": "1"},
        follow=True,
    )

    assert confirmed.context["result"]["level"] == "success"
    signup = activity.signups.get(resident__name="马兰英")
    assert signup.attended and signup.over_capacity_by == staff_user and signup.walk_in


def test_the_desk_page_keeps_to_the_content_security_policy(staff_client):
    activity, _signup = _at_the_door()

    page = staff_client.get(_desk(activity), {"q": "王"}).content.decode()

    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=\"|\son[a-z]+=\"", page)
    assert "vendor/jsqr/jsQR.js" in page


# --- printable sheets ----------------------------------------------------------------------


def test_the_sign_in_sheet_lists_residents_by_pinyin_with_masked_phones_and_blank_rows(
    staff_client,
):
    activity = ActivityFactory(capacity=None)
    for name, phone in [("周敏", "13900001111"), ("安娜", "13900002222")]:
        services.sign_up(
            activity=activity, resident=ResidentFactory(user=None, name=name, phone=phone)
        )

    response = staff_client.get(
        reverse("admin:activities_activity_sign_in_sheet", args=[activity.pk])
    )

    page = response.content.decode()
    assert page.index("安娜") < page.index("周敏")
    assert "****2222" in page and "13900002222" not in page
    assert page.count('class="blank"') == 10
    assert "activities/css/sheet.css" in page
    assert "size: A4" in (settings.BASE_DIR / "static/activities/css/sheet.css").read_text()


def test_the_secretary_reads_the_sign_in_sheet_and_call_list_but_cannot_tick(secretary_client):
    entry = CallListEntryFactory()
    sheet = reverse("admin:activities_activity_sign_in_sheet", args=[entry.activity_id])
    calls = reverse("admin:activities_calllistentry_call_list")

    assert secretary_client.get(sheet).status_code == 200
    assert secretary_client.get(calls).status_code == 200
    assert secretary_client.post(calls, {"entry": entry.pk}).status_code == 403
    entry.refresh_from_db()
    assert entry.called_at is None


def test_staff_tick_called_on_the_call_list_page(staff_client, staff_user):
    entry = CallListEntryFactory(signup__resident__name="马兰英")
    url = reverse("admin:activities_calllistentry_call_list") + f"?activity={entry.activity_id}"

    page = staff_client.get(url).content.decode()
    staff_client.post(url, {"entry": entry.pk})

    assert "马兰英" in page
    entry.refresh_from_db()
    assert entry.called_by == staff_user and entry.called_at is not None


def _call_list_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("per_activity", [False, True])
def test_the_call_list_page_costs_the_same_queries_for_2_and_20_residents(
    staff_client, per_activity
):
    activity = ActivityFactory()
    staff = StaffUserFactory()

    def add(n):
        for i in range(n):
            CallListEntryFactory(
                signup__activity=activity if per_activity else ActivityFactory(),
                called_by=staff if i % 2 else None,
                called_at=None,
            )

    url = reverse("admin:activities_calllistentry_call_list")
    if per_activity:
        url += f"?activity={activity.pk}"
    add(2)
    staff_client.get(url)  # warm the caches
    few, _response = _call_list_queries(staff_client, url)
    add(18)
    many, response = _call_list_queries(staff_client, url)

    assert len(response.context["to_call"]) == 20
    assert many == few


def test_the_activity_page_links_its_desk_sheet_and_call_list(staff_client):
    activity = ActivityFactory()

    page = staff_client.get(
        reverse("admin:activities_activity_change", args=[activity.pk])
    ).content.decode()

    assert reverse("admin:activities_activity_sign_in_sheet", args=[activity.pk]) in page
    assert f"{reverse('admin:activities_calllistentry_call_list')}?activity={activity.pk}" in page


def test_cancelling_an_activity_in_the_back_office_fills_the_call_list(staff_client):
    from tests.activities.test_admin import _activity_form

    activity = ActivityFactory()
    signup = services.sign_up(activity=activity, resident=ResidentFactory(user=None)).signup
    url = reverse("admin:activities_activity_change", args=[activity.pk])

    response = staff_client.post(url, _activity_form(activity, status="cancelled"))

    assert response.status_code == 302
    entry = CallListEntry.objects.get()
    assert (entry.resident_id, entry.reason) == (signup.resident_id, "cancelled")
    assert SignUp.objects.get(pk=signup.pk).status == "confirmed"  # kept, in its history


def test_me_offers_the_stars_only_once_the_activity_is_over(resident_client):
    from tests.factories import hold

    activity = ActivityFactory(at_the_door=True)
    signup = services.sign_up(activity=activity, resident=resident_client.resident).signup
    services.check_in(activity=activity, code=signup.check_in_code)
    rate = reverse("activities:feedback", args=[signup.pk])

    during = resident_client.get(reverse("residents:me")).content.decode()
    refused = resident_client.post(rate, {"rating": "5"})
    hold(activity)
    after = resident_client.get(reverse("residents:me")).content.decode()

    assert 'class="feedback-form"' not in during
    assert refused.status_code == 302
    assert not Feedback.objects.filter(signup=signup).exists()
    assert 'class="feedback-form"' in after
