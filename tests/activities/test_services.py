"""The sign-up rules of `activities.services`: seats, waiting list, cancellation, check-in,
feedback. Every refusal carries a `code` and a message in the user's language."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from activities import services
from activities.models import Activity, Feedback, SignUp
from core import pagecache
from tests.factories import (
    ActivityFactory,
    FeedbackFactory,
    ResidentFactory,
    SignUpFactory,
    StaffUserFactory,
    hold,
)

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def refusal(call) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


def assert_refused(call, code: str) -> str:
    """The call is refused with `code`, in Chinese by default and with a message under
    English too (the English catalogue is filled in later). Returns the Chinese message."""
    chinese = refusal(call)
    assert chinese.code == code
    message = chinese.messages[0]
    assert CJK.search(message), message
    with translation.override("en"):
        english = refusal(call)
    assert english.code == code
    assert english.messages[0].strip()
    return message


def someone(**kwargs):
    """A resident without a login (as staff register them): the services need no login, and
    hashing a password per resident would make these tests slow."""
    return ResidentFactory(**{"user": None, **kwargs})


def people(count: int, **kwargs):
    return ResidentFactory.create_batch(count, **{"user": None, **kwargs})


def sign_up_all(activity, residents):
    return [services.sign_up(activity=activity, resident=r).signup for r in residents]


def age_at(activity, resident) -> int:
    return timezone.localtime(activity.starts_at).year - resident.birth_year


# --- sign-up: seats and waiting list -----------------------------------------------------


def test_sign_up_confirms_the_first_ten_residents_of_a_ten_seat_activity():
    activity = ActivityFactory(capacity=10)
    signups = sign_up_all(activity, people(10))
    assert [s.status for s in signups] == [SignUp.Status.CONFIRMED] * 10
    assert all(s.confirmed_at is not None for s in signups)
    assert all(services.waitlist_position(s) is None for s in signups)


def test_sign_up_puts_the_11th_resident_on_the_waiting_list():
    activity = ActivityFactory(capacity=10)
    sign_up_all(activity, people(10))
    result = services.sign_up(activity=activity, resident=someone())
    assert result.created
    assert result.signup.status == SignUp.Status.WAITLISTED
    assert result.signup.confirmed_at is None
    assert services.waitlist_position(result.signup) == 1
    assert activity.signups.filter(status=SignUp.Status.CONFIRMED).count() == 10


def test_sign_up_accepts_the_activity_by_its_id():
    activity = ActivityFactory()
    result = services.sign_up(activity=activity.pk, resident=someone())
    assert result.signup.activity_id == activity.pk


def test_sign_up_without_capacity_confirms_everyone():
    activity = ActivityFactory(capacity=None)
    signups = sign_up_all(activity, people(25))
    assert {s.status for s in signups} == {SignUp.Status.CONFIRMED}


def test_sign_up_with_zero_seats_puts_everyone_on_the_waiting_list():
    activity = ActivityFactory(capacity=0)
    signups = sign_up_all(activity, people(3))
    assert [services.waitlist_position(s) for s in signups] == [1, 2, 3]


def test_signing_up_twice_returns_the_existing_sign_up():
    activity = ActivityFactory()
    resident = someone()
    first = services.sign_up(activity=activity, resident=resident)
    second = services.sign_up(activity=activity, resident=resident)
    assert first.created is True
    assert second.created is False
    assert second.signup.pk == first.signup.pk
    assert SignUp.objects.filter(activity=activity, resident=resident).count() == 1


def test_signing_up_twice_while_waitlisted_keeps_the_place_in_the_queue():
    activity = ActivityFactory(capacity=1)
    waiting = sign_up_all(activity, people(3))
    again = services.sign_up(activity=activity, resident=waiting[1].resident)
    assert again.created is False
    assert services.waitlist_position(again.signup) == 1


def test_signing_up_again_after_cancelling_makes_a_new_sign_up_with_the_same_code():
    activity = ActivityFactory()
    resident = someone()
    first = services.sign_up(activity=activity, resident=resident).signup
    services.cancel(signup=first)
    second = services.sign_up(activity=activity, resident=resident)
    assert second.created is True
    assert second.signup.pk != first.pk
    assert second.signup.check_in_code == first.check_in_code
    assert SignUp.objects.filter(activity=activity, resident=resident).count() == 2


def test_a_cancelled_code_is_never_given_to_another_resident():
    activity = ActivityFactory(capacity=None)
    first = services.sign_up(activity=activity, resident=someone()).signup
    services.cancel(signup=first)
    codes = {s.check_in_code for s in sign_up_all(activity, people(20))}
    assert first.check_in_code not in codes


def test_check_in_with_a_kept_code_checks_in_the_active_sign_up():
    activity = ActivityFactory(
        starts_at=timezone.now() + dt.timedelta(minutes=10),
        ends_at=timezone.now() + dt.timedelta(hours=2),
    )
    resident = someone()
    first = services.sign_up(activity=activity, resident=resident).signup
    services.cancel(signup=first)
    second = services.sign_up(activity=activity, resident=resident).signup
    checked = services.check_in(activity=activity, code=first.check_in_code)
    assert checked.pk == second.pk
    assert checked.attended is True


def test_sign_up_gives_each_resident_a_distinct_six_digit_check_in_code():
    activity = ActivityFactory(capacity=None)
    codes = [s.check_in_code for s in sign_up_all(activity, people(30))]
    assert len(set(codes)) == 30
    assert all(re.fullmatch(r"\d{6}", code) for code in codes)


def test_staff_sign_up_a_resident_without_a_login_and_are_recorded_as_the_signer():
    staff = StaffUserFactory()
    resident = ResidentFactory(user=None)
    signup = services.sign_up(activity=ActivityFactory(), resident=resident, by=staff).signup
    signup.refresh_from_db()
    assert signup.signed_up_by == staff
    assert signup.resident.user is None


def test_sign_up_locks_the_activity_before_it_counts_the_seats():
    activity = ActivityFactory()
    resident = someone()
    with CaptureQueriesContext(connection) as queries:
        services.sign_up(activity=activity, resident=resident)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    first = statements[0]
    assert first.startswith("SELECT") and '"activities_activity"' in first
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in first
    # (On SQLite the lock is the connection's BEGIN IMMEDIATE, see tests/test_settings.py.)
    counting = [i for i, sql in enumerate(statements) if "COUNT(" in sql]
    assert counting and counting[0] > 0


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_sign_up_takes_as_many_queries_for_a_full_activity_with_a_queue_as_for_an_empty_one():
    empty, full = ActivityFactory(capacity=5), ActivityFactory(capacity=5)
    sign_up_all(full, people(40))
    counts = []
    for activity in (empty, full):
        resident = someone()
        with CaptureQueriesContext(connection) as queries:
            services.sign_up(activity=activity, resident=resident)
        counts.append(len(_statements(queries)))
    assert counts[0] == counts[1]


def test_sign_up_reads_no_row_twice_and_validates_without_the_database():
    activity = ActivityFactory(capacity=10)
    resident = someone()
    with CaptureQueriesContext(connection) as queries:
        services.sign_up(activity=activity, resident=resident)
    # The summary's roll-ups (activities.rollups) write their own rows in the transaction.
    own = [sql for sql in _statements(queries) if "tally" not in sql and "reach" not in sql]
    # the lock, one query about the activity's sign-ups, the insert and its history (+ the
    # BEGIN/COMMIT around them on SQLite)
    assert len(own) <= 6, own


def test_sign_up_draws_again_when_the_drawn_code_is_taken_in_the_activity(monkeypatch):
    activity = ActivityFactory(capacity=None)
    taken = services.sign_up(activity=activity, resident=someone()).signup
    services.cancel(signup=taken)  # a cancelled code stays taken too
    draws = iter([int(taken.check_in_code), 123456])
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: next(draws))

    signup = services.sign_up(activity=activity, resident=someone()).signup

    assert signup.check_in_code == "123456"


def test_the_database_still_refuses_a_second_active_sign_up_that_skipped_the_checks():
    from django.db import IntegrityError

    signup = services.sign_up(activity=ActivityFactory(), resident=someone()).signup
    twin = SignUp(
        activity=signup.activity,
        resident=signup.resident,
        status=SignUp.Status.CONFIRMED,
        check_in_code="000001",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_newcomer_does_not_overtake_the_waiting_list_when_seats_were_added_without_a_fill():
    activity = ActivityFactory(capacity=1)
    first, waiting = sign_up_all(activity, people(2))
    Activity.objects.filter(pk=activity.pk).update(capacity=2)  # raised, no fill_free_seats

    newcomer = services.sign_up(activity=activity, resident=someone()).signup

    waiting.refresh_from_db()
    assert waiting.status == SignUp.Status.CONFIRMED
    assert waiting.promoted_at is not None
    assert newcomer.status == SignUp.Status.WAITLISTED
    assert services.waitlist_position(newcomer) == 1


# --- sign-up: who may sign up, and when --------------------------------------------------


def assert_sign_up_refused(activity, resident, code: str) -> str:
    message = assert_refused(lambda: services.sign_up(activity=activity, resident=resident), code)
    assert not SignUp.objects.filter(activity=activity).exists()
    return message


def test_sign_up_before_the_window_opens_is_refused_with_the_opening_time():
    opens = timezone.now() + dt.timedelta(days=1)
    activity = ActivityFactory(signup_opens_at=opens)
    message = assert_sign_up_refused(activity, someone(), "window_not_open")
    assert timezone.localtime(opens).strftime("%Y-%m-%d %H:%M") in message


def test_sign_up_after_the_window_opened_is_accepted():
    activity = ActivityFactory(signup_opens_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.sign_up(activity=activity, resident=someone()).created


def test_sign_up_after_the_deadline_is_refused():
    activity = ActivityFactory(signup_closes_at=timezone.now() - dt.timedelta(minutes=1))
    message = assert_sign_up_refused(activity, someone(), "window_closed")
    assert message == "报名已截止。"


def test_sign_up_after_the_activity_started_is_refused():
    activity = ActivityFactory(starts_at=timezone.now() - dt.timedelta(minutes=30))
    assert_sign_up_refused(activity, someone(), "window_closed")


def test_sign_up_after_the_start_is_refused_even_when_the_deadline_is_later():
    now = timezone.now()
    activity = ActivityFactory(
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(hours=3),
        signup_closes_at=now + dt.timedelta(hours=1),
    )
    assert_sign_up_refused(activity, someone(), "window_closed")


def test_sign_up_for_a_cancelled_activity_is_refused():
    activity = ActivityFactory(status=Activity.Status.CANCELLED)
    message = assert_sign_up_refused(activity, someone(), "cancelled")
    assert message == "该活动已取消。"


def test_sign_up_for_a_planned_activity_not_yet_open_is_refused():
    activity = ActivityFactory(status=Activity.Status.PLANNED)
    assert_sign_up_refused(activity, someone(), "not_open")


def test_sign_up_for_a_held_activity_is_refused():
    activity = ActivityFactory(status=Activity.Status.HELD)
    assert_sign_up_refused(activity, someone(), "past")


def test_sign_up_for_an_activity_that_has_ended_is_refused():
    activity = ActivityFactory(starts_at=timezone.now() - dt.timedelta(days=2))
    assert activity.status == Activity.Status.OPEN
    assert_sign_up_refused(activity, someone(), "past")


def test_sign_up_for_a_party_members_only_activity_is_refused_to_other_residents():
    activity = ActivityFactory(party_members_only=True)
    assert_sign_up_refused(activity, someone(is_party_member=False), "party_members_only")


def test_sign_up_for_a_party_members_only_activity_is_open_to_party_members():
    activity = ActivityFactory(party_members_only=True)
    result = services.sign_up(activity=activity, resident=someone(is_party_member=True))
    assert result.created
    assert result.signup.status == SignUp.Status.CONFIRMED


def test_sign_up_is_refused_to_a_resident_younger_than_the_minimum_age():
    resident = someone(birth_year=2016)
    activity = ActivityFactory()
    activity.min_age = age_at(activity, resident) + 1
    activity.save()
    message = assert_sign_up_refused(activity, resident, "too_young")
    assert str(activity.min_age) in message


def test_sign_up_is_refused_to_a_resident_older_than_the_maximum_age():
    resident = someone(birth_year=1950)
    activity = ActivityFactory()
    activity.max_age = age_at(activity, resident) - 1
    activity.save()
    message = assert_sign_up_refused(activity, resident, "too_old")
    assert str(activity.max_age) in message


def test_sign_up_accepts_residents_exactly_at_the_age_limits():
    resident = someone(birth_year=1960)
    activity = ActivityFactory()
    activity.min_age = activity.max_age = age_at(activity, resident)
    activity.save()
    assert services.sign_up(activity=activity, resident=resident).created


def test_sign_up_with_an_age_limit_is_refused_when_the_birth_year_is_unknown():
    activity = ActivityFactory(min_age=60)
    assert_sign_up_refused(activity, someone(birth_year=None), "age_unknown")


def test_sign_up_without_an_age_limit_accepts_an_unknown_birth_year():
    activity = ActivityFactory()
    assert services.sign_up(activity=activity, resident=someone(birth_year=None)).created


def test_sign_up_is_refused_to_an_anonymised_resident():
    resident = someone(anonymised_at=timezone.now())
    assert_sign_up_refused(ActivityFactory(), resident, "anonymised")


def test_sign_up_of_a_missing_activity_is_refused():
    activity = ActivityFactory()
    missing = activity.pk
    activity.delete()
    assert_refused(lambda: services.sign_up(activity=missing, resident=someone()), "not_found")


# --- waiting list ------------------------------------------------------------------------


def test_waitlist_position_counts_from_one_in_the_order_residents_signed_up():
    activity = ActivityFactory(capacity=2)
    signups = sign_up_all(activity, people(6))
    assert [services.waitlist_position(s) for s in signups] == [None, None, 1, 2, 3, 4]


def test_waitlist_position_breaks_a_tie_in_sign_up_time_by_arrival_order():
    activity = ActivityFactory(capacity=0)
    moment = timezone.now()
    signups = [
        SignUpFactory(
            activity=activity, status=SignUp.Status.WAITLISTED, created_at=moment, confirmed_at=None
        )
        for _ in range(3)
    ]
    assert [services.waitlist_position(s) for s in signups] == [1, 2, 3]


# --- cancellation and promotion ----------------------------------------------------------


def test_cancel_frees_the_seat_for_the_oldest_waitlisted_resident(
    django_capture_on_commit_callbacks,
):
    activity = ActivityFactory(capacity=2)
    first, second, oldest, younger = sign_up_all(activity, people(4))

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.cancel(signup=first)

    assert cancelled.status == SignUp.Status.CANCELLED
    assert cancelled.cancelled_at is not None
    oldest.refresh_from_db()
    younger.refresh_from_db()
    assert oldest.status == SignUp.Status.CONFIRMED
    assert oldest.promoted_at == oldest.confirmed_at == cancelled.cancelled_at
    assert oldest.promotion_unseen is True
    assert younger.status == SignUp.Status.WAITLISTED
    assert services.waitlist_position(younger) == 1
    assert activity.signups.filter(status=SignUp.Status.CONFIRMED).count() == 2


def test_a_promoted_resident_with_an_e_mail_address_is_told(
    django_capture_on_commit_callbacks, mailoutbox
):
    activity = ActivityFactory(capacity=1, title="太极拳公益课")
    holder = services.sign_up(activity=activity, resident=someone()).signup
    waiting = services.sign_up(
        activity=activity, resident=someone(email="wang.fang@example.org")
    ).signup

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.cancel(signup=holder)

    # One message to the promoted resident (the others refresh the cached pages).
    ours = (pagecache.bump_version, pagecache.bump_pending_scopes)
    assert len([c for c in callbacks if getattr(c, "func", c) not in ours]) == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["wang.fang@example.org"]
    assert "太极拳公益课" in mail.subject
    assert waiting.check_in_code in mail.body
    assert activity.place in mail.body


def test_a_promoted_resident_without_an_e_mail_address_gets_no_mail(
    django_capture_on_commit_callbacks, mailoutbox
):
    activity = ActivityFactory(capacity=1)
    holder, waiting = sign_up_all(activity, people(2, email=""))
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(signup=holder)
    waiting.refresh_from_db()
    assert waiting.status == SignUp.Status.CONFIRMED
    assert mailoutbox == []


def test_no_mail_is_sent_when_the_cancellation_is_rolled_back(
    django_capture_on_commit_callbacks, mailoutbox
):
    activity = ActivityFactory(capacity=1)
    holder = services.sign_up(activity=activity, resident=someone()).signup
    waiting = services.sign_up(activity=activity, resident=someone(email="li@example.org")).signup

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.cancel(signup=holder)
        raise RuntimeError("the request failed after the cancellation")

    assert callbacks == []
    assert mailoutbox == []
    waiting.refresh_from_db()
    assert waiting.status == SignUp.Status.WAITLISTED


def test_cancel_writes_nothing_when_the_promotion_fails(monkeypatch):
    activity = ActivityFactory(capacity=1)
    holder, waiting = sign_up_all(activity, people(2))

    def broken_promote(*args, **kwargs):
        raise RuntimeError("promotion failed")

    monkeypatch.setattr(services, "_promote", broken_promote)
    with pytest.raises(RuntimeError):
        services.cancel(signup=holder)

    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert holder.status == SignUp.Status.CONFIRMED
    assert holder.cancelled_at is None
    assert waiting.status == SignUp.Status.WAITLISTED


def test_cancelling_a_waitlisted_sign_up_promotes_nobody_and_keeps_the_queue_order():
    activity = ActivityFactory(capacity=1)
    holder, w1, w2, w3 = sign_up_all(activity, people(4))

    services.cancel(signup=w2.pk)

    holder.refresh_from_db()
    assert holder.status == SignUp.Status.CONFIRMED
    for signup in (w1, w3):
        signup.refresh_from_db()
        assert signup.status == SignUp.Status.WAITLISTED
        assert signup.promoted_at is None
    assert services.waitlist_position(w1) == 1
    assert services.waitlist_position(w3) == 2


def test_cancelling_twice_changes_nothing_the_second_time():
    activity = ActivityFactory(capacity=1)
    holder, waiting, last = sign_up_all(activity, people(3))
    first = services.cancel(signup=holder)
    again = services.cancel(signup=holder)

    assert again.status == SignUp.Status.CANCELLED
    assert again.cancelled_at == first.cancelled_at
    last.refresh_from_db()
    assert last.status == SignUp.Status.WAITLISTED
    assert activity.signups.filter(status=SignUp.Status.CONFIRMED).count() == 1


def test_cancel_after_the_activity_started_is_refused():
    activity = ActivityFactory(starts_at=timezone.now() - dt.timedelta(minutes=10))
    signup = SignUpFactory(activity=activity)
    message = assert_refused(lambda: services.cancel(signup=signup), "started")
    assert message == "活动已开始，不能取消报名。"
    signup.refresh_from_db()
    assert signup.status == SignUp.Status.CONFIRMED


def test_cancel_of_an_attended_sign_up_is_refused():
    signup = SignUpFactory(attended=True, checked_in_at=timezone.now())
    assert_refused(lambda: services.cancel(signup=signup), "attended")
    signup.refresh_from_db()
    assert signup.status == SignUp.Status.CONFIRMED


def test_cancel_of_a_missing_sign_up_is_refused():
    assert_refused(lambda: services.cancel(signup=987654), "not_found")


def test_cancel_clears_an_unseen_promotion_notice():
    activity = ActivityFactory(capacity=1)
    holder, promoted = sign_up_all(activity, people(2))
    services.cancel(signup=holder)
    promoted.refresh_from_db()
    assert promoted.promotion_unseen is True
    services.cancel(signup=promoted)
    promoted.refresh_from_db()
    assert promoted.promotion_unseen is False


# --- more seats --------------------------------------------------------------------------


def test_fill_free_seats_promotes_the_waiting_list_in_order_after_capacity_is_raised():
    activity = ActivityFactory(capacity=2)
    signups = sign_up_all(activity, people(6))
    Activity.objects.filter(pk=activity.pk).update(capacity=4)

    promoted = services.fill_free_seats(activity=activity)

    assert [s.pk for s in promoted] == [signups[2].pk, signups[3].pk]
    for signup in signups[2:4]:
        signup.refresh_from_db()
        assert signup.status == SignUp.Status.CONFIRMED
        assert signup.promoted_at is not None
        assert signup.promotion_unseen is True
    assert [services.waitlist_position(s) for s in signups[4:]] == [1, 2]


def test_fill_free_seats_promotes_everyone_when_the_limit_is_removed():
    activity = ActivityFactory(capacity=1)
    sign_up_all(activity, people(4))
    Activity.objects.filter(pk=activity.pk).update(capacity=None)
    assert len(services.fill_free_seats(activity=activity.pk)) == 3
    assert not activity.signups.filter(status=SignUp.Status.WAITLISTED).exists()


def test_fill_free_seats_does_nothing_when_the_activity_is_full():
    activity = ActivityFactory(capacity=1)
    sign_up_all(activity, people(3))
    assert services.fill_free_seats(activity=activity) == []


def test_fill_free_seats_promotes_nobody_after_the_activity_ended():
    activity = ActivityFactory(capacity=1)
    sign_up_all(activity, people(2))
    past = timezone.now() - dt.timedelta(days=1)
    Activity.objects.filter(pk=activity.pk).update(
        capacity=5, starts_at=past - dt.timedelta(hours=2), ends_at=past
    )
    assert services.fill_free_seats(activity=activity) == []


# --- check-in ----------------------------------------------------------------------------


def test_check_in_with_a_valid_code_marks_the_resident_present():
    activity = ActivityFactory(at_the_door=True)
    signup = services.sign_up(activity=activity, resident=someone()).signup
    before = timezone.now()
    checked = services.check_in(activity=activity, code=f" {signup.check_in_code} ")
    assert checked.pk == signup.pk
    assert checked.attended is True
    assert before <= checked.checked_in_at <= timezone.now()


def test_checking_in_twice_keeps_the_first_check_in_time():
    activity = ActivityFactory(at_the_door=True)
    signup = services.sign_up(activity=activity, resident=someone()).signup
    first = services.check_in(activity=activity, code=signup.check_in_code)
    second = services.check_in(activity=activity.pk, code=signup.check_in_code)
    assert second.attended is True
    assert second.checked_in_at == first.checked_in_at


def test_check_in_with_a_wrong_code_is_refused():
    activity = ActivityFactory()
    signup = services.sign_up(activity=activity, resident=someone()).signup
    wrong = f"{(int(signup.check_in_code) + 1) % 1_000_000:06d}"
    message = assert_refused(
        lambda: services.check_in(activity=activity, code=wrong), "invalid_code"
    )
    assert message == "签到码无效。"
    assert_refused(lambda: services.check_in(activity=activity, code=""), "invalid_code")
    signup.refresh_from_db()
    assert signup.attended is False


def test_check_in_with_the_code_of_another_activity_is_refused():
    signup = services.sign_up(activity=ActivityFactory(), resident=someone()).signup
    other = ActivityFactory()
    assert_refused(
        lambda: services.check_in(activity=other, code=signup.check_in_code), "invalid_code"
    )


def test_check_in_of_a_cancelled_sign_up_is_refused():
    activity = ActivityFactory()
    signup = services.sign_up(activity=activity, resident=someone()).signup
    services.cancel(signup=signup)
    assert_refused(
        lambda: services.check_in(activity=activity, code=signup.check_in_code), "cancelled"
    )
    signup.refresh_from_db()
    assert signup.attended is False


def test_check_in_of_a_waitlisted_resident_is_refused():
    activity = ActivityFactory(capacity=1)
    _, waiting = sign_up_all(activity, people(2))
    assert_refused(
        lambda: services.check_in(activity=activity, code=waiting.check_in_code), "waitlisted"
    )
    waiting.refresh_from_db()
    assert waiting.attended is False


def test_check_in_at_a_cancelled_activity_is_refused():
    activity = ActivityFactory()
    signup = services.sign_up(activity=activity, resident=someone()).signup
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.CANCELLED)
    assert_refused(
        lambda: services.check_in(activity=activity, code=signup.check_in_code),
        "activity_cancelled",
    )


def test_undo_check_in_takes_the_check_in_back():
    signup = SignUpFactory(attended=True, checked_in_at=timezone.now())
    undone = services.undo_check_in(signup=signup.pk)
    assert undone.attended is False
    assert undone.checked_in_at is None


# --- feedback ----------------------------------------------------------------------------


def attended_signup():
    """A resident who signed up, was checked in at the door, and the activity is over."""
    activity = ActivityFactory(at_the_door=True)
    signup = services.sign_up(activity=activity, resident=someone()).signup
    signup = services.check_in(activity=activity, code=signup.check_in_code)
    hold(activity)
    signup.refresh_from_db()
    return signup


def test_feedback_is_refused_to_a_resident_who_did_not_attend():
    signup = services.sign_up(activity=ActivityFactory(), resident=someone()).signup
    assert_refused(lambda: services.leave_feedback(signup=signup, rating=5), "not_attended")
    assert not Feedback.objects.exists()


def test_an_attendee_leaves_feedback_and_can_change_it():
    signup = attended_signup()
    first = services.leave_feedback(signup=signup, rating=4, comment="很实用", may_publish=True)
    second = services.leave_feedback(signup=signup, rating=5, comment="老师很耐心")
    assert second.pk == first.pk
    assert Feedback.objects.get().rating == 5
    assert second.comment == "老师很耐心"
    assert second.may_publish is False


def test_feedback_with_a_rating_outside_one_to_five_is_refused_and_not_saved():
    signup = attended_signup()
    for rating in (0, 6):
        with pytest.raises(ValidationError) as caught:
            services.leave_feedback(signup=signup, rating=rating)
        assert "rating" in caught.value.message_dict
        assert CJK.search(caught.value.message_dict["rating"][0])
    assert not Feedback.objects.exists()


def test_staff_publish_feedback_only_when_the_resident_agreed():
    signup = attended_signup()
    private = services.leave_feedback(signup=signup, rating=5, may_publish=False)
    message = assert_refused(lambda: services.publish_feedback(feedback=private), "no_consent")
    assert message == "居民未同意公开，不能公开此评价。"
    private.refresh_from_db()
    assert private.is_published is False

    consenting = FeedbackFactory(may_publish=True)
    assert services.publish_feedback(feedback=consenting).is_published is True
    withdrawn = services.publish_feedback(feedback=consenting, publish=False)
    assert withdrawn.is_published is False


def test_withdrawing_consent_unpublishes_the_feedback():
    signup = attended_signup()
    feedback = services.leave_feedback(signup=signup, rating=5, may_publish=True)
    services.publish_feedback(feedback=feedback)
    feedback = services.leave_feedback(signup=signup, rating=5, may_publish=False)
    feedback.refresh_from_db()
    assert feedback.is_published is False


def test_undoing_a_check_in_removes_the_rating_only_an_attendee_could_leave():
    from tests.factories import FeedbackFactory

    feedback = FeedbackFactory()
    signup = services.undo_check_in(signup=feedback.signup)
    assert signup.attended is False and signup.checked_in_at is None
    assert not Feedback.objects.filter(pk=feedback.pk).exists()
