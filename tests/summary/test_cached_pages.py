"""The summary's month pages are cached for each reader (core.pagecache) until any row of
the apps it sums up changes: the second visit costs the login's queries, and a write is
on the page at once."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from summary.report import monthly_summary
from tests.factories import ResidentFactory, UserFactory
from tests.summary.factories import build_march_2026
from tests.summary.test_report import _grow
from tests.summary.test_views import _figure_cell

pytestmark = pytest.mark.django_db

MARCH = "/summary/2026/03/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _figures(html: str) -> dict:
    s = monthly_summary(year=2026, month=3)
    return {
        key: (_figure_cell(html, key), figure.display)
        for _group, rows in s.headline_groups()
        for key, _label, figure in rows
    }


def test_the_secretarys_second_visit_reads_only_the_login(secretary_client):
    build_march_2026()
    first = secretary_client.get(MARCH).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        second = secretary_client.get(MARCH)
    assert second.status_code == 200
    # The session, the login and its groups (who may read the summary).
    assert len(ctx.captured_queries) <= 3
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first)


def test_new_activities_and_sign_ups_in_the_month_are_on_the_page_at_once(secretary_client):
    build_march_2026()
    before = secretary_client.get(MARCH).content.decode()
    assert _figure_cell(before, "activities_held") == "3"

    _grow(2)

    after = secretary_client.get(MARCH).content.decode()
    assert _figure_cell(after, "activities_held") == "5"
    for key, (shown, computed) in _figures(after).items():
        assert shown == computed, key


def test_a_cached_summary_is_never_shown_to_a_resident(secretary_client):
    build_march_2026()
    assert secretary_client.get(MARCH).status_code == 200
    resident = Client()
    resident.force_login(ResidentFactory(user=UserFactory()).user)

    assert resident.get(MARCH).status_code == 403


def test_each_reader_gets_their_own_copy(secretary_client, staff_user):
    build_march_2026()
    secretary_client.get(MARCH)
    staff = Client()
    staff.force_login(staff_user)
    with CaptureQueriesContext(connection) as ctx:
        assert staff.get(MARCH).status_code == 200
    assert len(ctx.captured_queries) > 3  # rendered for staff, not the secretary's copy
