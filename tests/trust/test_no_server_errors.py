"""No URL answers 500 to malformed ids and parameters, whoever asks.

Every URL pattern of the project (public pages, /me/, the summary, every admin view with
its history, actions, import, export and autocomplete) is requested with non-numeric and
huge ids, NUL bytes, and huge years in date filters, as a stranger, a resident, staff and
the party secretary. A new URL is walked without anyone adding it here.
"""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLResolver, get_resolver

from tests.factories import ResidentFactory, SecretaryUserFactory, StaffUserFactory
from tests.summary.factories import build_march_2026

pytestmark = pytest.mark.django_db

BAD_IDS = ("abc", "1%00", "99999999999999999999")
BAD_INTS = ("0", "99999999999999999999")
QUERIES = (
    "?q=%00",
    "?q=1%00&p=abc&o=zz.-x",
    "?next=%00&year=99999&month=99&date=99999-01-01",
    "?starts_at__gte=99999-01-01&created_at__lt=99999-12-31&signed_on__gte=0000-00-00",
    "?starts_at__year=99999&starts_at__month=13&created_at__day=99",
    "?id__exact=abc&status__exact=%00&complex__id__exact=99999999999999999999",
    "?app_label=%00&model_name=x&field_name=%00&term=%00",
    "?_changelist_filters=%00&_to_field=%00&_popup=1",
)
SKIP = ("admin/logout/", "i18n/setlang/", "accounts/logout/", "admin/jsi18n/")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


_PARAM = re.compile(r"<(?:(\w+):)?\w+>|\(\[\^/\]\+\)|\(\?P<\w+>[^)]*\)")


def _fill(template: str) -> list[str]:
    """Concrete paths for a pattern, each parameter filled with malformed values."""
    template = template.replace("^", "").replace("$", "")
    paths = [""]
    position = 0
    for match in _PARAM.finditer(template):
        literal = template[position : match.start()]
        values = BAD_INTS if match.group(1) == "int" else BAD_IDS
        paths = [p + literal + v for p in paths for v in values][:6]
        position = match.end()
    return ["/" + p + template[position:] for p in paths]


def all_paths() -> list[str]:
    paths = []
    for template in _walk(get_resolver().url_patterns):
        if (
            any(template.startswith(skip) for skip in SKIP)
            or "(?P<" in template
            and "i18n" in template
        ):
            continue
        paths.extend(_fill(template))
    return sorted(set(paths))


def _client(role):
    client = Client(raise_request_exception=False)
    if role == "resident":
        client.force_login(ResidentFactory(is_verified=True).user)
    elif role == "staff":
        client.force_login(StaffUserFactory())
    elif role == "secretary":
        client.force_login(SecretaryUserFactory())
    return client


def _admin_posts():
    """Admin actions on every changelist with malformed selected ids."""
    for model in admin.site._registry:
        opts = model._meta
        yield (
            f"/admin/{opts.app_label}/{opts.model_name}/",
            {
                "action": "delete_selected",
                "_selected_action": ["abc", "1\x00", "99999999999999999999"],
                "index": "0",
            },
        )


PUBLIC_POST = {
    "q": "\x00",
    "name": "\x00",
    "phone": "1\x00",
    "resident": "abc",
    "code": "\x00",
    "rating": "99999999999999999999",
    "building": "99999999999999999999",
    "birth_year": "99999999999",
    "organisation": "\x00",
    "title": "\x00",
    "username": "\x00",
    "password": "\x00",
    "month": "99999-99",
    "next": "\x00",
}


@pytest.mark.parametrize("role", ["anonymous", "resident", "staff", "secretary"])
def test_no_url_answers_500_to_malformed_input(role):
    build_march_2026()
    client = _client(role)
    failures = []
    paths = all_paths()
    assert len(paths) > 150
    posted = set()
    for path in paths:
        has_id = any(b in path for b in BAD_IDS)
        for query in ("",) if has_id else ("", *QUERIES):
            response = client.get(path + query)
            if response.status_code >= 500:
                failures.append(("GET", path + query, response.status_code))
        # One POST of malformed fields for each pattern (not for each malformed id).
        shape = re.sub("|".join(re.escape(b) for b in BAD_IDS), "*", path)
        if shape in posted:
            continue
        posted.add(shape)
        response = client.post(path, PUBLIC_POST)
        if response.status_code >= 500:
            failures.append(("POST", path, response.status_code))
    for path, data in _admin_posts():
        response = client.post(path, data)
        if response.status_code >= 500:
            failures.append(("POST action", path, response.status_code))
    assert failures == [], failures[:30]
