"""Whole public pages cached for anonymous readers (core/pagecache.py): served from the
cache until anything they show changes, never to a logged-in person, never stale."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from activities import services
from core import pagecache
from tests.factories import ActivityFactory, PartnerFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def seats(html: str) -> str:
    return re.search(r"剩余 (\d+) 个名额", html).group(1)


def upcoming(**kwargs):
    start = timezone.now() + dt.timedelta(days=3)
    return ActivityFactory(
        starts_at=start, ends_at=start + dt.timedelta(hours=2), status="open", **kwargs
    )


def test_the_second_anonymous_request_for_a_page_runs_no_query(django_assert_num_queries):
    upcoming(capacity=30)
    first = Client().get(reverse("activities:list"))
    with django_assert_num_queries(0):
        second = Client().get(reverse("activities:list"))
    assert second.status_code == 200
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())


def test_an_anonymous_reader_sees_the_new_seat_count_right_after_a_sign_up():
    activity = upcoming(capacity=30, title="太极拳公益课")
    reader = Client()
    list_url, detail_url = reverse("activities:list"), activity.get_absolute_url()
    assert seats(reader.get(list_url).content.decode()) == "30"
    assert seats(reader.get(detail_url).content.decode()) == "30"
    assert seats(reader.get(reverse("home")).content.decode()) == "30"

    services.sign_up(activity=activity, resident=ResidentFactory(user=None))

    assert seats(reader.get(list_url).content.decode()) == "29"
    assert seats(reader.get(detail_url).content.decode()) == "29"
    assert seats(reader.get(reverse("home")).content.decode()) == "29"


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_over_http_is_seen_by_the_next_anonymous_reader():
    activity = upcoming(capacity=30)
    reader = Client()
    assert seats(reader.get(activity.get_absolute_url()).content.decode()) == "30"
    resident = ResidentFactory(user=UserFactory())
    member = Client()
    member.force_login(resident.user)

    assert member.post(reverse("activities:sign_up", args=[activity.pk])).status_code == 302

    assert seats(reader.get(activity.get_absolute_url()).content.decode()) == "29"


def test_a_cancellation_and_the_promotion_it_makes_refresh_the_pages():
    activity = upcoming(capacity=1)
    holder = services.sign_up(activity=activity, resident=ResidentFactory(user=None)).signup
    services.sign_up(activity=activity, resident=ResidentFactory(user=None))
    reader = Client()
    assert "（1 人候补）" in reader.get(activity.get_absolute_url()).content.decode()

    services.cancel(signup=holder)

    assert "（1 人候补）" not in reader.get(activity.get_absolute_url()).content.decode()


def test_an_edit_in_the_back_office_refreshes_the_pages(admin_client):
    activity = upcoming(capacity=30, title="太极拳公益课")
    reader = Client()
    assert "太极拳公益课" in reader.get(reverse("activities:list")).content.decode()

    activity.title = "八段锦公益课"
    activity.save()

    html = reader.get(reverse("activities:list")).content.decode()
    assert "八段锦公益课" in html and "太极拳公益课" not in html


def test_a_partner_added_to_an_activity_is_shown_at_once():
    activity = upcoming(capacity=30)
    reader = Client()
    reader.get(activity.get_absolute_url())

    activity.partners.add(PartnerFactory(name="蓝天救援队"))

    assert "蓝天救援队" in reader.get(activity.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_version_is_bumped_once_more_when_the_transaction_commits():
    activity = upcoming(capacity=30)
    with transaction.atomic():
        services.sign_up(activity=activity, resident=ResidentFactory(user=None))
        services.sign_up(activity=activity, resident=ResidentFactory(user=None))
        inside = pagecache.current_version()

    assert pagecache.current_version() == inside + 1


def test_a_logged_in_resident_never_gets_the_anonymous_page(resident_client):
    upcoming(capacity=30)
    Client().get(reverse("activities:list"))

    response = resident_client.get(reverse("activities:list"))

    html = response.content.decode()
    assert reverse("residents:me") in html and reverse("residents:login") not in html
    assert "no-store" in response["Cache-Control"]


def test_each_anonymous_reader_gets_their_own_csrf_token_that_the_site_accepts():
    upcoming(capacity=30)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(reverse("activities:list"))

    response = second.get(reverse("activities:list"))

    token = TOKEN.search(response.content.decode()).group(1)
    assert token != TOKEN.search(first.get(reverse("activities:list")).content.decode()).group(1)
    assert "csrftoken" in response.cookies
    switched = second.post(
        reverse("set_language"),
        {"language": "en", "next": "/activities/", "csrfmiddlewaretoken": token},
    )
    assert switched.status_code == 302 and switched["Location"] == "/en/activities/"


def test_the_english_page_is_cached_apart_from_the_chinese_one():
    upcoming(capacity=30)
    Client().get(reverse("activities:list"))

    html = Client().get("/en/activities/").content.decode()

    assert 'lang="en"' in html and "近期活动" not in html


def test_wechat_readers_get_their_own_activity_page():
    activity = upcoming(capacity=30)
    Client().get(activity.get_absolute_url())

    html = Client(headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0"}).get(
        activity.get_absolute_url()
    )

    assert html.status_code == 200
    assert html.context is not None, "rendered for WeChat, not taken from the ordinary page"


def test_a_cached_page_is_not_served_after_its_minute(monkeypatch):
    upcoming(capacity=30)
    Client().get(reverse("activities:list"))
    later = timezone.now() + dt.timedelta(minutes=1)
    monkeypatch.setattr(pagecache.timezone, "now", lambda: later)

    response = Client().get(reverse("activities:list"))

    assert response.context is not None, "rendered again"


# --- the decorator on its own -------------------------------------------------------------

calls = []


@pagecache.cache_public_page
def counting_view(request):
    calls.append(request)
    return HttpResponse(f"render {len(calls)}")


def anonymous_request(*, message: str = ""):
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    if message:
        request._messages.add(20, message)
    return request


def test_an_anonymous_reader_with_a_message_waiting_gets_a_fresh_render():
    calls.clear()
    counting_view(anonymous_request())

    response = counting_view(anonymous_request(message="已退出登录。"))

    assert response.content == b"render 2"
    assert len(get_messages(calls[-1])) == 1


def test_a_page_is_not_cached_when_the_setting_is_off(settings):
    settings.PAGE_CACHE_SECONDS = 0
    calls.clear()
    counting_view(anonymous_request())

    assert counting_view(anonymous_request()).content == b"render 2"


def test_an_evicted_version_starts_again_from_one_never_used():
    calls.clear()
    counting_view(anonymous_request())
    old = pagecache.current_version()

    cache.delete(pagecache.VERSION_KEY)

    assert counting_view(anonymous_request()).content == b"render 2"
    assert pagecache.current_version() > old


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_pages_and_sign_ups_work_while_the_cache_does_not_answer(monkeypatch):
    activity = upcoming(capacity=30)
    monkeypatch.setattr(pagecache, "cache", BrokenCache())

    services.sign_up(activity=activity, resident=ResidentFactory(user=None))

    response = Client().get(activity.get_absolute_url())
    assert response.status_code == 200 and seats(response.content.decode()) == "29"


def test_a_page_read_from_the_replica_is_not_kept(monkeypatch, django_assert_max_num_queries):
    # A replica may lag behind a sign-up just committed: a page built from it must not be
    # stored under the new version (core.dbrouting.used_replica).
    upcoming(capacity=30)
    monkeypatch.setattr(pagecache, "used_replica", lambda: True)
    Client().get(reverse("activities:list"))
    monkeypatch.setattr(pagecache, "used_replica", lambda: False)
    with django_assert_max_num_queries(10) as context:
        Client().get(reverse("activities:list"))
    assert len(context.captured_queries) > 0


# --- concurrent misses of one page render it once -----------------------------------------


def _render_lock_of(request) -> str:
    return pagecache._key(request, "") + ":rendering"


def test_a_reader_waits_for_the_page_another_request_is_rendering():
    import threading

    calls.clear()
    first = anonymous_request()
    lock = _render_lock_of(first)
    cache.add(lock, 1)  # another worker is rendering this page

    def other_worker_finishes():
        cache.set(pagecache._key(first, ""), (b"rendered elsewhere", {}), 60)
        cache.delete(lock)

    threading.Timer(0.1, other_worker_finishes).start()
    response = counting_view(first)

    assert response.content == b"rendered elsewhere"
    assert calls == []


def test_a_reader_renders_itself_when_the_other_render_stored_nothing():
    import threading
    import time

    calls.clear()
    request = anonymous_request()
    lock = _render_lock_of(request)
    cache.add(lock, 1)
    threading.Timer(0.1, lambda: cache.delete(lock)).start()  # finished, not storable
    started = time.monotonic()

    response = counting_view(request)

    assert response.content == b"render 1"
    assert time.monotonic() - started < pagecache.RENDER_WAIT / 2
    assert cache.get(lock) is None, "the lock of a finished render is released"


def test_a_render_releases_its_lock():
    calls.clear()
    request = anonymous_request()

    counting_view(request)

    assert cache.get(_render_lock_of(request)) is None
    assert counting_view(anonymous_request()).content == b"render 1"
