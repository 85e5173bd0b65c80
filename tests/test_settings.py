"""Settings that the contracts rely on: production passes `check --deploy`, every response
carries a strict Content-Security-Policy, Chinese is the default language with English under
`/en/`, times are Shanghai's, and SQLite takes its write lock at BEGIN."""

import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_django(*args, **env) -> subprocess.CompletedProcess:
    """Run `python <args>` in the project root with the given environment variables.

    The suite's own DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright) is not passed on: production
    never sets it, and `check --deploy` rightly refuses it.
    """
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "example.org",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "EMAIL_URL": "smtp://gongjian@127.0.0.1:25",
    "SMS_BACKEND": "residents.sms.HttpSmsBackend",
    "SMS_GATEWAY_URL": "https://sms.example.org/send",
}


# --- production --------------------------------------------------------------------------


def test_check_deploy_passes_with_production_settings():
    result = run_django("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_the_development_secret_key():
    result = run_django(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**PRODUCTION, "SECRET_KEY": ""},
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


# --- Content-Security-Policy -------------------------------------------------------------


def page_with_an_inline_script(request):
    return HttpResponse(f'<script nonce="{request.csp_nonce}">document.title = "共建";</script>')


urlpatterns = [path("inline-script/", page_with_an_inline_script)]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/admin/login/"])
def test_responses_carry_a_strict_content_security_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.urls("tests.test_settings")
def test_an_inline_script_runs_only_with_the_requests_nonce(client):
    response = client.get("/inline-script/")
    nonce = response.content.decode().split('nonce="', 1)[1].split('"', 1)[0]
    assert len(nonce) >= 16
    script_src = policy(response)["script-src"]
    assert script_src == ["'self'", f"'nonce-{nonce}'"]
    again = client.get("/inline-script/")
    assert f"'nonce-{nonce}'" not in policy(again)["script-src"]


# --- language and time -------------------------------------------------------------------


@pytest.mark.django_db
def test_chinese_is_the_default_language(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    page = response.content.decode()
    assert "用户名" in page and "登录" in page


@pytest.mark.django_db
def test_plain_urls_stay_chinese_for_a_browser_that_prefers_english(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "用户名" in response.content.decode()


@pytest.mark.django_db
def test_english_is_served_under_en(client):
    response = client.get("/en/admin/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    page = response.content.decode()
    assert "Username" in page and "Log in" in page
    assert "用户名" not in page


def test_language_settings():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.USE_I18N is True


def test_times_are_stored_aware_and_shown_in_shanghai_time():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    noon_utc = dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)
    local = timezone.localtime(noon_utc)
    assert local.utcoffset() == dt.timedelta(hours=8)
    assert (local.hour, local.minute) == (12, 0)
    assert timezone.is_aware(timezone.now())


# --- database ----------------------------------------------------------------------------

SHOW_FIRST_STATEMENT_OF_A_TRANSACTION = """
import django
django.setup()
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
with CaptureQueriesContext(connection) as queries, transaction.atomic():
    connection.cursor().execute("SELECT 1")
print(connection.vendor)
print(connection.settings_dict["OPTIONS"].get("transaction_mode"))
print(queries.captured_queries[0]["sql"])
"""


def test_sqlite_transactions_take_the_write_lock_at_begin(tmp_path):
    result = run_django(
        "-c",
        SHOW_FIRST_STATEMENT_OF_A_TRANSACTION,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'lock.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    vendor, mode, first_statement = result.stdout.strip().splitlines()[-3:]
    assert vendor == "sqlite"
    assert mode == "IMMEDIATE"
    assert first_statement == "BEGIN IMMEDIATE"


def test_the_running_database_is_configured_for_its_engine():
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert database["OPTIONS"]["timeout"] >= 5
    else:
        assert "transaction_mode" not in database.get("OPTIONS", {})
        assert database["CONN_HEALTH_CHECKS"] is True


def _with_redis_cache(code: str, db: int):
    """Run `code` in `manage.py shell` with `cache` = the default cache on Redis DB `db`."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379 on this machine")
    return run_django(
        "manage.py",
        "shell",
        "-c",
        "from django.core.cache import caches; cache = caches['default']; " + code,
        CACHE_URL=f"redis://127.0.0.1:6379/{db}",
    )


def test_a_redis_cache_url_gives_a_working_shared_cache():
    result = _with_redis_cache(
        "cache.set('gongjian-check', 42, 5); "
        "print(type(cache).__name__, cache.get('gongjian-check'))",
        15,
    )
    assert "RedisCache 42" in result.stdout, result.stderr


def test_the_redis_cache_reuses_one_client_per_pool():
    result = _with_redis_cache(
        "cache.set('gongjian-client', 1, 5); cache.incr('gongjian-client'); "
        "clients = {id(cache._cache.get_client(write=w)) for w in (True, False)}; "
        "print(type(cache).__module__, len(clients), cache.get('gongjian-client'))",
        14,
    )
    assert "core.cache 1 2" in result.stdout, result.stderr
