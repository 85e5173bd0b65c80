"""The points bank (积分银行): rules, yearly cap, expiry, the append-only ledger and the
shop; the database refuses a negative balance or stock whatever the caller."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from activities.models import Category
from tests.factories import ActivityFactory, ResidentFactory
from volunteering import services
from volunteering.models import PointsEntry, PointsRule, ShopItem

from .factories import PointsRuleFactory, ShopItemFactory, VolunteerRoleFactory

pytestmark = pytest.mark.django_db


def _served(*, hours_minutes=120, role_name="引导员", category=Category.HEALTH):
    activity = ActivityFactory(at_the_door=True, category=category)
    role = VolunteerRoleFactory(activity=activity, name=role_name)
    signup = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    services.check_in_volunteer(signup=signup, now=activity.starts_at)
    return services.check_out_volunteer(
        signup=signup, now=activity.starts_at + dt.timedelta(minutes=hours_minutes)
    )


def test_checking_out_earns_points_by_hour_role_and_category_rules_added_together():
    PointsRuleFactory(kind=PointsRule.Kind.PER_HOUR, points=10)
    PointsRuleFactory(name="引导员", kind=PointsRule.Kind.PER_ROLE, role_name="引导员", points=5)
    PointsRuleFactory(
        name="为老", kind=PointsRule.Kind.PER_CATEGORY, category=Category.ELDERLY, points=7
    )
    PointsRuleFactory(name="停用", kind=PointsRule.Kind.PER_HOUR, points=100, is_active=False)

    signup = _served(category=Category.ELDERLY)

    entry = PointsEntry.objects.get(signup=signup)
    assert entry.kind == PointsEntry.Kind.EARNED
    assert entry.points == 2 * 10 + 5 + 7
    assert services.balance_of(signup.resident) == 32
    assert entry.expires_on is not None


def test_points_earned_in_a_year_stop_at_the_yearly_cap(settings):
    settings.POINTS_YEARLY_CAP = 25
    PointsRuleFactory(points=10)
    first = _served()
    resident = first.resident
    activity = ActivityFactory(at_the_door=True)
    role = VolunteerRoleFactory(activity=activity)
    second = services.sign_up_for_role(role=role, resident=resident).signup
    services.check_in_volunteer(signup=second, now=activity.starts_at)
    services.check_out_volunteer(signup=second, now=activity.ends_at)

    assert [e.points for e in PointsEntry.objects.filter(resident=resident)] == [20, 5]
    assert services.balance_of(resident) == 25


def test_adjusting_hours_corrects_the_points_with_the_reason_and_never_edits_a_line():
    PointsRuleFactory(points=10)
    signup = _served(hours_minutes=60)

    services.adjust_hours(signup=signup, hours=3, reason="补记会后整理")

    lines = list(PointsEntry.objects.filter(resident=signup.resident).order_by("seq"))
    assert [(e.kind, e.points, e.balance) for e in lines] == [
        ("earned", 10, 10),
        ("corrected", 20, 30),
    ]
    assert lines[1].reason == "补记会后整理"


def test_redeeming_takes_points_and_stock_and_refuses_what_would_go_below_zero(staff_user):
    resident = ResidentFactory()
    services.correct_points(resident=resident, points=120, reason="期初积分", by=staff_user)
    item = ShopItemFactory(points=50, stock=3)

    entry = services.redeem(resident=resident, item=item, quantity=2, by=staff_user)

    assert (entry.points, entry.balance, entry.created_by) == (-100, 20, staff_user)
    item.refresh_from_db()
    assert item.stock == 1
    with pytest.raises(ValidationError) as refused:
        services.redeem(resident=resident, item=item)
    assert refused.value.code == "insufficient_points"
    services.correct_points(resident=resident, points=200, reason="补录", by=staff_user)
    with pytest.raises(ValidationError) as refused:
        services.redeem(resident=resident, item=item, quantity=2)
    assert refused.value.code == "out_of_stock"


def test_a_correction_needs_a_reason_and_cannot_take_the_balance_below_zero():
    resident = ResidentFactory()
    with pytest.raises(ValidationError) as refused:
        services.correct_points(resident=resident, points=5, reason="")
    assert refused.value.code == "reason_required"
    with pytest.raises(ValidationError) as refused:
        services.correct_points(resident=resident, points=-5, reason="误记")
    assert refused.value.code == "insufficient_points"


def test_the_database_refuses_a_negative_balance_a_negative_stock_and_a_second_line_at_a_place():
    resident = ResidentFactory()
    services.correct_points(resident=resident, points=10, reason="期初积分")
    item = ShopItemFactory(stock=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            resident=resident, seq=2, kind="corrected", points=-20, balance=-10, reason="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            resident=resident, seq=1, kind="corrected", points=1, balance=11, reason="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ShopItem.objects.filter(pk=item.pk).update(stock=-1)


def test_points_expire_oldest_first_and_running_expiry_twice_takes_nothing_more(settings):
    settings.POINTS_EXPIRE_MONTHS = 12
    PointsRuleFactory(points=10)
    signup = _served()  # 20 points
    resident = signup.resident
    item = ShopItemFactory(points=15)
    services.redeem(resident=resident, item=item)  # 5 left, all from the earning
    earned = PointsEntry.objects.get(signup=signup)

    later = earned.expires_on + dt.timedelta(days=1)
    assert services.expire_points(today=later) == 1
    assert services.expire_points(today=later) == 0

    assert services.balance_of(resident) == 0
    assert PointsEntry.objects.filter(resident=resident, kind="expired").get().points == -5


def test_a_restock_adds_to_the_stock():
    item = ShopItemFactory(stock=2)

    services.restock(item=item, quantity=5)

    item.refresh_from_db()
    assert item.stock == 7


def test_items_redeemed_count_as_deliveries_of_the_partners_commitment():
    from activities.selectors import commitment_delivery
    from tests.factories import PartnerFactory, ResourceCommitmentFactory

    partner = PartnerFactory()
    commitment = ResourceCommitmentFactory(
        partner=partner, agreement=None, promise="monthly", times=1
    )
    item = ShopItemFactory(partner=partner, commitment=commitment, points=10)
    resident = ResidentFactory()
    services.correct_points(resident=resident, points=50, reason="期初")

    services.redeem(resident=resident, item=item, quantity=2)

    rows = [row for term in commitment_delivery(partner=partner) for row in term.rows]
    assert [(row.commitment, row.delivered) for row in rows] == [(commitment, 2)]


def test_the_expire_points_command_runs_and_says_how_many_residents_lost_points():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("expire_points", stdout=out)

    assert "0" in out.getvalue()
