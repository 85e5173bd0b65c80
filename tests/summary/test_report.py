"""The monthly summary's figures, on a fixture whose answers are written out here."""

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from activities import services
from activities.models import Activity, Category, SignUp
from core.periods import add_months, month_bounds
from summary.report import PERCENT, RATING, Figure, monthly_summary, year_summary
from tests.factories import (
    ActivityFactory,
    ComplexFactory,
    FeedbackFactory,
    HouseholdFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    ServiceProjectFactory,
)
from tests.summary.factories import at, build_march_2026, held_activity, signup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def march(db):
    return build_march_2026()


@pytest.fixture
def s(march):
    return monthly_summary(year=2026, month=3)


# --- months ----------------------------------------------------------------------------


def test_month_bounds_are_local_midnights_in_shanghai():
    start, end = month_bounds(2026, 1)
    assert start.isoformat() == "2026-01-01T00:00:00+08:00"
    assert end.isoformat() == "2026-02-01T00:00:00+08:00"
    assert start.astimezone(dt.UTC) == dt.datetime(2025, 12, 31, 16, 0, tzinfo=dt.UTC)


def test_add_months_crosses_years():
    assert add_months(2026, 1, -1) == (2025, 12)
    assert add_months(2026, 12, 1) == (2027, 1)
    assert add_months(2026, 3, -11) == (2025, 4)


def test_month_13_is_refused():
    with pytest.raises(ValueError):
        monthly_summary(year=2026, month=13)


def test_summary_is_frozen(s):
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.year = 2020


def test_a_sign_up_at_23_30_on_31_january_counts_in_january():
    activity = ActivityFactory(
        starts_at=at(2026, 1, 31, 21, 30),
        ends_at=at(2026, 1, 31, 23, 30),
        status=Activity.Status.HELD,
    )
    signup(activity, ResidentFactory(), at(2026, 1, 31, 23, 30), attended=True)
    january = monthly_summary(year=2026, month=1)
    february = monthly_summary(year=2026, month=2)
    assert january.signups.value == 1
    assert january.activities_held.value == 1
    assert january.attendance.value == 1
    assert february.signups.value == 0
    assert february.activities_held.value == 0
    assert february.signups.previous == 1


# --- headline figures ------------------------------------------------------------------


def test_partners_and_agreements(s):
    assert s.partners_in_force == Figure(3, 2)
    assert s.agreements_signed == Figure(2, 0)
    assert s.agreements_expired == Figure(1, 0)
    # 徐婕瑜伽's ends on 20 April, unrenewed; 兴邦社工's ended on 15 March but was renewed.
    assert s.agreements_expiring == Figure(1, 0)
    assert [(a.partner, a.ends_on) for a in s.expiring_agreements] == [
        ("徐婕瑜伽", dt.date(2026, 4, 20))
    ]


def test_activities_held_count_by_local_month_and_leave_out_cancelled(s):
    # 消防演练, 公益瑜伽课 (ends 23:30 on 31 March) and 亲子健身操 (over, never marked held);
    # not the cancelled festival nor the legal-aid day ending 00:30 on 1 April.
    assert s.activities_held == Figure(3, 1)
    assert [(c.category, c.figure.value, c.figure.previous) for c in s.activities_by_category] == [
        (Category.SAFETY, 1, 0),
        (Category.HEALTH, 2, 1),
    ]
    assert [a.title for a in s.activities] == ["消防演练", "亲子健身操", "公益瑜伽课"]


def test_sign_ups_attendance_and_rates(s):
    assert s.signups == Figure(8, 7)
    assert s.confirmed == Figure(8, 2)
    assert s.attendance == Figure(6, 1)
    assert s.attendance_rate == Figure(0.75, 0.5, PERCENT)
    assert s.attendance_rate.display == "75.0%"
    assert s.attendance_rate.change_display == "▲ 25.0 个百分点"
    # Seats: 3 of 10 and 2 of 4 (the yoga class has no cap); February 2 of 5.
    assert s.seats_filled == Figure(0.357143, 0.4, PERCENT)
    assert s.unmet_demand == Figure(2, 0)


def test_residents_and_households_reached(s):
    assert s.residents_reached == Figure(5, 1)
    assert s.households_reached == Figure(4, 1)
    assert s.household_total == 1149
    assert s.household_coverage == Figure(0.003481, 0.00087, PERCENT)
    assert s.household_coverage.display == "0.3%"
    assert s.residents_reached_year == Figure(5)  # running totals: no change shown
    assert s.households_reached_year == Figure(4)
    assert s.household_coverage_year == Figure(0.003481, None, PERCENT)
    assert s.party_members == Figure(1, 0)


def test_a_resident_who_deleted_their_data_still_counts_in_past_months(march):
    r2 = march.residents[1]
    assert r2.anonymised_at is not None and r2.user is None and r2.name == "已注销居民"
    before = monthly_summary(year=2026, month=3)
    # r2 attended 消防演练: among the 5 residents and in household h1 with r1.
    assert before.residents_reached.value == 5
    # Anonymising another attendee changes nothing either.
    r3 = march.residents[2]
    r3.name, r3.phone, r3.anonymised_at = "已注销居民", "", at(2026, 7, 1)
    r3.save()
    after = monthly_summary(year=2026, month=3)
    assert after.residents_reached == before.residents_reached
    assert after.households_reached == before.households_reached
    assert after.attendance == before.attendance
    assert after.residents_reached_year == before.residents_reached_year


def test_a_household_reached_stays_reached_when_its_resident_moves(march):
    r1, _r2, r3 = march.residents[:3]
    # 张伟 (h2) attended 亲子健身操 in March, then moved in with 王秀英's household (h1).
    r3.household = r1.household
    r3.save()
    s = monthly_summary(year=2026, month=3)
    assert s.households_reached == Figure(4, 1)  # h1, h2, h3, h4: as it was in March
    assert [m.households for m in s.trend][-2:] == [1, 4]
    assert s.households_reached_year == Figure(4)


def test_a_resident_reached_from_two_households_counts_once(march):
    r3 = march.residents[2]
    h5 = march.residents[5].household
    r3.household = h5  # moved to h5 after March
    r3.save()
    april = held_activity("四月讲座", Category.LEGAL, at(2026, 4, 10))
    signup(april, r3, at(2026, 4, 1), attended=True)
    s = monthly_summary(year=2026, month=4)
    assert s.residents_reached == Figure(1, 5)
    assert s.households_reached == Figure(1, 4)  # h5, where 张伟 lives now
    assert s.residents_reached_year == Figure(5)  # r1–r5: 张伟 once, from two households
    assert s.households_reached_year == Figure(5)  # h1–h4 in March, h5 in April


def test_sign_up_records_the_residents_household():
    resident = ResidentFactory(household=HouseholdFactory())
    activity = ActivityFactory(status=Activity.Status.OPEN)
    signup_ = services.sign_up(activity=activity, resident=resident).signup
    assert signup_.household_id == resident.household_id


def test_leads_and_needs(s):
    assert s.leads_received == Figure(2, 1)
    assert s.leads_converted == Figure(1, 0)
    assert s.leads_open == Figure(2, 1)
    assert s.needs_received == Figure(2, 1)
    assert s.needs_resolved == Figure(1, 1)
    assert s.needs_in_progress == Figure(1, 1)
    assert s.needs_pending == Figure(1, 0)


def test_rating_and_published_quotes_with_masked_names(s):
    assert s.rating == Figure(4.25, 2.0, RATING)
    assert s.rating.display == "4.2" or s.rating.display == "4.3"
    assert s.ratings_count == Figure(4, 1)
    # The anonymised resident's published quote and the unpublished one are left out.
    assert [(q.name, q.activity, q.rating) for q in s.quotes] == [("王**", "消防演练", 5)]


def test_service_projects_at_the_months_end(s):
    rows = [
        (p.title, p.status, p.progress, p.progress_change, p.done_this_month) for p in s.projects
    ]
    assert rows == [
        ("爸妈食堂", "in_progress", 60, 40, False),  # April's 70% is not March's
        ("供水管网更换", "done", 100, None, True),
    ]
    assert (s.projects_planned, s.projects_in_progress) == (0, 1)
    assert (s.projects_done_this_month, s.projects_done_total) == (1, 2)


def test_what_each_partner_did(s):
    rows = {p.name: p for p in s.partners}
    assert list(rows) == ["徐婕瑜伽", "蓝天救援队", "中国移动", "兴邦社工"]
    blue_sky = rows["蓝天救援队"]
    assert (blue_sky.activities, blue_sky.attendance, blue_sky.ratings) == (2, 4, 3)
    assert blue_sky.rating == 4.33
    assert blue_sky.commitments_display == "1/1"
    assert blue_sky.has_agreement and blue_sky.agreement_ends_on is None
    yoga = rows["徐婕瑜伽"]
    assert (yoga.activities, yoga.attendance, yoga.rating) == (2, 4, 4.0)
    # Twice a month promised, one linked class held.
    assert (yoga.commitments_met, yoga.commitments_total) == (0, 1)
    assert yoga.commitments[0].held == 1
    assert yoga.agreement_ends_on == dt.date(2026, 4, 20)
    assert rows["兴邦社工"].has_agreement
    assert rows["兴邦社工"].activities == 0
    assert rows["兴邦社工"].commitments_display == "—"
    assert not rows["中国移动"].has_agreement
    assert "已退出单位" not in rows
    assert (s.commitments_met, s.commitments_total) == (1, 2)


def test_the_activities_list_adds_up_to_the_headline(s):
    by_title = {a.title: a for a in s.activities}
    assert (
        by_title["消防演练"].confirmed,
        by_title["消防演练"].attended,
        by_title["消防演练"].waitlisted,
        by_title["消防演练"].rating,
    ) == (3, 2, 1, 4.5)
    assert by_title["公益瑜伽课"].capacity is None
    assert set(by_title["亲子健身操"].partners.split("、")) == {"徐婕瑜伽", "蓝天救援队"}
    assert sum(a.attended for a in s.activities) == s.attendance.value
    assert sum(a.confirmed for a in s.activities) == s.confirmed.value
    assert sum(a.waitlisted for a in s.activities) == s.unmet_demand.value


def test_the_12_month_trend_ends_with_the_month(s):
    assert len(s.trend) == 12
    assert (s.trend[0].year, s.trend[0].month) == (2025, 4)
    assert [m.activities for m in s.trend] == [0] * 10 + [1, 3]
    assert [m.attendance for m in s.trend][-2:] == [1, 6]
    assert [m.households for m in s.trend][-2:] == [1, 4]
    assert s.trend[-1].category_count(Category.HEALTH) == 2
    data = s.chart_data()
    assert data["keys"][-1] == "2026-03"
    assert data["labels"][0] == "2025年4月" and data["labels"][1] == "5月"
    assert data["labels"][9] == "2026年1月" and data["labels"][-1] == "3月"
    assert {c["key"] for c in data["categories"]} == {"safety", "health"}
    assert data["household_total"] == 1149


def test_april_sees_the_activity_that_ended_after_local_midnight(march):
    april = monthly_summary(year=2026, month=4)
    assert april.activities_held.value == 1
    assert april.activities[0].title == "法律援助进小区"
    assert april.activities_held.previous == 3


def test_year_to_date(march):
    # On 15 March 亲子健身操 (20 March, not marked held) has not happened yet.
    y = year_summary(year=2026, now=at(2026, 3, 15, 12))
    assert y.last_month == 3
    assert [m.activities for m in y.months] == [0, 1, 2]
    assert (y.residents_reached, y.households_reached) == (3, 2)
    past = year_summary(year=2026)
    assert [m.activities for m in past.months][:4] == [0, 1, 3, 1]
    assert (past.residents_reached, past.households_reached) == (5, 4)
    assert past.household_coverage.value == 0.003481
    assert {c: n for c, _label, n in past.categories} == {"safety": 1, "health": 3, "legal": 1}


# --- a month with nothing --------------------------------------------------------------


def test_a_month_with_no_data_is_all_zeros_and_dashes():
    s = monthly_summary(year=2025, month=6)
    for _group, rows in s.headline_groups():
        for _key, _label, figure in rows:
            assert figure.value in (0, None)
    assert s.activities_held == Figure(0, 0)
    assert s.attendance_rate == Figure(None, None, PERCENT)
    assert s.seats_filled.display == "—"
    assert s.household_coverage.display == "—"  # no complex registered: nothing to divide
    assert s.rating.display == "—"
    assert s.attendance_rate.change_display == "—"
    assert s.partners == () and s.activities == () and s.projects == () and s.quotes == ()
    assert not s.has_data
    assert sum(m.activities for m in s.trend) == 0


def test_a_quiet_month_of_a_busy_community_shows_dashes_for_rates(march):
    s = monthly_summary(year=2025, month=12)
    assert s.activities_held == Figure(0, 0)
    assert s.attendance_rate.display == "—"
    assert s.household_coverage == Figure(0.0, 0.0, PERCENT)
    assert s.household_coverage.display == "0.0%"
    assert s.partners_in_force.value == 2  # 蓝天救援队 and 兴邦社工's first agreement


def test_figure_changes_read_as_arrows():
    assert Figure(12, 9).change_display == "▲ 3"
    assert Figure(9, 12).change_display == "▼ 3"
    assert Figure(5, 5).change_display == "持平"
    assert Figure(1149, 0).display == "1149"  # Chinese groups digits without commas
    with translation.override("en"):
        assert Figure(1149, 0).display == "1,149"
        assert Figure(2000, 12).change_display == "▲ 1,988"
    assert Figure(4.5, 4.0, RATING).change_display == "▲ 0.5"
    assert Figure(0.5, None, PERCENT).direction == ""


# --- speed -----------------------------------------------------------------------------


def _queries(year, month):
    with CaptureQueriesContext(connection) as ctx:
        monthly_summary(year=year, month=month)
    return len(ctx.captured_queries)


def _grow(n: int):
    """Add n more of everything: residents, partners, activities in many months, sign-ups."""
    complex_ = ComplexFactory()
    for i in range(n):
        partner = PartnerFactory()
        commitment = ResourceCommitmentFactory(partner=partner, times_per_month=1)
        household = HouseholdFactory()
        for month in (1, 2, 3):
            activity = held_activity(
                f"活动{i}-{month}",
                Category.CULTURE,
                at(2026, month, 5 + i),
                partners=[partner],
                commitment=commitment,
            )
            for j in range(3):
                resident = ResidentFactory(household=household, user=None, is_party_member=j == 0)
                sign = signup(activity, resident, at(2026, month, 1 + i), attended=j < 2)
                if j == 0:
                    FeedbackFactory(
                        signup=sign, rating=4, comment="好", may_publish=True, is_published=True
                    )
            signup(
                activity, ResidentFactory(user=None), at(2026, month, 2), SignUp.Status.WAITLISTED
            )
        ServiceProjectFactory(complex=complex_, partner=partner, starts_on=dt.date(2026, 1, 1))


def test_the_number_of_queries_does_not_grow_with_the_data(march):
    small = _queries(2026, 3)
    _grow(4)
    grown = monthly_summary(year=2026, month=3)
    assert grown.activities_held.value == 3 + 4
    assert len(grown.partners) == 4 + 4
    assert _queries(2026, 3) == small
    assert small <= 25  # about twenty, whatever the data
