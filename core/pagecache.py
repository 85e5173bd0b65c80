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

Logged-in readers' pages (`cache_private_page`): the same, keyed also on the reader's
login and on *scope versions* (e.g. "resident:12", "household:4") that every write about
that scope bumps (`scopes_changed`, at the write and again at commit, like the public
version). A page for a logged-in reader is therefore reused only until the public data or
anything of theirs changes: never a stale seat count, never a stale "my sign-ups". The
app that owns the data says which writes concern which scopes (residents/ registers
every model that points at a resident or a household).

Round trips: a write's bumps (the public version, the scopes of the rows it touches, and
again at commit) are one cache call each; a service on a hot path wraps its transaction in
`batched()` so that all of them, at the writes and at the commit, go out in one round trip
when it ends (`services.sign_up`: seven round trips to Redis became one).

CSRF tokens: a cached page holds a placeholder where `{% csrf_token %}` rendered the
reader's token, and each reader gets their own token (and cookie) in its place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import secrets
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial, wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from core.dbrouting import used_replica

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


@dataclasses.dataclass
class _Bumps:
    """What a `batched()` block has to bump when it ends."""

    public: bool = False
    scopes: set[str] = dataclasses.field(default_factory=set)


_batch: ContextVar[_Bumps | None] = ContextVar("pagecache_batch", default=None)


@contextmanager
def batched():
    """Collect the bumps made inside the block and send them in ONE cache round trip at its
    end (`RedisCache.bump`; other caches: as many calls as before).

    Wrap a service's transaction in it (`with batched(), transaction.atomic():`): the bumps
    at its writes and those of its commit (the on-commit callbacks run inside the block)
    then go out together, right after the commit and before the service returns, so the
    next reader still sees the new version. What a bump at the write protects (a page
    rendered from the data before the commit) is thrown away by the commit's bump all the
    same. A transaction still open when the block ends (an outer one) bumps again at its
    own commit, as without the block. Nested blocks send at the outermost's end; the
    bumps are sent even when the block raises (a bump too many is harmless)."""
    if _batch.get() is not None:
        yield
        return
    bumps = _Bumps()
    token = _batch.set(bumps)
    try:
        yield
    finally:
        _batch.reset(token)
        _send(bumps.public, bumps.scopes)


def _send(public: bool, scopes) -> None:
    """Bump the public version (if `public`) and give each scope a new random version (a
    version is only ever compared for equality: any value never used before will do).
    Never fails the write that calls it: a cache that does not answer is logged (its pages
    are unreachable then, and the minute in the keys retires them)."""
    values = {_scope_key(s): secrets.randbits(63) for s in sorted(scopes)}
    if not (public or values):
        return
    bump = getattr(cache, "bump", None)  # Redis: one round trip (core.cache)
    if bump is not None:
        try:
            bump(counters=[VERSION_KEY] if public else [], start=_fresh_version(), values=values)
        except Exception:
            logger.exception("Page cache: the versions could not be bumped")
        return
    if public:
        try:
            try:
                cache.incr(VERSION_KEY)
            except ValueError:  # no version yet, or evicted: start from one never used
                cache.set(VERSION_KEY, _fresh_version(), timeout=None)
        except Exception:
            logger.exception("Page cache: the version could not be bumped")
    if values:
        try:
            cache.set_many(values, timeout=None)
        except Exception:
            logger.exception("Page cache: the versions of %s could not be bumped", scopes)


def bump_version() -> None:
    """Bump the public version now (at the end of the `batched()` block, if in one)."""
    bumps = _batch.get()
    if bumps is not None:
        bumps.public = True
    else:
        _send(True, ())


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


def _scope_key(scope: str) -> str:
    return f"pagecache:scope:{scope}"


def _bump_scopes_now(scopes) -> None:
    """Give each scope a new version, in one cache round trip (at the end of the
    `batched()` block, if in one)."""
    if not scopes:
        return
    bumps = _batch.get()
    if bumps is not None:
        bumps.scopes.update(scopes)
    else:
        _send(False, scopes)


def scopes_changed(*scopes: str, using: str | None = None) -> None:
    """What a logged-in reader of these scopes sees has changed (or will, when this
    transaction commits): bumped now and, in a transaction, once more when it commits (one
    callback per transaction, whatever the number of writes), as `public_pages_changed`."""
    scopes = tuple(dict.fromkeys(s for s in scopes if s))
    if not scopes:
        return
    _bump_scopes_now(scopes)
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return
    for _sids, func, _robust in connection.run_on_commit:
        if getattr(func, "func", None) is bump_pending_scopes:  # this transaction's
            func.args[0].update(scopes)
            return
    transaction.on_commit(partial(bump_pending_scopes, set(scopes)), using=using, robust=True)


def bump_pending_scopes(scopes: set[str]) -> None:
    """On commit: bump every scope the transaction changed."""
    _bump_scopes_now(sorted(scopes))


def _scope_row_changed(sender, using=None, *, scope: str, **kwargs) -> None:
    scopes_changed(scope, using=using)


def scope_on_change(scope: str, *models) -> None:
    """Bump `scope` on every save and delete of `models` and on changes to their
    many-to-many relations (for a page that shows figures over all of them)."""
    _on_writes(partial(_scope_row_changed, scope=scope), models, f"pagecache:{scope}:")


def _on_writes(handler, models, uid: str) -> None:
    """Connect `handler` to every save and delete of `models` and to changes to their
    many-to-many relations."""
    for model in models:
        prefix = uid + model._meta.label
        post_save.connect(handler, sender=model, dispatch_uid=prefix + ":save", weak=False)
        post_delete.connect(handler, sender=model, dispatch_uid=prefix + ":delete", weak=False)
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                handler,
                sender=field.remote_field.through,
                dispatch_uid=prefix + field.name,
                weak=False,
            )


def scope_versions(scopes, *, with_public: bool = False) -> list[int]:
    """The current version of each scope (one cache round trip when all are known),
    preceded by the public pages' version if asked."""
    keys = [VERSION_KEY] * with_public + [_scope_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _fresh_version(), timeout=None)
        found.update(cache.get_many(missing))
    return [found.get(key, 0) for key in keys]


def _changed(sender, using=None, **kwargs) -> None:
    public_pages_changed(using=using)


def invalidate_on_change(*models) -> None:
    """Bump the version on every save and delete of `models` and on changes to their
    many-to-many relations."""
    _on_writes(_changed, models, "pagecache:")


def _cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and not len(get_messages(request))
        # Read from a replica that may lag behind a sign-up just committed: storing it under
        # the new version would show the old seat count until the page expires.
        and not used_replica()
    )


def _key(request, variant: str, version: int | None = None) -> str:
    minute = int(timezone.now().timestamp() // 60)
    where = hashlib.md5(  # noqa: S324 - a cache key, not a secret
        request.build_absolute_uri().encode(), usedforsecurity=False
    ).hexdigest()
    language = translation.get_language()
    if version is None:
        version = current_version()
    return f"page:{version}:{minute}:{language}:{variant}:{where}"


def _entry(response) -> tuple[bytes, dict]:
    content = _CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", response.content)
    return content, dict(response.items())


def _from_entry(request, entry) -> HttpResponse:
    content, headers = entry
    if CSRF_PLACEHOLDER in content:
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    return HttpResponse(content, headers=headers)


def _storable(request, response, *, private: bool = False) -> bool:
    """A plain 200 with nothing personal in its headers and no message shown; the
    anonymous cache never stores what a logged-in person got."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and (private or not request.user.is_authenticated)
        and not len(get_messages(request))
    )


def _private_key(request, scopes: list[str], variant: str) -> str:
    """The public version and the scopes' versions are read in one round trip."""
    public, *versions = scope_versions(scopes, with_public=True)
    mark = ".".join(str(v) for v in versions)
    return f"private:{request.user.pk}:{mark}:{_key(request, variant, version=public)}"


#: Seconds a request waits for another one rendering the same page (then renders itself).
RENDER_WAIT = 5.0
_POLL = 0.02


def _waited_for(key: str, lock: str):
    """The entry another request is rendering, once it is stored; None if that request
    stored nothing (a page not storable) or took longer than RENDER_WAIT."""
    deadline = time.monotonic() + RENDER_WAIT
    while time.monotonic() < deadline:
        time.sleep(_POLL)
        entry = cache.get(key)
        if entry is not None:
            return entry
        if cache.get(lock) is None:  # it finished without storing
            return None
    return None


def _from_cache_or_render(request, key: str, render, *, private: bool):
    """The entry under `key`, or the page rendered and stored. Concurrent misses of one
    key render it once: the first takes a short lock, the others wait for its entry
    (a cold page with 100 sign-ups and their QR codes took 8 renders at once, seconds
    each, at 8 concurrent readers)."""
    lock = key + ":rendering"
    try:
        entry = cache.get(key)
        if entry is None and not cache.add(lock, 1, timeout=RENDER_WAIT):
            entry = _waited_for(key, lock)
            lock = None  # not ours
    except Exception:
        logger.exception("Page cache: not available")
        return render()
    if entry is not None:
        return _from_entry(request, entry)
    try:
        response = render()
        if _storable(request, response, private=private):
            try:
                cache.set(key, _entry(response), settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.exception("Page cache: a page could not be stored")
        return response
    finally:
        if lock is not None:
            try:
                cache.delete(lock)
            except Exception:
                logger.exception("Page cache: a render lock could not be released")


def _serve_private(request, scopes, variant, render):
    """The logged-in reader's page from the cache, or `render()`ed and stored."""
    if (
        not scopes
        or request.method not in ("GET", "HEAD")
        or len(get_messages(request))
        or used_replica()
    ):
        return render()
    try:
        key = _private_key(request, scopes, variant)
    except Exception:
        logger.exception("Page cache: not available")
        return render()
    return _from_cache_or_render(request, key, render, private=True)


def cache_private_page(view=None, *, scopes, vary=None):
    """Answer a logged-in reader from the cache while neither the public data nor any of
    `scopes(request, *args, **kwargs)` (a list of scope names; empty: never cached) has
    changed since the page was rendered for them (see the module's docstring)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not settings.PAGE_CACHE_SECONDS or not request.user.is_authenticated:
                return view(request, *args, **kwargs)
            return _serve_private(
                request,
                scopes(request, *args, **kwargs),
                vary(request) if vary else "",
                lambda: view(request, *args, **kwargs),
            )

        return wrapped

    return decorator(view) if view is not None else decorator


def cache_public_page(view=None, *, vary=None, private_scopes=None):
    """Answer anonymous readers from the cache (see the module's docstring). `vary(request)`
    names what else the page depends on (e.g. "wechat" for WeChat's browser).
    `private_scopes(request, *args, **kwargs)`, if given, caches the page for logged-in
    readers too (as `cache_private_page`)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            seconds = settings.PAGE_CACHE_SECONDS
            if seconds and private_scopes and request.user.is_authenticated:
                return _serve_private(
                    request,
                    private_scopes(request, *args, **kwargs),
                    vary(request) if vary else "",
                    lambda: view(request, *args, **kwargs),
                )
            if not seconds or not _cacheable_request(request):
                return view(request, *args, **kwargs)
            try:
                key = _key(request, vary(request) if vary else "")
            except Exception:  # the cache does not answer: serve the page all the same
                logger.exception("Page cache: not available")
                return view(request, *args, **kwargs)
            return _from_cache_or_render(
                request, key, lambda: view(request, *args, **kwargs), private=False
            )

        return wrapped

    return decorator(view) if view is not None else decorator
