"""Production defaults that must not leak: pages for a logged-in person are never cached,
back-office sessions are short, and no mobile number reaches any log."""

import io
import logging
import re
import time

import pytest
from django.urls import reverse

from core.logfilters import MaskPhoneNumbers, mask_phones
from core.middleware import STAFF_LOGIN_AT
from tests.factories import ActivityFactory, ResidentFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


# --- Cache-Control ----------------------------------------------------------------------


def _private(response):
    header = response.get("Cache-Control", "")
    return "private" in header and "no-store" in header and "public" not in header


@pytest.mark.parametrize(
    "path",
    [
        "/me/",
        "/me/household/",
        "/me/delete/",
        "/accounts/password/",
        "/",
        "/activities/",
        "/activities/calendar.ics",
    ],
)
def test_every_page_for_a_logged_in_resident_is_private(resident_client, path):
    ActivityFactory()
    response = resident_client.get(path)
    assert response.status_code in (200, 302), path
    assert _private(response), (path, response.get("Cache-Control"))


def test_a_childs_activity_page_is_private_too(resident_client):
    activity = ActivityFactory()
    response = resident_client.get(reverse("activities:detail", args=[activity.pk]))
    assert _private(response)


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/residents/resident/", "/admin/residents/resident/?q=139"]
)
def test_back_office_pages_are_private(staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 200
    assert _private(response)


def test_the_summary_is_private(secretary_client):
    response = secretary_client.get("/summary/2026/03/")
    assert _private(response)


def test_anonymous_public_pages_are_not_marked_private(client):
    ActivityFactory()
    response = client.get("/activities/")
    assert "no-store" not in response.get("Cache-Control", "")


# --- back-office sessions -------------------------------------------------------------------


def test_a_staff_login_lasts_until_the_browser_closes(client):
    user = StaffUserFactory(username="staff1")
    response = client.post(
        "/admin/login/", {"username": "staff1", "password": "demo12345", "next": "/admin/"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    cookie = client.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]
    assert client.session.get_expire_at_browser_close()
    assert client.session[STAFF_LOGIN_AT] <= time.time()
    assert user.is_staff


def test_a_staff_session_ends_after_the_limit(staff_client, settings):
    assert staff_client.get("/admin/").status_code == 200
    session = staff_client.session
    session[STAFF_LOGIN_AT] = int(time.time()) - settings.STAFF_SESSION_SECONDS - 1
    session.save()
    response = staff_client.get("/admin/residents/resident/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert staff_client.get("/admin/").status_code == 302


def test_a_residents_session_keeps_the_default_length(resident_client):
    resident_client.get("/me/")
    assert not resident_client.session.get_expire_at_browser_close()
    assert STAFF_LOGIN_AT not in resident_client.session


def test_eight_hours_by_default():
    from django.conf import settings

    assert settings.STAFF_SESSION_SECONDS == 8 * 60 * 60


# --- no phone number in any log ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /admin/residents/resident/?q=13912345678 200", "?q=139****5678 200"),
        ("13800000001,15912345678", "138****0001,159****5678"),
        ("order 2139123456789", "order 2139123456789"),  # part of a longer number
        ("12012345678", "12012345678"),  # not a mobile number
    ],
)
def test_mobile_numbers_are_masked(text, expected):
    assert mask_phones(text).endswith(expected)


def test_every_configured_handler_masks_phone_numbers():
    from django.conf import settings

    for name, handler in settings.LOGGING["handlers"].items():
        assert "mask_phones" in handler.get("filters", []), name
    configured = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    ours = [h for h in configured if any(isinstance(f, MaskPhoneNumbers) for f in h.filters)]
    assert ours, "the root logger's console handler has the filter"


def test_gunicorn_logs_mask_phone_numbers():
    import runpy

    config = runpy.run_path("config/gunicorn.conf.py")
    log = type("Log", (), {})()
    log.access_log = logging.getLogger("test.gunicorn.access")
    log.error_log = logging.getLogger("test.gunicorn.error")
    config["post_worker_init"](type("Worker", (), {"log": log})())
    assert any(isinstance(f, MaskPhoneNumbers) for f in log.access_log.filters)
    assert any(isinstance(f, MaskPhoneNumbers) for f in log.error_log.filters)


def test_no_phone_number_in_the_logs_after_a_scripted_session(client, settings):
    """Register, fail to log in, log in, search the back office by number, fail an
    activation: the console handler's output has no full mobile number."""
    from residents import sms
    from tests.accounts import register
    from tests.factories import BuildingFactory

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    console = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskPhoneNumbers) for f in h.filters)
    )
    buffer = io.StringIO()
    old_stream = console.setStream(buffer)
    old_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        building = BuildingFactory()
        ResidentFactory(phone="13912340001", user=None, name="张三")
        register(client, "13912340002", building)
        client.post("/accounts/logout/")
        client.post("/accounts/login/", {"username": "13912340002", "password": "wrong"})
        client.post("/accounts/register/", {"phone": "13912340001"})
        client.post("/accounts/verify/", {"code": "000000"})
        client.post(
            "/accounts/activate/",
            {
                "phone": "13912340001",
                "code": "1234567890",
                "password1": "Lanzhou-2026-xp",
                "password2": "Lanzhou-2026-xp",
                "consent": "on",
            },
        )
        client.force_login(StaffUserFactory())
        client.get("/admin/residents/resident/?q=13912340001")
        client.get("/admin/residents/resident/13912340001/change/")
        client.get("/me/13912340001/")
        logging.getLogger("gongjian.test").warning("resident %s asked", "13912340001")
    finally:
        console.setStream(old_stream)
        logging.getLogger().setLevel(old_level)
    captured = buffer.getvalue()
    assert captured, "the session wrote to the log"
    assert "139****0001" in captured
    assert not re.search(r"1[3-9]\d{9}", captured), captured
    codes = [re.search(r"\d{6}", text.text).group() for text in sms.outbox]
    assert codes and not any(code in captured for code in codes)
