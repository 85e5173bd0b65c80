"""The scope adds no query per row: a community's staff's changelists cost the same at 5
rows as at 50, on an installation of several communities."""

import pytest
from django.urls import reverse

from tests.factories import CommunityFactory, StaffScopeFactory, StaffUserFactory
from tests.test_admin_changelists import BUILDERS, SUBDISTRICT_ONLY, _queries

pytestmark = pytest.mark.django_db

#: Lists of records that belong to no single community (superusers' and the subdistrict's).
NOT_COMMUNITY_LISTS = SUBDISTRICT_ONLY


@pytest.mark.parametrize("name", sorted(set(BUILDERS) - NOT_COMMUNITY_LISTS))
def test_a_community_staffs_changelist_queries_do_not_grow_with_rows(client, name):
    home = CommunityFactory()  # the factories' community: every builder's rows are its
    CommunityFactory(name="东岗社区")
    client.force_login(StaffScopeFactory(user=StaffUserFactory(), community=home).user)
    url = reverse(f"admin:{name}_changelist")
    build = BUILDERS[name]
    build(5)
    client.get(url)  # warm the per-process caches (content types, translations)
    at_5, response = _queries(client, url)
    shown_5 = response.context["cl"].result_count
    build(45)
    at_50, response = _queries(client, url)
    assert response.context["cl"].result_count > shown_5 or name == "residents_community"
    assert at_50 == at_5, f"{name}: {at_5} queries at 5 rows, {at_50} at 50"
