"""Residents without a household belong to the community that registered them
(`Resident.registered_in`), and walk-ins at the door keep an activity's `residents_only`."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from activities import services
from activities.models import Activity
from partners.models import Lead
from residents.models import Resident
from residents.scoping import scoped
from residents.services import register_at_the_door
from tests.factories import (
    ActivityFactory,
    BuildingFactory,
    CommunityFactory,
    ComplexFactory,
    HouseholdFactory,
    LeadFactory,
    ResidentFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
    SubdistrictStaffUserFactory,
)
from tests.subdistrict.test_migration import _migrate

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    subdistrict = SubdistrictFactory()
    return {
        key: ComplexFactory(
            community=CommunityFactory(name=name, subdistrict=subdistrict), name=complex_name
        )
        for key, name, complex_name in [
            ("a", "小西坪社区", "铁建丽苑小区"),
            ("b", "东岗社区", "东岗小区"),
        ]
    }


def _staff_of(complex_):
    return StaffScopeFactory(user=StaffUserFactory(), community=complex_.community).user


def _desk(activity):
    return reverse("admin:activities_activity_check_in", args=[activity.pk])


def _desk_says(response) -> str:
    result = response.context["result"]
    return result["headline"] if result else ""


# --- registered without an address --------------------------------------------------------


def test_a_walk_in_registered_without_an_address_is_found_by_the_staff_who_registered_them(
    client, places
):
    activity = ActivityFactory(complex=places["a"], at_the_door=True)
    client.force_login(_staff_of(places["a"]))

    response = client.post(
        _desk(activity), {"action": "register", "name": "马兰英", "phone": ""}, follow=True
    )

    assert "马兰英" in _desk_says(response)
    walker = Resident.objects.get(name="马兰英")
    assert walker.household is None and walker.registered_in == places["a"].community
    listed = client.get(reverse("admin:residents_resident_changelist"), {"q": "马兰英"})
    assert [r.name for r in listed.context["cl"].result_list] == ["马兰英"]
    assert (
        client.get(reverse("admin:residents_resident_change", args=[walker.pk])).status_code == 200
    )
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "activities",
            "model_name": "signup",
            "field_name": "resident",
            "term": "马兰英",
        },
    ).json()["results"]
    assert [result["id"] for result in found] == [str(walker.pk)]

    client.force_login(_staff_of(places["b"]))
    listed = client.get(reverse("admin:residents_resident_changelist"), {"q": "马兰英"})
    assert listed.context["cl"].result_count == 0
    assert (
        client.get(reverse("admin:residents_resident_change", args=[walker.pk])).status_code == 404
    )
    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "activities", "model_name": "signup", "field_name": "resident", "term": "马"},
    ).json()["results"]
    assert str(walker.pk) not in {result["id"] for result in found}


def test_a_resident_added_without_an_address_in_the_admin_is_the_staff_users_community(
    client, places
):
    client.force_login(_staff_of(places["b"]))

    response = client.post(
        reverse("admin:residents_resident_add"), {"name": "赵大爷", "phone": "", "email": ""}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Resident.objects.get(name="赵大爷").registered_in == places["b"].community


def test_registered_at_the_door_with_an_address_is_the_households_community(places):
    building = BuildingFactory(complex=places["a"])

    resident = register_at_the_door(
        name="王芳", building=building, room="0101", community=places["b"].community
    )

    assert resident.household is not None and resident.registered_in is None
    assert list(Resident.objects.filter(Resident.community_q([places["a"].community_id]))) == [
        resident
    ]


def test_what_a_registered_resident_offers_is_their_communitys(places):
    walker = ResidentFactory(household=None, registered_in=places["a"].community, user=None)
    lead = LeadFactory(offered_by=walker)

    assert list(scoped(Lead.objects.all(), _staff_of(places["a"]))) == [lead]
    assert not scoped(Lead.objects.all(), _staff_of(places["b"])).exists()


def test_a_registered_resident_without_a_household_reads_the_public_site_as_their_community(
    client, places
):
    ActivityFactory(complex=places["a"], title="小西坪本社区")
    ActivityFactory(complex=places["b"], title="东岗本社区")
    walker = ResidentFactory(household=None, registered_in=places["b"].community)
    client.force_login(walker.user)

    listed = [a.title for a in client.get(reverse("activities:list")).context["activities"]]

    assert listed == ["东岗本社区"]


BEFORE = [("residents", "0010_resident_registered_in")]
AFTER = [("residents", "0011_registered_in_of_the_one_community")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("communities", [1, 2])
def test_the_migration_places_residents_without_a_household_in_the_one_community(communities):
    try:
        old = _migrate(BEFORE)
        Community = old.get_model("residents", "Community")
        Subdistrict = old.get_model("residents", "Subdistrict")
        Resident_ = old.get_model("residents", "Resident")
        subdistrict = Subdistrict.objects.create(name="西站街道")
        for n in range(communities):
            Community.objects.create(name=f"社区{n}", subdistrict=subdistrict)
        Resident_.objects.create(name="马兰英", phone="")

        new = _migrate(AFTER)
        placed = new.get_model("residents", "Resident").objects.get(name="马兰英")
        if communities == 1:
            assert placed.registered_in.name == "社区0"
        else:
            assert placed.registered_in is None

        back = _migrate(BEFORE)
        assert back.get_model("residents", "Resident").objects.filter(name="马兰英").exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- residents only, at the door ----------------------------------------------------------


def _residents_only(complex_):
    return ActivityFactory(complex=complex_, at_the_door=True, residents_only=True)


def _of(complex_):
    return ResidentFactory(household=HouseholdFactory(building=BuildingFactory(complex=complex_)))


def test_a_walk_in_from_another_community_is_refused_at_a_residents_only_activity(places):
    activity = _residents_only(places["a"])
    stranger = _of(places["b"])

    with pytest.raises(ValidationError) as refused:
        services.walk_in(activity=activity, resident=stranger)

    assert refused.value.code == "residents_only"
    assert refused.value.messages == ["该活动仅限本社区居民报名。"]
    assert not activity.signups.exists()
    assert services.walk_in(activity=activity, resident=_of(places["a"])).attended


def test_a_walk_in_registered_elsewhere_without_a_household_is_refused(places):
    activity = _residents_only(places["a"])
    elsewhere = ResidentFactory(household=None, registered_in=places["b"].community)
    nowhere = ResidentFactory(household=None, registered_in=None)

    for resident in (elsewhere, nowhere):
        with pytest.raises(ValidationError) as refused:
            services.walk_in(activity=activity, resident=resident)
        assert refused.value.code == "residents_only"


def test_a_walk_in_registered_here_without_a_household_is_let_in(places):
    activity = _residents_only(places["a"])
    here = ResidentFactory(household=None, registered_in=places["a"].community)

    signup = services.walk_in(activity=activity, resident=here)

    assert signup.attended and signup.walk_in
    assert services.lives_in_community_of(resident=here, activity=activity)


def test_a_walk_in_at_an_activity_open_to_everyone_is_let_in_from_anywhere(places):
    activity = ActivityFactory(
        complex=places["a"], at_the_door=True, audience=Activity.Audience.SUBDISTRICT
    )

    assert services.walk_in(activity=activity, resident=_of(places["b"])).attended


def test_the_desk_shows_why_a_walk_in_from_another_community_is_refused(client, places):
    activity = _residents_only(places["a"])
    stranger = _of(places["b"])
    subdistrict = places["a"].community.subdistrict
    client.force_login(
        StaffScopeFactory(
            user=SubdistrictStaffUserFactory(), community=None, subdistrict=subdistrict
        ).user
    )

    response = client.post(
        _desk(activity), {"action": "walk_in", "resident": stranger.pk}, follow=True
    )

    assert _desk_says(response) == "该活动仅限本社区居民报名。"
    assert "该活动仅限本社区居民报名。" in response.content.decode()
    assert not activity.signups.exists()


def test_a_walk_in_registered_at_the_desk_of_a_residents_only_activity_is_let_in(client, places):
    activity = _residents_only(places["a"])
    client.force_login(_staff_of(places["a"]))

    response = client.post(
        _desk(activity), {"action": "register", "name": "马兰英", "phone": ""}, follow=True
    )

    assert "马兰英" in _desk_says(response)
    assert activity.signups.get().attended
