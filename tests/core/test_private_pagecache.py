"""A resident's own pages (/me/, an activity's page as they see it) cached per reader
(core.pagecache.cache_private_page, residents.pagescopes): served from the cache until the
public data or anything of theirs or their household's changes — never a stale seat count,
never a stale "my sign-ups"."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import SignUp
from core import pagecache
from residents import services as resident_services
from tests.factories import (
    ActivityFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ME = reverse("residents:me")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def upcoming(**kwargs):
    start = timezone.now() + dt.timedelta(days=3)
    return ActivityFactory(
        starts_at=start, ends_at=start + dt.timedelta(hours=2), status="open", **kwargs
    )


def logged_in(resident) -> Client:
    client = Client()
    client.force_login(resident.user)
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_residents_second_visit_to_me_reads_only_their_login_and_record(
    django_assert_max_num_queries,
):
    resident = ResidentFactory(user=UserFactory(), is_verified=True)
    services.sign_up(activity=upcoming(capacity=30), resident=resident)
    client = logged_in(resident)
    with CaptureQueriesContext(connection) as rendered:
        first = page(client, ME)
    assert len(rendered) >= 10
    # The session, the login and the resident (who they are and their household).
    with django_assert_max_num_queries(3):
        second = page(client, ME)
    assert TOKEN.sub("", second) == TOKEN.sub("", first)


def test_me_shows_a_sign_up_right_after_it_is_made():
    resident = ResidentFactory(user=UserFactory())
    activity = upcoming(capacity=30, title="八段锦晨练")
    client = logged_in(resident)
    assert "八段锦晨练" not in page(client, ME)

    services.sign_up(activity=activity, resident=resident)

    assert "八段锦晨练" in page(client, ME)


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_and_a_cancellation_over_http_show_at_once_on_both_pages():
    resident = ResidentFactory(user=UserFactory())
    activity = upcoming(capacity=30, title="八段锦晨练")
    client = logged_in(resident)
    detail = activity.get_absolute_url()
    assert "八段锦晨练" not in page(client, ME)
    assert "剩余 30 个名额" in page(client, detail)

    assert client.post(reverse("activities:sign_up", args=[activity.pk])).status_code == 302
    page(client, detail)  # the page that shows the "signed up" message (never stored)

    assert "八段锦晨练" in page(client, ME)
    assert "剩余 29 个名额" in page(client, detail)
    signup = SignUp.objects.get(activity=activity, resident=resident)
    assert client.post(reverse("activities:cancel", args=[activity.pk])).status_code == 302
    page(client, ME)  # the message
    signup.refresh_from_db()
    assert signup.status == SignUp.Status.CANCELLED
    assert "八段锦晨练" not in page(client, ME)
    assert "剩余 30 个名额" in page(client, detail)


def test_a_residents_activity_page_shows_the_seats_another_resident_just_took():
    activity = upcoming(capacity=30)
    client = logged_in(ResidentFactory(user=UserFactory()))
    assert "剩余 30 个名额" in page(client, activity.get_absolute_url())

    services.sign_up(activity=activity, resident=ResidentFactory(user=None))

    assert "剩余 29 个名额" in page(client, activity.get_absolute_url())


def test_a_guardian_sees_at_once_what_staff_signed_their_child_up_for():
    household = HouseholdFactory()
    guardian = ResidentFactory(user=UserFactory(), household=household, is_verified=True)
    child = ResidentFactory(user=None, household=household, name="王小明")
    activity = upcoming(capacity=30, title="少儿书法")
    client = logged_in(guardian)
    assert "少儿书法" not in page(client, ME)

    services.sign_up(activity=activity, resident=child)

    assert "少儿书法" in page(client, ME)


def test_a_new_message_in_the_inbox_shows_at_once_and_is_marked_read():
    resident = ResidentFactory(user=UserFactory())
    client = logged_in(resident)
    page(client, ME)

    resident_services.notify(resident=resident, kind="works", title="停水通知", deliver=False)

    assert "停水通知" in page(client, ME)
    assert not resident.notifications.unread().exists()


def test_two_residents_never_get_each_others_page():
    activity = upcoming(capacity=30, title="八段锦晨练")
    one, other = ResidentFactory(user=UserFactory()), ResidentFactory(user=UserFactory())
    services.sign_up(activity=activity, resident=one)
    assert "八段锦晨练" in page(logged_in(one), ME)

    assert "八段锦晨练" not in page(logged_in(other), ME)
    assert one.name not in page(logged_in(other), activity.get_absolute_url())


def test_a_resident_who_moves_out_leaves_the_old_households_pages():
    household = HouseholdFactory()
    guardian = ResidentFactory(user=UserFactory(), household=household, is_verified=True)
    child = ResidentFactory(user=None, household=household)
    client = logged_in(guardian)
    assert child.name in page(client, ME)

    child.household = HouseholdFactory()
    child.save()

    assert child.name not in page(client, ME)


def test_a_write_in_a_transaction_bumps_its_scopes_at_once_and_again_when_it_commits(
    django_capture_on_commit_callbacks,
):
    before = pagecache.scope_versions(["resident:1", "household:2", "resident:3"])
    with django_capture_on_commit_callbacks() as callbacks:
        pagecache.scopes_changed("resident:1", "household:2")
        pagecache.scopes_changed("resident:1")
        during = pagecache.scope_versions(["resident:1", "household:2", "resident:3"])
    assert len(callbacks) == 1
    callbacks[0]()
    after = pagecache.scope_versions(["resident:1", "household:2", "resident:3"])
    for n in (0, 1):
        assert len({before[n], during[n], after[n]}) == 3
    assert before[2] == during[2] == after[2]


def test_staff_without_a_resident_record_get_a_fresh_activity_page(staff_client):
    activity = upcoming(capacity=30)
    page(staff_client, activity.get_absolute_url())
    with CaptureQueriesContext(connection) as second:
        page(staff_client, activity.get_absolute_url())
    assert any("activities_activity" in q["sql"] for q in second.captured_queries)
