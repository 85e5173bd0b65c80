"""Reference views for the HTTP benchmark, reachable only through `bench.urls`.

`bench.urls` is the URLconf only when `BENCH_VIEWS=1` (config/settings.py): never in a
normal deployment. Each view goes through the whole middleware stack like any page, so
the rates measured against them are the "floors" the pages are compared with:

- `floor`: a one-line view, the most a Django request here can do;
- `pk_lookup`: one primary-key lookup (an activity's title);
- `insert`: one row inserted in a transaction (the "insert floor" for sign-ups), into a
  table of its own that `ensure_insert_table()` creates (bench/prepare.py calls it);
- `insert_logged_in`: the same insert by a logged-in user (the session read and the user
  loaded, as on every resident's POST): what a sign-up costs before its own work.
"""

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from activities.models import Activity

INSERT_TABLE = "bench_insert"
_CREATE = {
    "postgresql": f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} "
    "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL)",
    "sqlite": f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} "
    "(id integer PRIMARY KEY AUTOINCREMENT, created_at datetime NOT NULL)",
}


def ensure_insert_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_CREATE[connection.vendor])


@require_safe
def floor(request):
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def pk_lookup(request, pk):
    activity = get_object_or_404(Activity.objects.only("title"), pk=pk)
    return HttpResponse(activity.title, content_type="text/plain; charset=utf-8")


# A POST checked against CSRF like a sign-up (the harness sends the token).
@require_POST
def insert(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {INSERT_TABLE} (created_at) VALUES (%s)", [timezone.now()])
    return HttpResponse("ok\n", content_type="text/plain")


# The same insert, as a resident's POST: the session read and the user loaded first.
@require_POST
def insert_logged_in(request):
    if not request.user.is_authenticated:
        return HttpResponseForbidden("log in\n", content_type="text/plain")
    return insert(request)
