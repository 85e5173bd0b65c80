"""The public site of a subdistrict's communities: whose activities a reader sees, the
anonymous visitor's chooser, and who may sign up (activities/readers.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities import services
from activities.models import Activity, Category
from activities.readers import COOKIE
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    CommunityFactory,
    ComplexFactory,
    HouseholdFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    ServiceProjectFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictStaffUserFactory,
)

pytestmark = pytest.mark.django_db

SUBDISTRICT_WIDE = Activity.Audience.SUBDISTRICT


@pytest.fixture
def places():
    """西站街道's three communities, one complex each."""
    return {
        key: ComplexFactory(community=CommunityFactory(name=name), name=complex_name)
        for key, name, complex_name in [
            ("xiaoxiping", "小西坪社区", "铁建丽苑小区"),
            ("xijin", "西津社区", "西津花园"),
            ("zhannan", "站南社区", "站南小区"),
        ]
    }


def resident_of(complex_):
    return ResidentFactory(household=HouseholdFactory(building=BuildingFactory(complex=complex_)))


def listed(response) -> list[str]:
    return [a.title for a in response.context["activities"]]


def test_a_resident_sees_their_own_communitys_activities_first_then_those_opened_to_all(
    client, places
):
    ActivityFactory(title="西津全街道", complex=places["xijin"], audience=SUBDISTRICT_WIDE)
    ActivityFactory(title="西津本社区", complex=places["xijin"])
    ActivityFactory(title="站南本社区", complex=places["zhannan"])
    ActivityFactory(title="小西坪本社区", complex=places["xiaoxiping"])
    client.force_login(resident_of(places["xiaoxiping"]).user)

    assert listed(client.get(reverse("activities:list"))) == ["小西坪本社区", "西津全街道"]
    home = client.get(reverse("home")).context
    assert [a.title for a in home["this_week"] + home["later"]] == ["小西坪本社区", "西津全街道"]


def test_own_activities_come_first_even_when_an_open_one_starts_sooner(client, places):
    soon = ActivityFactory(title="西津全街道", complex=places["xijin"], audience=SUBDISTRICT_WIDE)
    ActivityFactory(
        title="站南本社区",
        complex=places["zhannan"],
        starts_at=soon.starts_at.replace(year=soon.starts_at.year + 1),
        ends_at=soon.ends_at.replace(year=soon.ends_at.year + 1),
    )
    client.force_login(resident_of(places["zhannan"]).user)

    response = client.get(reverse("activities:list"))

    assert listed(response) == ["站南本社区", "西津全街道"]
    assert "全街道活动" in response.content.decode()


def test_an_anonymous_visitor_sees_the_whole_subdistrict_and_filters_by_community(client, places):
    ActivityFactory(title="西津本社区", complex=places["xijin"])
    ActivityFactory(title="站南本社区", complex=places["zhannan"])
    ActivityFactory(title="小西坪全街道", complex=places["xiaoxiping"], audience=SUBDISTRICT_WIDE)
    url = reverse("activities:list")

    assert sorted(listed(client.get(url))) == ["小西坪全街道", "站南本社区", "西津本社区"]
    zhannan = places["zhannan"].community_id
    assert listed(client.get(url, {"community": zhannan})) == ["站南本社区", "小西坪全街道"]


def test_the_community_filter_combines_with_category_and_words(client, places):
    xijin = places["xijin"]
    ActivityFactory(title="西津义诊", complex=xijin, category=Category.HEALTH)
    ActivityFactory(title="西津书法", complex=xijin, category=Category.CULTURE)
    ActivityFactory(title="站南义诊", complex=places["zhannan"], category=Category.HEALTH)
    ActivityFactory(
        title="小西坪义诊讲座",
        complex=places["xiaoxiping"],
        category=Category.HEALTH,
        audience=SUBDISTRICT_WIDE,
    )
    url = reverse("activities:list")
    query = {"community": xijin.community_id, "category": Category.HEALTH}

    assert listed(client.get(url, query)) == ["西津义诊", "小西坪义诊讲座"]
    assert listed(client.get(url, {**query, "q": "讲座"})) == ["小西坪义诊讲座"]
    assert listed(client.get(url, {**query, "when": "past"})) == []


def test_the_chosen_community_is_remembered_for_the_next_visit(client, places):
    ActivityFactory(title="西津本社区", complex=places["xijin"])
    ActivityFactory(title="站南本社区", complex=places["zhannan"])
    home = client.get(reverse("home")).content.decode()
    assert "记住我的社区" in home

    response = client.post(
        reverse("activities:choose_community"),
        {"community": places["zhannan"].community_id, "next": reverse("activities:list")},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("activities:list")
    assert response.cookies[COOKIE].value == str(places["zhannan"].community_id)
    assert listed(client.get(reverse("activities:list"))) == ["站南本社区"]
    # Choosing the whole subdistrict forgets the choice.
    client.post(reverse("activities:choose_community"), {"community": ""})
    assert sorted(listed(client.get(reverse("activities:list")))) == ["站南本社区", "西津本社区"]


def test_a_community_that_does_not_exist_is_not_remembered(client, places):
    response = client.post(reverse("activities:choose_community"), {"community": "99999"})
    assert response.status_code == 302
    assert not response.cookies[COOKIE].value
    assert client.get(reverse("activities:choose_community")).status_code == 405


def test_two_visitors_with_different_choices_get_their_own_cached_lists(client, places):
    ActivityFactory(title="西津本社区", complex=places["xijin"])
    ActivityFactory(title="站南本社区", complex=places["zhannan"])
    url = reverse("activities:list")
    client.cookies[COOKIE] = str(places["xijin"].community_id)
    client.get(url)  # stored in the page cache for this choice
    other = type(client)()
    other.cookies[COOKIE] = str(places["zhannan"].community_id)

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url).content.decode()
    assert len(queries) == 0  # from the cache
    theirs = other.get(url).content.decode()

    assert "西津本社区" in again and "站南本社区" not in again
    assert "站南本社区" in theirs and "西津本社区" not in theirs


def test_partner_directory_and_projects_show_the_readers_community(client, places):
    AgreementFactory(partner=PartnerFactory(name="西津物业"), complex=places["xijin"])
    AgreementFactory(partner=PartnerFactory(name="站南律所"), complex=places["zhannan"])
    ServiceProjectFactory(title="西津管道更换", complex=places["xijin"])
    ServiceProjectFactory(title="站南修剪树木", complex=places["zhannan"])
    client.force_login(resident_of(places["xijin"]).user)

    partners = client.get(reverse("activities:partners")).content.decode()
    projects = client.get(reverse("activities:projects")).content.decode()

    assert "西津物业" in partners and "站南律所" not in partners
    assert "西津管道更换" in projects and "站南修剪树木" not in projects


def _feed(client, **query) -> str:
    response = client.get(reverse("activities:feed"), query)
    assert response["Content-Type"].startswith("text/calendar")
    return response.content.decode()


def test_the_calendar_feed_lists_what_the_reader_reads_as(client, places):
    ActivityFactory(title="西津本社区", complex=places["xijin"])
    ActivityFactory(title="站南本社区", complex=places["zhannan"])
    ActivityFactory(title="小西坪全街道", complex=places["xiaoxiping"], audience=SUBDISTRICT_WIDE)
    everything = ("西津本社区", "站南本社区", "小西坪全街道")

    assert all(title in _feed(client) for title in everything)
    client.cookies[COOKIE] = str(places["zhannan"].community_id)
    chosen = _feed(client)
    assert "站南本社区" in chosen and "小西坪全街道" in chosen and "西津本社区" not in chosen
    client.cookies.pop(COOKIE)
    client.force_login(resident_of(places["xijin"]).user)
    own = _feed(client)
    assert "西津本社区" in own and "小西坪全街道" in own and "站南本社区" not in own
    asked = _feed(client, community=places["zhannan"].community_id)
    assert "站南本社区" in asked and "西津本社区" not in asked
    assert all(title in _feed(client, community="all") for title in everything)


def test_the_pages_link_the_calendar_feed_of_the_community_they_read_as(client, places):
    client.force_login(resident_of(places["xijin"]).user)
    ActivityFactory(complex=places["xijin"])
    feed = f'{reverse("activities:feed")}?community={places["xijin"].community_id}"'

    assert feed in client.get(reverse("activities:list")).content.decode()


def test_two_visitors_with_different_choices_get_their_own_cached_feeds(client, places):
    ActivityFactory(title="西津本社区", complex=places["xijin"])
    ActivityFactory(title="站南本社区", complex=places["zhannan"])
    client.cookies[COOKIE] = str(places["xijin"].community_id)
    _feed(client)  # stored in the page cache for this choice
    other = type(client)()
    other.cookies[COOKIE] = str(places["zhannan"].community_id)

    with CaptureQueriesContext(connection) as queries:
        again = _feed(client)
    assert len(queries) == 0  # from the cache
    theirs = _feed(other)
    everyone = _feed(type(client)())

    assert "西津本社区" in again and "站南本社区" not in again
    assert "站南本社区" in theirs and "西津本社区" not in theirs
    assert "站南本社区" in everyone and "西津本社区" in everyone


def test_a_partners_page_shows_what_the_readers_community_has_of_it(client, places):
    partner = PartnerFactory(name="中国移动")
    for key, name in (("xijin", "西津"), ("zhannan", "站南")):
        agreement = AgreementFactory(partner=partner, complex=places[key], title=f"{name}协议")
        ResourceCommitmentFactory(partner=partner, agreement=agreement, title=f"{name}课堂")
        ActivityFactory(title=f"{name}本社区", complex=places[key], partners=[partner])
    ActivityFactory(
        title="小西坪全街道",
        complex=places["xiaoxiping"],
        audience=SUBDISTRICT_WIDE,
        partners=[partner],
    )
    url = reverse("activities:partner", args=[partner.pk])
    client.cookies[COOKIE] = str(places["xijin"].community_id)

    page = client.get(url).content.decode()
    theirs = client.get(url, {"community": places["zhannan"].community_id}).content.decode()

    assert "西津协议" in page and "西津课堂" in page and "西津本社区" in page
    assert "小西坪全街道" in page
    assert "站南协议" not in page and "站南课堂" not in page and "站南本社区" not in page
    assert "站南协议" in theirs and "站南本社区" in theirs and "西津本社区" not in theirs
    client.cookies.pop(COOKIE)
    everyone = client.get(url).content.decode()
    assert "西津本社区" in everyone and "站南本社区" in everyone


def test_staff_of_one_community_read_the_public_site_as_it(client, places):
    ActivityFactory(title="西津本社区", complex=places["xijin"])
    ActivityFactory(title="站南本社区", complex=places["zhannan"])
    staff = StaffScopeFactory(user=StaffUserFactory(), community=places["xijin"].community).user
    client.force_login(staff)
    url = reverse("activities:list")

    assert listed(client.get(url)) == ["西津本社区"]
    assert listed(client.get(url, {"community": places["zhannan"].community_id})) == ["站南本社区"]
    assert sorted(listed(client.get(url, {"community": "all"}))) == ["站南本社区", "西津本社区"]

    subdistrict = places["xijin"].community.subdistrict
    client.force_login(
        StaffScopeFactory(
            user=SubdistrictStaffUserFactory(), community=None, subdistrict=subdistrict
        ).user
    )
    assert sorted(listed(client.get(url))) == ["站南本社区", "西津本社区"]


def test_a_one_community_installation_feeds_and_shows_partners_as_before(client):
    complex_ = ComplexFactory()
    partner = PartnerFactory(name="中国移动")
    AgreementFactory(partner=partner, complex=complex_, title="本社区协议")
    ActivityFactory(title="本社区活动", complex=complex_, partners=[partner])
    ActivityFactory(
        title="另一小区活动", complex=ComplexFactory(name="另一小区"), partners=[partner]
    )
    client.force_login(
        StaffScopeFactory(user=StaffUserFactory(), community=complex_.community).user
    )

    feed = _feed(client, community=complex_.community_id)
    page = client.get(reverse("activities:partner", args=[partner.pk])).content.decode()

    assert "本社区活动" in feed and "另一小区活动" in feed
    assert "本社区协议" in page and "本社区活动" in page and "另一小区活动" in page
    assert (
        'href="/activities/calendar.ics"' in client.get(reverse("activities:list")).content.decode()
    )


# --- eligibility ---------------------------------------------------------------------------


def test_sign_up_refuses_a_resident_of_another_community_for_its_residents_only(places):
    activity = ActivityFactory(
        complex=places["zhannan"], audience=SUBDISTRICT_WIDE, residents_only=True
    )

    with pytest.raises(ValidationError) as refused:
        services.sign_up(activity=activity, resident=resident_of(places["xijin"]))

    assert refused.value.code == "residents_only"
    assert not activity.signups.exists()
    neighbour = resident_of(places["zhannan"])
    assert services.sign_up(activity=activity, resident=neighbour).created


def test_the_activity_page_says_why_a_resident_of_another_community_cannot_sign_up(client, places):
    activity = ActivityFactory(complex=places["zhannan"], residents_only=True)
    client.force_login(resident_of(places["xijin"]).user)

    page = client.get(activity.get_absolute_url()).content.decode()

    assert "该活动仅限本社区居民报名。" in page
    assert "仅限本社区居民" in page


# --- cost, and the one-community installation -------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("logged_in", ["anonymous", "resident", "staff"])
def test_home_and_list_cost_as_many_queries_with_three_communities_as_with_one(
    client, settings, logged_in
):
    settings.PAGE_CACHE_SECONDS = 0  # count the render, not the cache
    lone = ComplexFactory()
    reader = resident_of(lone)
    if logged_in == "resident":
        client.force_login(reader.user)
    elif logged_in == "staff":
        client.force_login(
            StaffScopeFactory(user=StaffUserFactory(), community=lone.community).user
        )
    for n in range(5):
        partner = AgreementFactory(complex=lone, partner=PartnerFactory()).partner
        ActivityFactory(complex=lone, partners=[partner], title=f"活动{n}")
    client.get(reverse("home"))  # the session's first request does more than any other
    one = {u: _count(client, u) for u in (reverse("home"), reverse("activities:list"))}

    for name in ("西津社区", "站南社区"):
        other = ComplexFactory(community=CommunityFactory(name=name), name=name + "小区")
        for n in range(20):
            ActivityFactory(complex=other, audience=SUBDISTRICT_WIDE, title=f"{name}{n}")
    three = {u: _count(client, u) for u in (reverse("home"), reverse("activities:list"))}

    assert one == three


def test_a_one_community_installation_shows_no_chooser_and_lists_everything(client):
    complex_ = ComplexFactory()
    ActivityFactory(title="本社区活动", complex=complex_)
    ActivityFactory(title="另一小区活动", complex=ComplexFactory(name="另一小区"))

    home = client.get(reverse("home")).content.decode()
    response = client.get(reverse("activities:list"), {"community": complex_.community_id})

    assert "记住我的社区" not in home
    assert 'name="community"' not in response.content.decode()
    assert sorted(listed(response)) == ["另一小区活动", "本社区活动"]


def test_a_residents_cached_activity_page_follows_their_move_to_another_community(client, places):
    activity = ActivityFactory(complex=places["zhannan"], residents_only=True)
    resident = resident_of(places["xijin"])
    client.force_login(resident.user)
    url = activity.get_absolute_url()
    assert "该活动仅限本社区居民报名。" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)  # kept in the logged-in reader's page cache
    assert len(queries) <= 3

    resident.household = HouseholdFactory(building=BuildingFactory(complex=places["zhannan"]))
    resident.save()

    assert "该活动仅限本社区居民报名。" not in client.get(url).content.decode()


@pytest.mark.parametrize("value", ["²", "１", "9" * 40, "-1", "x"])
def test_a_malformed_community_in_the_address_or_cookie_is_ignored(client, value):
    assert client.get("/activities/", {"community": value}).status_code == 200
    if value.isascii() or value == "²":  # a cookie travels in Latin-1
        client.cookies["gongjian_community"] = value
        assert client.get("/activities/").status_code == 200
    assert client.post("/community/", {"community": value}).status_code == 302
