"""seed_bench: counts as asked, every constraint respected, no logins, usable by the summary."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from activities import rollups
from activities.models import Activity, Feedback, SignUp
from core.periods import add_months
from partners.models import Partner
from residents.models import Complex, Household, Resident
from summary.report import monthly_summary

pytestmark = pytest.mark.django_db


def _seed(**sizes):
    out = io.StringIO()
    call_command("seed_bench", stdout=out, **sizes)
    return out.getvalue()


def test_seed_bench_makes_what_it_is_asked_for():
    output = _seed(residents=300, activities=40, signups=2000, months=3, batch_size=500)
    assert Resident.objects.count() == 300
    assert Activity.objects.count() == 40
    assert SignUp.objects.count() == 2000
    assert "300" in output and "2000" in output
    complex_ = Complex.objects.get(name="压测小区")
    assert complex_.household_count == Household.objects.filter(building__complex=complex_).count()
    assert Partner.objects.filter(name__startswith="压测共建单位").count() == 12
    # No logins for bench residents; unique phones in the 150 range.
    assert not Resident.objects.filter(user__isnull=False).exists()
    phones = list(Resident.objects.values_list("phone", flat=True))
    assert len(set(phones)) == 300 and all(p.startswith("150") and len(p) == 11 for p in phones)


def test_seed_bench_respects_the_sign_up_rules():
    _seed(residents=120, activities=30, signups=1500, months=2)
    # One active sign-up per resident and activity (the database enforces it too).
    duplicates = (
        SignUp.objects.exclude(status=SignUp.Status.CANCELLED)
        .values("activity", "resident")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    codes = SignUp.objects.values("activity", "check_in_code").annotate(n=Count("pk"))
    assert not codes.filter(n__gt=1).exists()
    assert not SignUp.objects.filter(attended=True, checked_in_at__isnull=True).exists()
    # Only confirmed sign-ups of held activities were checked in; capacity never exceeded.
    assert (
        not SignUp.objects.filter(attended=True)
        .exclude(status=SignUp.Status.CONFIRMED, activity__status=Activity.Status.HELD)
        .exists()
    )
    over = (
        Activity.objects.filter(capacity__isnull=False)
        .annotate(c=Count("signups", filter=Q(signups__status=SignUp.Status.CONFIRMED)))
        .filter(c__gt=F("capacity"))
    )
    assert not over.exists()
    assert not Feedback.objects.exclude(signup__attended=True).exists()

    # Every sign-up records its resident's household (the summary counts households from it).
    assert SignUp.objects.filter(household__isnull=False).exists()
    pairs = SignUp.objects.values_list("household_id", "resident__household_id")
    assert all(mine == residents for mine, residents in pairs)


def test_seed_bench_gives_realistic_shares():
    _seed(residents=500, activities=60, signups=6000, months=3)
    total = SignUp.objects.count()
    shares = {
        status: SignUp.objects.filter(status=status).count() / total
        for status in SignUp.Status.values
    }
    assert 0.04 < shares["cancelled"] < 0.13
    assert shares["waitlisted"] > 0.01
    assert shares["confirmed"] > 0.7
    attended = SignUp.objects.filter(attended=True).count() / total
    assert 0.5 < attended < 0.85


def test_activities_are_spread_over_the_last_months_and_the_summary_sees_them():
    _seed(residents=200, activities=90, signups=2500, months=3)
    today = timezone.localdate()
    months = {
        (timezone.localtime(d).year, timezone.localtime(d).month)
        for d in Activity.objects.values_list("starts_at", flat=True)
    }
    expected = {add_months(today.year, today.month, -i) for i in range(3)}
    assert expected <= months | {add_months(today.year, today.month, 1)}
    last = add_months(today.year, today.month, -1)
    s = monthly_summary(year=last[0], month=last[1])
    assert s.activities_held.value > 0
    assert s.attendance.value == sum(a.attended for a in s.activities)


def test_running_it_twice_adds_more_without_clashing():
    _seed(residents=50, activities=5, signups=100, months=1)
    _seed(residents=50, activities=5, signups=100, months=1, seed=7)
    assert Resident.objects.count() == 100
    assert SignUp.objects.count() == 200
    assert Partner.objects.filter(name__startswith="压测共建单位").count() == 12


@pytest.mark.parametrize(
    "sizes",
    [
        {"residents": 0},
        {"activities": 0},
        {"months": 0},
        {"signups": -1},
        {"residents": 2, "activities": 2, "signups": 5},
    ],
)
def test_impossible_sizes_are_refused_with_a_message(sizes):
    with pytest.raises(CommandError):
        _seed(**{"residents": 10, "activities": 2, "signups": 5, "months": 1, **sizes})
    assert not Resident.objects.exists()


def test_seed_bench_leaves_the_summarys_roll_ups_equal_to_its_sign_ups():
    _seed(residents=200, activities=30, signups=1500, months=14, batch_size=500)
    assert rollups.stored().residents
    assert rollups.differences() == []


def test_seed_bench_spreads_over_several_communities_of_the_subdistrict():
    from residents.models import Community
    from summary.subdistrict import subdistrict_summary

    _seed(residents=300, activities=36, signups=2000, months=3, batch_size=500, communities=3)
    communities = list(Community.objects.order_by("pk"))
    assert len(communities) == 3
    assert len({c.subdistrict_id for c in communities}) == 1
    for community in communities:
        complex_ = Complex.objects.get(name="压测小区", community=community)
        assert Activity.objects.filter(complex=complex_).count() == 12
        assert complex_.household_count == (
            Household.objects.filter(building__complex=complex_).count()
        )
    assert rollups.differences() == []
    today = timezone.localdate()
    year, month = add_months(today.year, today.month, -1)
    s = subdistrict_summary(year=year, month=month, communities=communities)
    assert s.total.activities == sum(line.activities for line in s.lines) > 0
    for line, community in zip(s.lines, communities, strict=True):
        mine = monthly_summary(year=year, month=month, community=community)
        assert (line.activities, line.attendance, line.households) == (
            mine.activities_held.value,
            mine.attendance.value,
            mine.households_reached.value,
        )
    whole = monthly_summary(year=year, month=month)
    assert s.total.households == whole.households_reached.value
