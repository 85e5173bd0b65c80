"""The subdistrict's logins land where the community's do, and an unplaced user is told."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import (
    PASSWORD,
    CommunityFactory,
    StaffUserFactory,
    SubdistrictSecretaryUserFactory,
    SubdistrictStaffUserFactory,
)

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_the_subdistrict_secretary_lands_on_the_summary_and_its_staff_on_todays_work(client):
    SubdistrictSecretaryUserFactory(username="chenzm")
    SubdistrictStaffUserFactory(username="lisy")

    secretary = client.post(LOGIN, {"username": "chenzm", "password": PASSWORD})
    assert secretary["Location"] == reverse("summary:current")
    client.logout()
    staff = client.post(LOGIN, {"username": "lisy", "password": PASSWORD})
    assert staff["Location"] == reverse("admin:index")


def test_the_index_tells_an_unplaced_user_on_an_installation_of_several_communities(client):
    CommunityFactory()
    CommunityFactory(name="东岗社区")
    client.force_login(StaffUserFactory())

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("还没有分到任何社区或街道" in note for note in notes)


def test_the_index_says_nothing_of_it_on_a_one_community_installation(client):
    CommunityFactory()
    client.force_login(StaffUserFactory())

    response = client.get(reverse("admin:index"))

    assert "还没有分到任何社区或街道" not in response.content.decode()
    assert not [m for m in get_messages(response.wsgi_request) if "社区或街道" in str(m)]
