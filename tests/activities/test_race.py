"""Real concurrency on PostgreSQL: many threads, each with its own database connection, call
the services at the same moment. A full activity never confirms one more resident, a double
click never makes two sign-ups, and a cancellation hands its seat to the waiting list."""

import threading

import pytest
from django.conf import settings
from django.db import connections

from activities import services
from activities.models import SignUp
from tests.factories import ActivityFactory, ResidentFactory

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="needs PostgreSQL: the in-memory SQLite test database cannot be shared between "
        "threads, and SQLite serialises writers with BEGIN IMMEDIATE instead of row locks",
    ),
    # serialized_rollback: the flush after a transactional test would otherwise also wipe
    # the roles created by a data migration for the tests that come after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT = 60  # seconds; a deadlock fails the test instead of hanging the suite


def run_together(calls):
    """Run each zero-argument call in its own thread, all released at once by a barrier.

    Returns (results, errors) in the order of `calls`; each thread closes its connections.
    """
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    results = [None] * len(calls)
    errors = []

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return results, errors


def residents(count):
    # No logins: hashing 50 passwords would only slow the test down.
    return ResidentFactory.create_batch(count, user=None)


def test_fifty_simultaneous_sign_ups_for_ten_seats_confirm_exactly_ten():
    activity = ActivityFactory(capacity=10)
    people = residents(50)

    results, errors = run_together(
        [lambda r=r: services.sign_up(activity=activity.pk, resident=r) for r in people]
    )

    assert errors == []
    assert all(result.created for result in results)
    signups = list(SignUp.objects.filter(activity=activity))
    assert len(signups) == 50
    statuses = [s.status for s in signups]
    assert statuses.count(SignUp.Status.CONFIRMED) == 10
    assert statuses.count(SignUp.Status.WAITLISTED) == 40
    assert len({s.check_in_code for s in signups}) == 50
    waiting = [s for s in signups if s.status == SignUp.Status.WAITLISTED]
    assert sorted(services.waitlist_position(s) for s in waiting) == list(range(1, 41))
    # Seats went to those who got the lock first: no waitlisted sign-up is older than a
    # confirmed one.
    confirmed = [s for s in signups if s.status == SignUp.Status.CONFIRMED]
    assert max(s.created_at for s in confirmed) <= min(s.created_at for s in waiting)


def test_ten_simultaneous_clicks_by_one_resident_make_one_sign_up():
    activity = ActivityFactory(capacity=10)
    resident = residents(1)[0]

    results, errors = run_together(
        [lambda: services.sign_up(activity=activity.pk, resident=resident)] * 10
    )

    assert errors == []
    assert [r.created for r in results].count(True) == 1
    assert len({r.signup.pk for r in results}) == 1
    assert SignUp.objects.filter(activity=activity, resident=resident).count() == 1


def test_simultaneous_cancellations_and_sign_ups_give_freed_seats_to_the_waiting_list():
    activity = ActivityFactory(capacity=10)
    holders = [services.sign_up(activity=activity, resident=r).signup for r in residents(10)]
    waiting = [services.sign_up(activity=activity, resident=r).signup for r in residents(10)]
    newcomers = residents(15)

    calls = [lambda s=s: services.cancel(signup=s.pk) for s in holders[:5]]
    calls += [lambda r=r: services.sign_up(activity=activity.pk, resident=r) for r in newcomers]
    results, errors = run_together(calls)

    assert errors == []
    confirmed = set(
        SignUp.objects.filter(activity=activity, status=SignUp.Status.CONFIRMED).values_list(
            "pk", flat=True
        )
    )
    # The five who stayed and the five longest on the waiting list; never a newcomer.
    assert confirmed == {s.pk for s in holders[5:]} | {s.pk for s in waiting[:5]}
    for signup in waiting[:5]:
        signup.refresh_from_db()
        assert signup.promoted_at is not None
        assert signup.promotion_unseen is True
    still_waiting = waiting[5:] + [r.signup for r in results[5:]]
    for signup in still_waiting:
        signup.refresh_from_db()
    positions = [services.waitlist_position(s) for s in still_waiting]
    assert positions[:5] == [1, 2, 3, 4, 5]
    assert sorted(positions[5:]) == list(range(6, 21))
