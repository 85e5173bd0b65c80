"""Real concurrency on PostgreSQL, as tests/activities/test_race.py does for seats: a role
never confirms one more volunteer than its places, a cancellation hands its place to the
role's waiting list, and two shop desks can never make a balance or a stock negative."""

import pytest
from django.conf import settings

from tests.activities.test_race import run_together
from tests.factories import ResidentFactory
from volunteering import services
from volunteering.models import PointsEntry, RoleSignUp, ShopItem

from .factories import ShopItemFactory, VolunteerRoleFactory

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL row locks and threads"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def residents(count):
    return ResidentFactory.create_batch(count, user=None)


def test_thirty_simultaneous_volunteers_for_four_places_confirm_exactly_four():
    role = VolunteerRoleFactory(places=4)
    people = residents(30)

    results, errors = run_together(
        [lambda r=r: services.sign_up_for_role(role=role.pk, resident=r) for r in people]
    )

    assert errors == []
    assert all(result.created for result in results)
    statuses = list(RoleSignUp.objects.filter(role=role).values_list("status", flat=True))
    assert statuses.count(RoleSignUp.Status.CONFIRMED) == 4
    assert statuses.count(RoleSignUp.Status.WAITLISTED) == 26


def test_simultaneous_cancellations_and_sign_ups_give_freed_places_to_the_roles_waiting_list():
    role = VolunteerRoleFactory(places=4)
    holders = [services.sign_up_for_role(role=role, resident=r).signup for r in residents(4)]
    waiting = [services.sign_up_for_role(role=role, resident=r).signup for r in residents(4)]

    calls = [lambda s=s: services.cancel_role_signup(signup=s.pk) for s in holders[:2]]
    calls += [lambda r=r: services.sign_up_for_role(role=role.pk, resident=r) for r in residents(8)]
    _results, errors = run_together(calls)

    assert errors == []
    confirmed = set(
        RoleSignUp.objects.filter(role=role, status=RoleSignUp.Status.CONFIRMED).values_list(
            "pk", flat=True
        )
    )
    assert confirmed == {s.pk for s in holders[2:]} | {s.pk for s in waiting[:2]}


def test_two_desks_spending_the_same_points_at_once_never_make_the_balance_negative():
    resident = residents(1)[0]
    services.correct_points(resident=resident, points=100, reason="期初积分")
    items = [ShopItemFactory(points=60, stock=10) for _ in range(6)]

    _results, errors = run_together(
        [lambda i=i: services.redeem(resident=resident.pk, item=i.pk) for i in items]
    )

    # 100 points pay for one 60-point item: one desk wins, the others are refused.
    assert len(errors) == 5
    assert all(getattr(e, "code", None) == "insufficient_points" for e in errors)
    assert services.balance_of(resident) == 40
    assert PointsEntry.objects.filter(resident=resident, kind="redeemed").count() == 1


def test_many_desks_redeeming_the_last_items_never_make_the_stock_negative():
    item = ShopItemFactory(points=10, stock=3)
    people = residents(12)
    for person in people:
        services.correct_points(resident=person, points=50, reason="期初积分")

    _results, errors = run_together(
        [lambda p=p: services.redeem(resident=p.pk, item=item.pk) for p in people]
    )

    assert len(errors) == 9
    assert all(getattr(e, "code", None) == "out_of_stock" for e in errors)
    assert ShopItem.objects.get(pk=item.pk).stock == 0
    assert PointsEntry.objects.filter(item=item, kind="redeemed").count() == 3
