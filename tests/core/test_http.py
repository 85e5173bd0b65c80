"""Behind the reverse proxy, logins are counted per real client, not per proxy."""

import pytest
from django.test import RequestFactory

from core.http import client_ip


@pytest.fixture
def rf():
    return RequestFactory()


def test_a_direct_client_is_known_by_its_own_address_even_if_it_sends_headers(rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="198.51.100.1")
    assert client_ip(request) == "203.0.113.9"


def test_behind_the_proxy_the_real_ip_header_names_the_client(rf):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_behind_the_proxy_the_last_forwarded_address_is_the_one_the_proxy_saw(rf, settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.8")
    assert client_ip(request) == "198.51.100.8"


def test_a_forged_or_missing_header_falls_back_to_the_proxy_address(rf):
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="not-an-ip")) == (
        "127.0.0.1"
    )
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"


@pytest.mark.django_db
def test_ten_failures_from_one_client_do_not_lock_out_the_owner_behind_the_proxy(client):
    from tests.factories import ResidentFactory

    resident = ResidentFactory(phone="13855550001")
    url = "/accounts/login/"
    for _ in range(10):
        client.post(
            url,
            {"username": resident.phone, "password": "wrong-password"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP="198.51.100.66",
        )
    attacker = client.post(
        url,
        {"username": resident.phone, "password": "demo12345"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="198.51.100.66",
    )
    assert attacker.status_code == 429
    owner = client.post(
        url,
        {"username": resident.phone, "password": "demo12345"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="198.51.100.20",
    )
    assert owner.status_code == 302
