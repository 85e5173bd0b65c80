"""Site-wide views: the health check and the error pages in the site's style."""

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

#: The key /healthz writes and reads back in the cache (a short timeout: it never lingers).
HEALTHZ_CACHE_KEY = "healthz"


@never_cache
@require_safe
def healthz(request):
    """200 when the app, its database and its cache answer; 503 naming what does not.

    Every worker shares the cache (cached pages, throttles, lockouts, sessions when they
    are in Redis): a server that cannot reach it must leave the load balancer's pool too.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    try:
        cache.set(HEALTHZ_CACHE_KEY, 1, timeout=10)
        cache_ok = cache.get(HEALTHZ_CACHE_KEY) == 1
    except Exception:  # noqa: BLE001 - any cache failure (Redis down) means "not healthy"
        cache_ok = False
    if not cache_ok:
        return HttpResponse("cache unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@requires_csrf_token
def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # A 500 page must not touch the database or the request's user: keep it plain.
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
