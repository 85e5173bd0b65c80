"""`manage.py load_demo`: the community from seed/FACTS.md, demo logins, idempotence, refusal."""

import datetime as dt
import random
import re
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.test import override_settings
from django.utils import timezone

from activities import rollups, services
from activities.models import Activity, Feedback, Need, ServiceProject, SignUp
from demo import community as demo
from partners.models import Agreement, Lead, Partner
from residents.models import Building, Community, Complex, Resident

User = get_user_model()

ARTICLE_PARTNERS = {
    "蓝天救援队": "rescue",
    "甘肃兴邦社会工作服务中心": "social_work",
    "徐婕瑜伽": "fitness",
    "中国移动": "telecom",
    "甘肃锐诚律师事务所": "legal",
    "中铁二十一局德盛和物业": "property",
}


def load(**options) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every table the project has, history and many-to-many tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.fixture(scope="module")
def demo_db(django_db_setup, django_db_blocker):
    """The demo loaded once for this module's read-mostly tests, rolled back afterwards.

    Each test still runs in its own savepoint (the `db` fixture), so what a test writes
    is undone before the next one.
    """
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(DEBUG=True):
        output = load()
        yield output
        transaction.set_rollback(True)


# --- tests that load the demo themselves (valid whether or not it is already there) -----


@pytest.mark.django_db
def test_load_demo_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    before = row_counts()
    with pytest.raises(CommandError, match="--force"):
        load()
    assert row_counts() == before


@pytest.mark.django_db
def test_load_demo_with_force_twice_leaves_the_same_rows(settings):
    settings.DEBUG = False
    output = load(force=True)
    assert Community.objects.filter(name="小西坪社区").exists()
    assert "13900000300" in output
    first = row_counts()
    load(force=True)
    assert row_counts() == first
    assert first["residents.Resident"] >= demo.RESIDENT_COUNT
    assert first["activities.SignUp"] > 0
    assert first["activities.HistoricalActivity"] > 0


# --- tests on the loaded demo -----------------------------------------------------------


@pytest.mark.django_db
def test_demo_holds_the_complex_from_the_article(demo_db):
    community = Community.objects.get(name="小西坪社区")
    assert (community.subdistrict.name, community.city) == ("西站街道", "兰州")
    complex_ = Complex.objects.get(community=community, name="铁建丽苑小区")
    assert complex_.built_year == 2013
    assert complex_.household_count == 1149
    assert complex_.resident_count == 2300
    assert complex_.party_member_count == 36
    assert complex_.service_site_name == "小区党员阵地"
    buildings = Building.objects.filter(complex=complex_)
    assert sorted(buildings.values_list("number", flat=True)) == [f"{n}号楼" for n in range(1, 7)]
    assert buildings.aggregate(total=Sum("household_count"))["total"] == 1149


@pytest.mark.django_db
def test_demo_has_300_residents_with_logins_36_of_them_party_members(demo_db):
    phones = [str(13900000001 + i) for i in range(300)]
    with_login = Resident.objects.filter(user__isnull=False)
    assert sorted(with_login.values_list("phone", flat=True)) == phones
    assert sorted(with_login.values_list("user__username", flat=True)) == phones
    assert Resident.objects.party_members().count() == 36
    assert not Resident.objects.filter(household__isnull=True).exists()
    consents = set(Resident.objects.values_list("consent_version", flat=True))
    assert consents == {django_settings.PRIVACY_POLICY_VERSION}
    years = list(with_login.values_list("birth_year", flat=True))
    assert min(years) >= 1940 and max(years) <= 2005
    assert sum(year <= 1962 for year in years) >= 100  # many elderly residents
    assert with_login.exclude(email="").exists()
    # Children without a login, of an age for the youth science group.
    this_year = timezone.localdate().year
    children = Resident.objects.filter(user__isnull=True, phone="")
    assert children.count() >= 10
    assert all(8 <= this_year - c.birth_year <= 12 for c in children)


@pytest.mark.django_db
def test_demo_logins_use_the_demo_password_and_are_printed(demo_db):
    staff = User.objects.get(username="staff")
    secretary = User.objects.get(username="secretary")
    assert staff.is_staff and list(staff.groups.values_list("name", flat=True)) == ["社区工作人员"]
    assert secretary.is_staff and list(secretary.groups.values_list("name", flat=True)) == [
        "党委书记"
    ]
    assert not User.objects.filter(is_superuser=True).exists()
    for username in ("staff", "secretary", "13900000001", "13900000300"):
        assert User.objects.get(username=username).check_password("demo12345"), username
    for text in (
        "staff",
        "secretary",
        "13900000001",
        "13900000300",
        "demo12345",
        "http://127.0.0.1:8000",
    ):
        assert text in demo_db


@pytest.mark.django_db
def test_demo_has_ten_signed_partners_plus_the_red_property_joint_build(demo_db):
    partners = Partner.objects.all()
    # The article: 10 organisations signed, and the property company's party branch
    # co-builds "red property management" on top of them.
    assert partners.count() == 11
    assert partners.exclude(category=Partner.Category.PROPERTY).count() == 10
    assert partners.filter(category=Partner.Category.PROPERTY).count() == 1
    for name, category in ARTICLE_PARTNERS.items():
        assert partners.get(name=name).category == category
    today = timezone.localdate()
    assert Partner.objects.with_active_agreement().count() == 11
    for partner in partners.annotate(n=Count("commitments")):
        assert 1 <= partner.n <= 3, partner.name
        assert partner.description and partner.contact_name and partner.contact_phone
        assert partner.joined_on < today
    # One agreement ends within the coming month; an expired one was renewed.
    active = Agreement.objects.filter(status=Agreement.Status.ACTIVE)
    assert active.filter(ends_on__gt=today, ends_on__lte=today + dt.timedelta(days=31)).exists()
    renewal = Agreement.objects.get(renews__isnull=False)
    assert renewal.status == Agreement.Status.ACTIVE
    assert renewal.renews.status == Agreement.Status.EXPIRED
    assert renewal.renews.ends_on < today
    yoga = Partner.objects.get(name="徐婕瑜伽").commitments.get(promise="monthly", times=2)
    assert yoga.title == "每月两次公益瑜伽课"


@pytest.mark.django_db
def test_demo_has_the_article_projects_and_activities_with_their_statuses(demo_db):
    now = timezone.now()
    projects = {p.title: p for p in ServiceProject.objects.all()}
    assert projects["供水管网更换"].status == "done"
    assert projects["供水管网更换"].progress == 100
    assert projects["小区枯树枝修剪"].status == "done"
    assert projects["爸妈食堂"].status == "in_progress"
    assert projects["正能量小区风气建设"].status == "in_progress"
    for project in projects.values():
        assert 2 <= project.milestones.count() <= 4
        assert project.buildings.exists()
    for title in ("消防演练", "电梯困人救援演练", "公益瑜伽课", "青少年科学兴趣小组"):
        held = Activity.objects.filter(title=title, status="held", ends_at__lt=now)
        assert held.exists(), title
        assert SignUp.objects.filter(activity__in=held, attended=True).exists(), title
    for title in ("小区音乐节", "法律援助进小区"):
        activity = Activity.objects.get(title=title)
        assert activity.status == "planned", title  # "being planned" in the article
        assert activity.is_public
        assert activity.starts_at > now
    # A year of history feeds the monthly summary's charts.
    months = {
        timezone.localtime(a.starts_at).strftime("%Y-%m")
        for a in Activity.objects.filter(status="held")
    }
    assert len(months) >= 12


@pytest.mark.django_db
def test_upcoming_demo_activities_accept_a_random_demo_resident(demo_db):
    phone = str(13900000001 + random.randrange(300))
    resident = Resident.objects.get(phone=phone)
    open_to_all = Activity.objects.upcoming().filter(
        status="open",
        min_age__isnull=True,
        max_age__isnull=True,
        party_members_only=False,
        residents_only=False,
    )
    confirmed = 0
    for activity in open_to_all:
        result = services.sign_up(activity=activity, resident=resident, by=resident.user)
        confirmed += result.signup.status == SignUp.Status.CONFIRMED
    assert confirmed >= 3, phone


@pytest.mark.django_db
def test_demo_has_a_full_activity_with_a_waiting_list_and_a_party_members_only_one(demo_db):
    activities = Activity.objects.upcoming().with_seat_counts()
    full = [a for a in activities if a.capacity and a.confirmed_count >= a.capacity]
    assert any(a.waitlisted_count > 0 for a in full)
    party = Activity.objects.upcoming().get(title="党员志愿服务")
    assert party.party_members_only
    assert not party.signups.filter(resident__is_party_member=False).exists()
    youth = Activity.objects.upcoming().get(title="青少年科学兴趣小组")
    assert (youth.min_age, youth.max_age) == (8, 14)
    for signup in youth.signups.select_related("resident", "signed_up_by__resident"):
        # A child without a login, signed up by a guardian of the same household.
        assert signup.resident.user_id is None
        assert signup.signed_up_by.resident.household_id == signup.resident.household_id


@pytest.mark.django_db
def test_demo_history_of_sign_ups_and_feedback_is_consistent(demo_db):
    held = SignUp.objects.filter(activity__status="held").select_related("activity")
    assert held.filter(attended=True).count() > 500
    assert held.filter(status="confirmed", attended=False).exists()  # no-shows
    for signup in held:
        assert re.fullmatch(r"\d{6}", signup.check_in_code)
        assert signup.created_at < signup.activity.starts_at
        if signup.attended:
            assert signup.status == "confirmed" and signup.checked_in_at is not None
        if signup.status == "confirmed":
            assert signup.confirmed_at == signup.created_at
    duplicates = (
        SignUp.objects.values("activity_id", "check_in_code")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert not Feedback.objects.filter(signup__attended=False).exists()
    assert Feedback.objects.filter(is_published=True).exclude(comment="").exists()
    assert Feedback.objects.filter(comment__contains="公益瑜伽课参加了", is_published=True).exists()


@pytest.mark.django_db
def test_demo_has_leads_and_needs_at_each_stage(demo_db):
    stages = set(Lead.objects.values_list("stage", flat=True))
    assert stages == set(Lead.Stage.values)
    signed = Lead.objects.filter(stage="signed")
    assert not signed.filter(Q(partner__isnull=True) | Q(offered_by__isnull=True)).exists()
    assert set(Need.objects.values_list("status", flat=True)) == set(Need.Status.values)
    assert Need.objects.filter(status="in_project", project__title="爸妈食堂").exists()
    assert Need.objects.filter(status="resolved", project__title="供水管网更换").exists()


def test_demo_residents_are_the_same_on_every_run():
    today = dt.date(2026, 11, 27)
    first = demo.plan_households(today)
    second = demo.plan_households(today)
    assert [(h.building, h.unit, h.room, [p.name for p in h.adults]) for h in first] == [
        (h.building, h.unit, h.room, [p.name for p in h.adults]) for h in second
    ]
    assert sum(len(h.adults) for h in first) == 300
    assert sum(p.is_party_member for h in first for p in h.adults) == 36


@pytest.mark.django_db
def test_demo_quotes_belong_to_their_activities_and_are_not_repeated(demo_db):
    from activities.models import Feedback
    from demo.community import AUNTIE_COMMENT, COMMENTS

    comments = list(
        Feedback.objects.exclude(comment="")
        .exclude(comment=AUNTIE_COMMENT)
        .values_list("signup__activity__title", "comment")
    )
    assert comments
    for title, comment in comments:
        assert comment in COMMENTS[title], (title, comment)
    texts = [comment for _title, comment in comments]
    assert len(texts) == len(set(texts))


@pytest.mark.django_db
def test_demo_has_elderly_residents_without_smartphones_waiting_and_on_the_call_list(demo_db):
    from activities.models import CallListEntry

    this_year = timezone.localdate().year
    # 小西坪社区's (the neighbouring communities' residents have no login either).
    elders = Resident.objects.filter(
        user__isnull=True, household__building__complex__community__name="小西坪社区"
    ).exclude(phone="")
    assert elders.count() >= 5
    assert all(this_year - e.birth_year >= 75 for e in elders)
    assert SignUp.objects.filter(resident__in=elders, status="waitlisted").exists()
    calls = CallListEntry.objects.to_call().filter(resident__in=elders)
    assert calls.count() >= 2
    assert {c.reason for c in calls} == {"promoted"}
    assert all(c.signup.status == "confirmed" for c in calls)


@pytest.mark.django_db
def test_demo_has_the_36_party_members_reported_with_a_year_of_hours_and_the_points_shop(demo_db):
    from volunteering.models import PartyMember, PointsEntry, RoleSignUp, ShopItem

    residents = PartyMember.objects.filter(resident__isnull=False)
    assert residents.count() == 36
    assert all(m.posts.exists() for m in residents)
    assert PartyMember.objects.filter(resident__isnull=True, unit__isnull=False).count() == 4
    assert RoleSignUp.objects.served().filter(member__in=residents).count() > 36
    assert set(ShopItem.objects.values_list("partner__short_name", flat=True)) >= {
        "中国移动",
        "德盛和物业",
    }
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.REDEEMED).count() >= 3
    assert not PointsEntry.objects.filter(balance__lt=0).exists()


@pytest.mark.django_db
def test_the_demo_leaves_the_summarys_roll_ups_equal_to_its_sign_ups(demo_db):
    assert rollups.stored().tallies
    assert rollups.differences() == []


@pytest.mark.django_db
def test_demo_subdistrict_has_three_communities_and_a_login_for_each_scope(demo_db):
    from residents.models import StaffScope
    from residents.scoping import communities_for

    communities = {c.name: c for c in Community.objects.filter(subdistrict__name="西站街道")}
    assert set(communities) == {"小西坪社区", "西津社区", "站南社区"}
    mobile = Partner.objects.get(name="中国移动")
    assert {
        a.complex.community.name for a in mobile.agreements.select_related("complex__community")
    } == set(communities)
    expected = {
        "staff": {communities["小西坪社区"].pk},
        "secretary": {communities["小西坪社区"].pk},
        "staff_xijin": {communities["西津社区"].pk},
        "staff_zhannan": {communities["站南社区"].pk},
        "subdistrict": {c.pk for c in communities.values()},
        "subdistrict_secretary": {c.pk for c in communities.values()},
    }
    for username, ids in expected.items():
        user = User.objects.get(username=username)
        assert communities_for(user) == ids, username
        assert user.check_password("demo12345"), username
        assert username in demo_db
    assert StaffScope.objects.count() == len(expected)
    # 小西坪社区's residents are still the 300 with logins and the elders.
    xiaoxiping = Resident.objects.filter(household__building__complex__community__name="小西坪社区")
    assert xiaoxiping.filter(phone="13900000001").exists()
    assert not Resident.objects.exclude(pk__in=xiaoxiping).filter(user__isnull=False).exists()


@pytest.mark.django_db
def test_demo_opens_one_xijin_activity_to_the_subdistrict_and_keeps_one_of_zhannan_to_its_own(
    demo_db,
):
    opened = Activity.objects.get(complex__community__name="西津社区", audience="subdistrict")
    own_only = Activity.objects.get(complex__community__name="站南社区", residents_only=True)
    xiaoxiping = Resident.objects.get(phone="13900000001")
    zhannan = Resident.objects.filter(
        household__building__complex__community=own_only.complex.community
    )

    assert opened.title == "社区健康义诊"
    home = xiaoxiping.household.building.complex.community_id
    assert Activity.objects.visible().for_community(home).filter(pk=opened.pk).exists()
    services.check_eligibility(activity=own_only, resident=zhannan.first())
    with pytest.raises(ValidationError) as refused:
        services.check_eligibility(activity=own_only, resident=xiaoxiping)
    assert refused.value.code == "residents_only"
