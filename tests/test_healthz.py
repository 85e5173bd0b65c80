"""`/healthz` answers 200 when the app and its database answer, 503 when the database does not."""

import pytest
from django.db import OperationalError, connections

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content.decode().strip() == "ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_a_head_request(client):
    assert client.head("/healthz").status_code == 200


def test_healthz_refuses_a_post(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_answers_503_when_the_database_cursor_raises(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connections["default"], "cursor", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content.decode().strip() == "database unavailable"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_query_fails(client, monkeypatch):
    database = connections["default"]
    real_cursor = database.cursor

    class FailingCursor:
        def __init__(self):
            self._cursor = real_cursor()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._cursor.close()

        def execute(self, sql, params=None):
            raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(database, "cursor", FailingCursor)
    assert client.get("/healthz").status_code == 503


def test_healthz_answers_503_when_the_cache_raises(client, monkeypatch):
    from django.core.cache import cache

    def unreachable(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "set", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content.decode().strip() == "cache unavailable"


def test_healthz_answers_503_when_the_cache_forgets_what_it_was_given(client, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    assert client.get("/healthz").status_code == 503
