"""Whole public pages for anonymous readers, kept in the cache until anything they show
changes — never a stale seat count after a sign-up.

- `cache_public_page`: a view decorator. A GET or HEAD from someone not logged in, with no
  message waiting for them, is answered from the cache when the same page (scheme, host,
  path and query, language, `vary` of the view) was rendered under the current version in
  the current minute; otherwise the view renders it and the result is stored. Logged-in
  people, and anonymous readers with a message to show, always get a fresh render.
- `public_pages_changed()`: bumps the version (every cached page is then ignored) at the
  write and once again when its transaction commits: whatever a reader rendered from the
  data before the commit is thrown away with the version it was stored under.
- `invalidate_on_change(*models)`: every save and delete of these models (and changes to
  their many-to-many relations) calls `public_pages_changed()` — services, the admin and
  commands alike. Apps register the models their public pages show in `AppConfig.ready`.
  A write that bypasses the ORM's signals (`QuerySet.update()`, `bulk_create()`, raw SQL)
  must call `public_pages_changed()` itself.

The version lives in the default cache, which must therefore be shared by every process
that serves pages (Redis in production): `PAGE_CACHE_SECONDS` is 0 (off) by default with
the per-process local-memory cache (see config/settings.py). Keys also carry the current
minute, so a page never outlives the minute it was rendered in: what changes with the
clock alone ("进行中", "报名已截止", upcoming becoming past) is right to the minute, and
a write that bypassed the signals is seen within a minute.

CSRF tokens: a cached page holds a placeholder where `{% csrf_token %}` rendered the
reader's token, and each reader gets their own token (and cookie) in its place.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

VERSION_KEY = "pagecache:version"
CSRF_PLACEHOLDER = b"@@gongjian-csrf-token@@"
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _fresh_version() -> int:
    """A version never used before (the key may have been evicted and is started again)."""
    return time.time_ns()


def current_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY, _fresh_version())
    return version


def bump_version() -> None:
    """Never fails the write that calls it: a cache that does not answer is logged (its
    pages are unreachable then, and the minute in the keys retires them)."""
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet, or evicted: start from one never used
            cache.set(VERSION_KEY, _fresh_version(), timeout=None)
    except Exception:
        logger.exception("Page cache: the version could not be bumped")


def public_pages_changed(using: str | None = None) -> None:
    """What anonymous readers see has changed (or will, when this transaction commits).

    Bumped now and, in a transaction, once more when it commits (one callback per
    transaction, whatever the number of writes)."""
    bump_version()
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and not any(
        func is bump_version for _sids, func, _robust in connection.run_on_commit
    ):
        transaction.on_commit(bump_version, using=using, robust=True)


def _changed(sender, using=None, **kwargs) -> None:
    public_pages_changed(using=using)


def invalidate_on_change(*models) -> None:
    """Bump the version on every save and delete of `models` and on changes to their
    many-to-many relations."""
    for model in models:
        uid = f"pagecache:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ":save", weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ":delete", weak=False)
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _changed, sender=field.remote_field.through, dispatch_uid=uid + field.name
            )


def _cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and not len(get_messages(request))
    )


def _key(request, variant: str) -> str:
    minute = int(timezone.now().timestamp() // 60)
    where = hashlib.md5(  # noqa: S324 - a cache key, not a secret
        request.build_absolute_uri().encode(), usedforsecurity=False
    ).hexdigest()
    language = translation.get_language()
    return f"page:{current_version()}:{minute}:{language}:{variant}:{where}"


def _entry(response) -> tuple[bytes, dict]:
    content = _CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", response.content)
    return content, dict(response.items())


def _from_entry(request, entry) -> HttpResponse:
    content, headers = entry
    if CSRF_PLACEHOLDER in content:
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    return HttpResponse(content, headers=headers)


def _storable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and not request.user.is_authenticated
        and not len(get_messages(request))
    )


def cache_public_page(view=None, *, vary=None):
    """Answer anonymous readers from the cache (see the module's docstring). `vary(request)`
    names what else the page depends on (e.g. "wechat" for WeChat's browser)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            seconds = settings.PAGE_CACHE_SECONDS
            if not seconds or not _cacheable_request(request):
                return view(request, *args, **kwargs)
            try:
                key = _key(request, vary(request) if vary else "")
                entry = cache.get(key)
            except Exception:  # the cache does not answer: serve the page all the same
                logger.exception("Page cache: not available")
                return view(request, *args, **kwargs)
            if entry is not None:
                return _from_entry(request, entry)
            response = view(request, *args, **kwargs)
            if _storable(request, response):
                try:
                    cache.set(key, _entry(response), seconds)
                except Exception:
                    logger.exception("Page cache: a page could not be stored")
            return response

        return wrapped

    return decorator(view) if view is not None else decorator
