"""Throttles and lockouts in a store all processes share; production settings that would
count per process or log residents' data fail `check --deploy`; one client-IP header."""

import datetime as dt

import pytest
from django.core.checks import run_checks
from django.test import RequestFactory
from django.urls import reverse

from core.http import client_ip
from tests.factories import ResidentFactory

LOGIN = reverse("residents:login")


# --- deployment checks -------------------------------------------------------------------


def _deploy_ids():
    return {message.id for message in run_checks(include_deployment_checks=True)}


def test_a_per_process_cache_fails_the_deploy_check(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "gongjian.E001" in _deploy_ids()


def test_a_shared_cache_passes_the_deploy_check(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    }
    assert "gongjian.E001" not in _deploy_ids()


def test_the_console_mail_backend_fails_the_deploy_check_without_debug(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert "gongjian.E002" in _deploy_ids()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert "gongjian.E002" not in _deploy_ids()


def test_an_sms_backend_that_sends_nothing_fails_the_deploy_check_without_debug(settings):
    settings.DEBUG = False
    settings.SMS_BACKEND = "residents.sms.ConsoleBackend"
    assert "gongjian.E003" in _deploy_ids()
    settings.SMS_BACKEND = "residents.sms.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = ""
    assert "gongjian.E004" in _deploy_ids()
    settings.SMS_GATEWAY_URL = "https://sms.example.org/send"
    assert not {"gongjian.E003", "gongjian.E004"} & _deploy_ids()


def test_the_checks_are_deploy_only(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "gongjian.E001" not in {m.id for m in run_checks()}


# --- one trusted client-IP header ----------------------------------------------------------


def test_only_the_configured_header_is_believed(settings):
    rf = RequestFactory()
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    request = rf.get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="6.6.6.6", HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert client_ip(request) == "198.51.100.8"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    request = rf.get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6", HTTP_X_REAL_IP="198.51.100.9"
    )
    assert client_ip(request) == "198.51.100.9"
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "127.0.0.1"


# --- login: per client across accounts, and the lockout page -----------------------------------


@pytest.mark.django_db
def test_one_client_trying_many_accounts_is_locked_out(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    phones = [f"1390000{n:04d}" for n in range(8)]
    for phone in phones:
        ResidentFactory(phone=phone)
    statuses = [
        client.post(LOGIN, {"username": phone, "password": "spray-1234"}).status_code
        for phone in phones
    ]
    assert statuses[:4] == [200] * 4
    assert statuses[-1] == 429
    # Another client is not affected.
    other = client.post(
        LOGIN, {"username": phones[0], "password": "demo12345"}, REMOTE_ADDR="203.0.113.50"
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_the_lockout_page_is_translated_in_the_sites_layout(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.COMMUNITY_PHONE = "0931-1234567"
    ResidentFactory(phone="13900000001")
    for _ in range(3):
        response = client.post(LOGIN, {"username": "13900000001", "password": "wrong"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录尝试次数太多" in html
    assert "60 分钟后再试" in html
    assert "0931-1234567" in html
    assert 'class="navbar' in html or "<nav" in html  # the site's layout
    assert int(response["Retry-After"]) == 3600
    english = client.post(
        "/en" + LOGIN, {"username": "13900000001", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 429
    assert "Too many" in english.content.decode()


def test_cooloff_is_an_hour():
    from django.conf import settings

    assert dt.timedelta(hours=settings.AXES_COOLOFF_TIME) == dt.timedelta(hours=1)


# --- registration throttled per client and per number ------------------------------------------


CONTINUE = "/accounts/continue/"


@pytest.mark.django_db
def test_registration_is_throttled_per_client(client):
    from django.test import Client

    from residents.views import REGISTRATIONS_PER_IP
    from tests.accounts import prove_phone, registration_data
    from tests.factories import BuildingFactory

    building = BuildingFactory()
    statuses = []
    for n in range(REGISTRATIONS_PER_IP.limit + 1):
        prove_phone(client, f"1380000{n:04d}")
        statuses.append(
            client.post(CONTINUE, registration_data(building, password2="x")).status_code
        )
    assert statuses[:-1] == [200] * REGISTRATIONS_PER_IP.limit
    assert statuses[-1] == 429
    elsewhere = Client(REMOTE_ADDR="203.0.113.77")
    prove_phone(elsewhere, "13700000001")
    assert elsewhere.post(CONTINUE, registration_data(building)).status_code == 302


@pytest.mark.django_db
def test_registration_is_throttled_per_number_from_any_client(client):
    from residents.views import REGISTRATIONS_PER_PHONE
    from tests.accounts import prove_phone, registration_data
    from tests.factories import BuildingFactory

    building = BuildingFactory()
    prove_phone(client, "13912345678")
    for n in range(REGISTRATIONS_PER_PHONE.limit):
        client.post(
            CONTINUE,
            registration_data(building, password2="x"),
            REMOTE_ADDR=f"203.0.113.{n + 1}",
        )
    blocked = client.post(CONTINUE, registration_data(building), REMOTE_ADDR="198.51.100.1")
    assert blocked.status_code == 429
    assert "尝试次数太多" in blocked.content.decode()
