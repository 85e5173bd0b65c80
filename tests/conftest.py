"""Fixtures shared by the whole suite."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM then refuses
# to run unless told that this is safe (it is: tests are single-threaded here).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Serve static files without the manifest, so tests need no `collectstatic`."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    """Session-wide settings for tests, in force before any session-scoped fixture (the
    live server's middleware is built once, module-scoped data is made once):

    - production settings redirect to HTTPS and mark cookies secure; the test client and
      the browser's live server speak plain HTTP;
    - hashing with PBKDF2 costs ~0.3 s a login; tests don't need that strength;
    - text messages go to `residents.sms.outbox` (emptied before each test).
    - public pages are cached for anonymous readers as in production (core/pagecache.py;
      one process, so the local-memory cache is shared by all requests).
    - background tasks (jobs/) run at once in the test's thread (django-tasks'
      ImmediateBackend) when their transaction commits (tests capture the commit with
      `django_capture_on_commit_callbacks(execute=True)`); private files go to a
      temporary folder.
    """
    import tempfile

    from django.conf import settings
    from django.test import override_settings

    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        SMS_BACKEND="residents.sms.LocmemBackend",
        PAGE_CACHE_SECONDS=120,
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        PRIVATE_ROOT=tempfile.mkdtemp(prefix="gongjian-private-"),
        CACHES={
            **settings.CACHES,
            "jobs": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "jobs",
            },
        },
    ):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """A request served in English leaves English active in its thread; start and end each
    test in the site's default language."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    from residents import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import caches

    for alias in ("default", "jobs"):
        caches[alias].clear()
    yield
    for alias in ("default", "jobs"):
        caches[alias].clear()


@pytest.fixture
def complex_(db):
    from tests.factories import ComplexFactory

    return ComplexFactory()


@pytest.fixture
def resident(db):
    from tests.factories import ResidentFactory

    return ResidentFactory()


@pytest.fixture
def resident_client(client, resident):
    """A client logged in as a resident with a login."""
    client.force_login(resident.user)
    client.resident = resident
    return client


@pytest.fixture
def staff_user(db):
    from tests.factories import StaffUserFactory

    return StaffUserFactory()


@pytest.fixture
def secretary_user(db):
    from tests.factories import SecretaryUserFactory

    return SecretaryUserFactory()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def secretary_client(client, secretary_user):
    client.force_login(secretary_user)
    return client


def pytest_collection_modifyitems(items):
    """Every transactional test restores the database's serialized contents.

    A transactional test ends with a flush. Without `serialized_rollback` that flush runs
    post_migrate, which creates the content types, permissions and roles again under new
    ids; a later test with `serialized_rollback` (the race tests) then fails to restore the
    originals (duplicate content type). With it everywhere, no flush runs post_migrate and
    each transactional test starts from the same rows, whatever order xdist gives them.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = kwargs.get("transaction") or {"transactional_db", "live_server"} & set(
            getattr(item, "fixturenames", ())
        )
        if transactional and not kwargs.get("serialized_rollback"):
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
