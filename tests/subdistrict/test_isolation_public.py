"""Isolation on the public site: readers of community A find nothing of community B (same
subdistrict) that B keeps to itself — no resident's name or phone, no draft, no activity
for B's residents only (nor its residents' quotes), none of B's projects, needs,
agreements or commitments — in any list, feed, count, calendar, partner page, project
page, need page, the home page, a search, /me/ or the summary.

The walk enumerates every URL pattern of the site from the resolver (the back office
under /admin/ has its own walk, tests/subdistrict/test_isolation.py), fills each argument
with A's and B's objects, and reads every page as A's staff, A's secretary, A's resident,
and an anonymous visitor who chose A (the cookie).

What B shares may show: the activities B opens to the whole subdistrict (全街道), B's
partners' names and public pages, B's complex where an open activity is held. Here these
are named with 丁; everything of B that must not show is named with 乙.

Decision — an activity for B's residents only is still reachable by its own link: its
page (and the same page as a calendar file, poster, share picture and check-in link) is
public to whoever holds the link, as every visible activity's is. "本社区" decides which
lists carry it, not who may read it (anyone may read B's list with `?community=`); who may
sign up is `residents_only`. Those pages of B's residents-only activities are the only
ones left out of the "nothing of B" check, and even they show no resident of B.
"""

import datetime as dt
import itertools

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from activities.models import Activity, ServiceProject
from activities.readers import COOKIE
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    CommunityFactory,
    ComplexFactory,
    FeedbackFactory,
    HouseholdFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    SecretaryUserFactory,
    ServiceProjectFactory,
    SignUpFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
)

pytestmark = pytest.mark.django_db

SUBDISTRICT_WIDE = Activity.Audience.SUBDISTRICT
#: Pages the walk does not read: the back office (its own walk) and the benchmark's views.
NOT_PUBLIC = ("admin", "bench_")


def _community(prefix: str, public: str, name: str, subdistrict, phone: str, shared):
    """A community with one of everything; what it keeps to itself is named `prefix`…,
    what it shares `public`…."""
    community = CommunityFactory(name=name, subdistrict=subdistrict)
    complex_ = ComplexFactory(community=community, name=f"{public}苑小区")
    building = BuildingFactory(complex=complex_, number=f"{public}1号楼")
    household = HouseholdFactory(building=building, room=f"{prefix}0101")
    resident = ResidentFactory(name=f"{prefix}秀英", phone=phone, household=household)
    unplaced = ResidentFactory(
        name=f"{prefix}兰英", phone=phone[:-1] + "9", household=None, registered_in=community
    )
    partner = PartnerFactory(name=f"{public}救援队", contact_phone="0931-0000000")
    AgreementFactory(partner=partner, complex=complex_, title=f"{prefix}入驻协议")
    ResourceCommitmentFactory(partner=partner, title=f"{prefix}公益课")
    shared_agreement = AgreementFactory(partner=shared, complex=complex_, title=f"{prefix}蓝天协议")
    ResourceCommitmentFactory(partner=shared, agreement=shared_agreement, title=f"{prefix}蓝天课")
    own = ActivityFactory(complex=complex_, title=f"{prefix}本社区演练", partners=[partner, shared])
    draft = ActivityFactory(
        complex=complex_,
        title=f"{prefix}草稿活动",
        status=Activity.Status.PLANNED,
        is_public=False,
        partners=[shared],
    )
    opened = ActivityFactory(
        complex=complex_, title=f"{public}全街道义诊", audience=SUBDISTRICT_WIDE, partners=[shared]
    )
    held = ActivityFactory(
        complex=complex_, title=f"{prefix}往期讲座", held=True, partners=[partner, shared]
    )
    signup = SignUpFactory(activity=own, resident=resident)
    SignUpFactory(activity=opened, resident=unplaced)
    FeedbackFactory(
        signup__activity=held,
        signup__resident=resident,
        comment=f"{prefix}评价很好",
        may_publish=True,
        is_published=True,
    )
    project = ServiceProjectFactory(
        complex=complex_, title=f"{prefix}管网更换", status=ServiceProject.Status.IN_PROGRESS
    )
    project.buildings.set([building])
    NeedFactory(complex=complex_, resident=resident, title=f"{prefix}楼道灯坏了")
    LeadFactory(offered_by=resident, organisation=f"{prefix}大学")
    return {
        "community": community,
        "resident": resident,
        "partner": partner,
        "own": own,
        "draft": draft,
        "opened": opened,
        "held": held,
        "signup": signup,
    }


@pytest.fixture
def world():
    subdistrict = SubdistrictFactory()
    shared = PartnerFactory(name="蓝天救援队")
    a = _community("甲", "甲", "小西坪社区", subdistrict, "13811110000", shared)
    b = _community("乙", "丁", "东岗社区", subdistrict, "13822220000", shared)
    return {"a": a, "b": b, "shared": shared}


# --- the walk -----------------------------------------------------------------------------


def _routes():
    """(URL name, argument names) of every named URL pattern of the site, but the back
    office's and the benchmark's."""

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin" or pattern.app_name == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if pattern.name.startswith(NOT_PUBLIC):
                    continue
                arguments = getattr(pattern.pattern, "converters", None) or {}
                names = list(arguments) or list(pattern.pattern.regex.groupindex)
                yield f"{namespace}{pattern.name}", names

    return list(walk(get_resolver().url_patterns, ""))


def _candidates(world, url_name: str, argument: str) -> list:
    """The values to try for one argument of one URL: A's objects and B's."""
    a, b = world["a"], world["b"]
    today = timezone.localdate()
    partners = [world["shared"].pk, a["partner"].pk, b["partner"].pk]
    activities = [
        a["own"].pk,
        b["own"].pk,
        b["draft"].pk,
        b["opened"].pk,
        b["held"].pk,
        a["draft"].pk,
    ]
    if argument == "pk":
        return partners if "partner" in url_name or "scorecard" in url_name else activities
    values = {
        "signup_id": [a["signup"].pk, b["signup"].pk],
        "code": [a["signup"].check_in_code, b["signup"].check_in_code],
        "year": [today.year],
        "month": [today.month, (today - dt.timedelta(days=31)).month],
        "serial": [f"{today.year}-0001"],
        "token": ["notatoken"],
        "name": ["agreements/b.pdf"],
    }
    assert argument in values, f"{url_name}: no values to try for <{argument}>"
    return values[argument]


def _queries(world, name: str) -> list[dict]:
    """The queries to read a page with: the list is also searched and filtered."""
    if name == "activities:list":
        shared = world["shared"].pk
        return [
            {},
            {"q": "乙"},
            {"when": "past"},
            {"category": "health"},
            {"partner": shared},
            {"partner": shared, "when": "past"},
        ]
    return [{}]


def _urls(world) -> list[tuple[str, dict]]:
    urls = []
    for name, arguments in _routes():
        values = [_candidates(world, name, argument) for argument in arguments]
        for combination in itertools.product(*values):
            url = reverse(name, kwargs=dict(zip(arguments, combination, strict=True)))
            urls += [(url, query) for query in _queries(world, name)]
    return urls


def _traces(world) -> tuple[list[str], list[str]]:
    """(never: what no page may show; listed: what no page but the activity's own may
    show — B's residents-only activities and their residents' quotes)."""
    b = world["b"]
    never = [
        *("乙秀英", "乙兰英", "13822220000", "13822220009", "乙0101"),
        *("乙草稿活动", b["draft"].get_absolute_url()),
        *("乙管网更换", "乙楼道灯坏了", "乙大学"),
        *("乙入驻协议", "乙公益课", "乙蓝天协议", "乙蓝天课"),
    ]
    listed = [*("乙本社区演练", "乙往期讲座", "乙评价很好")]
    listed += [b[key].get_absolute_url() for key in ("own", "held")]
    return never, listed


def _own_pages(world) -> list[str]:
    """The pages of B's residents-only activities: public by their link (see the module)."""
    return [world["b"][key].get_absolute_url() for key in ("own", "held")]


def _readers(world, client_class):
    a = world["a"]["community"]
    staff = StaffScopeFactory(user=StaffUserFactory(), community=a).user
    secretary = StaffScopeFactory(user=SecretaryUserFactory(), community=a).user
    readers = {}
    for who, user in [
        ("staff", staff),
        ("secretary", secretary),
        ("resident", world["a"]["resident"].user),
    ]:
        client = client_class()
        client.force_login(user)
        readers[who] = client
    anonymous = client_class()
    anonymous.cookies[COOKIE] = str(a.pk)
    readers["anonymous with A chosen"] = anonymous
    return readers


def _text(response) -> str:
    kind = response.get("Content-Type", "")
    if response.streaming or not kind.startswith(("text/", "application/json")):
        return ""  # images and files: no text to read
    return response.content.decode()


@pytest.mark.parametrize("who", ["staff", "secretary", "resident", "anonymous with A chosen"])
def test_a_reader_of_a_finds_nothing_b_keeps_to_itself_on_any_public_page(client, world, who):
    reader = _readers(world, type(client))[who]
    never, listed = _traces(world)
    own_pages = _own_pages(world)
    read = 0
    for url, query in _urls(world):
        response = reader.get(url, query)
        assert response.status_code < 500, (url, query)
        text = _text(response)
        where = f"{who}: {url} {query}"
        # A page may name its own address (a 404 of B's draft's address says which).
        found = [trace for trace in never if trace in text and not url.startswith(trace)]
        assert not found, f"{where}: {found}"
        if not url.startswith(tuple(own_pages)):
            found = [trace for trace in listed if trace in text]
            assert not found, f"{where}: {found}"
        read += 1
    assert read >= 60


@pytest.mark.parametrize("who", ["staff", "secretary", "resident", "anonymous with A chosen"])
def test_a_reader_of_a_sees_as_own_activities_and_those_b_opens_to_the_subdistrict(
    client, world, who
):
    reader = _readers(world, type(client))[who]
    for url in (reverse("home"), reverse("activities:list"), reverse("activities:feed")):
        text = reader.get(url).content.decode()
        assert "甲本社区演练" in text, (who, url)
        assert "丁全街道义诊" in text, (who, url)
    partner = reader.get(reverse("activities:partner", args=[world["shared"].pk]))
    text = partner.content.decode()
    assert "甲蓝天协议" in text or "甲蓝天课" in text
    assert "甲本社区演练" in text and "丁全街道义诊" in text


def test_the_walk_reaches_every_kind_of_public_page(world):
    names = {name for name, _arguments in _routes()}
    assert {
        "home",
        "activities:list",
        "activities:feed",
        "activities:detail",
        "activities:ics",
        "activities:partners",
        "activities:partner",
        "activities:projects",
        "activities:need_create",
        "activities:check_in_link",
        "residents:me",
        "summary:month",
    } <= names
    assert not [name for name in names if name.startswith("admin:")]


def test_b_residents_only_activity_is_reachable_by_its_link_but_listed_nowhere_for_a(client, world):
    client.force_login(world["a"]["resident"].user)
    own = world["b"]["own"]

    page = client.get(own.get_absolute_url())

    assert page.status_code == 200
    assert "乙本社区演练" in page.content.decode()
    assert "乙秀英" not in page.content.decode()
    assert "乙本社区演练" not in client.get(reverse("activities:list")).content.decode()


def test_a_draft_of_b_is_not_found_by_its_link(client, world):
    draft = world["b"]["draft"]
    client.force_login(world["a"]["resident"].user)
    for url in (
        draft.get_absolute_url(),
        reverse("activities:ics", args=[draft.pk]),
        reverse("activities:poster", args=[draft.pk]),
        reverse("activities:check_in_link", args=[draft.pk, "000000"]),
    ):
        assert client.get(url).status_code == 404, url


def test_a_staff_of_a_opening_bs_check_in_link_learns_nothing_of_the_resident(client, world):
    b = world["b"]
    staff = StaffScopeFactory(user=StaffUserFactory(), community=world["a"]["community"]).user
    client.force_login(staff)
    url = reverse("activities:check_in_link", args=[b["own"].pk, b["signup"].check_in_code])

    page = client.get(url)

    assert page.status_code == 200
    assert "乙秀英" not in page.content.decode()
    assert client.post(url).status_code == 403
    b["signup"].refresh_from_db()
    assert not b["signup"].attended


def test_staff_of_a_cannot_download_bs_scanned_agreement(client, settings, tmp_path, world):
    from django.core.files.base import ContentFile

    from partners.models import Agreement

    settings.MEDIA_ROOT = tmp_path
    agreement = Agreement.objects.get(title="乙入驻协议")
    agreement.document.save("scan.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    url = reverse("partners:agreement_document", kwargs={"name": agreement.document.name})
    b = world["b"]["community"]

    client.force_login(StaffScopeFactory(user=StaffUserFactory(), community=b).user)
    assert client.get(url).status_code == 200
    for user in (StaffUserFactory(), SecretaryUserFactory()):
        client.force_login(StaffScopeFactory(user=user, community=world["a"]["community"]).user)
        assert client.get(url).status_code == 404
