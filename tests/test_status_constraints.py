"""A status and its time go together, in the database: a need is resolved iff it has
`resolved_at`, a lead is closed iff it has `closed_at`, a sign-up is cancelled iff it has
`cancelled_at`. The migrations repair older rows before the constraints are added."""

from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from activities.models import Need, SignUp
from partners.models import Lead
from tests.factories import (
    ActivityFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    SignUpFactory,
)


@contextmanager
def refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def violations(instance) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.messages


def no_login():
    return ResidentFactory(user=None)


@pytest.mark.django_db
def test_a_resolved_need_without_resolved_at_is_refused_by_the_database():
    need = NeedFactory(resident=no_login())
    with refused_by_the_database():
        Need.objects.filter(pk=need.pk).update(status=Need.Status.RESOLVED)


@pytest.mark.django_db
def test_an_open_need_with_resolved_at_is_refused_by_the_database():
    with refused_by_the_database():
        NeedFactory(resident=no_login(), status=Need.Status.ACCEPTED, resolved_at=timezone.now())


@pytest.mark.django_db
def test_a_need_whose_status_and_time_disagree_is_refused_in_chinese():
    need = NeedFactory.build(resident=no_login(), status=Need.Status.RESOLVED)
    need.resolved_at = None
    assert "“已解决”的需求必须有解决时间，其他状态的需求不能有解决时间。" in violations(need)


@pytest.mark.django_db
def test_a_dropped_lead_without_closed_at_is_refused_by_the_database():
    lead = LeadFactory(offered_by=no_login())
    with refused_by_the_database():
        Lead.objects.filter(pk=lead.pk).update(stage=Lead.Stage.DROPPED)


@pytest.mark.django_db
def test_a_lead_still_followed_up_with_closed_at_is_refused_by_the_database():
    with refused_by_the_database():
        LeadFactory(offered_by=no_login(), stage=Lead.Stage.MEETING, closed_at=timezone.now())


@pytest.mark.django_db
def test_a_signed_lead_whose_time_is_missing_is_refused_in_chinese():
    lead = LeadFactory.build(
        offered_by=no_login(), stage=Lead.Stage.SIGNED, partner=PartnerFactory()
    )
    lead.closed_at = None
    assert "已签约或已放弃的线索必须有结束时间，仍在跟进的线索不能有结束时间。" in violations(lead)


@pytest.mark.django_db
def test_a_cancelled_sign_up_without_cancelled_at_is_refused_by_the_database():
    signup = SignUpFactory(resident=no_login())
    with refused_by_the_database():
        SignUp.objects.filter(pk=signup.pk).update(status=SignUp.Status.CANCELLED)


@pytest.mark.django_db
def test_an_active_sign_up_with_cancelled_at_is_refused_by_the_database():
    with refused_by_the_database():
        SignUpFactory(resident=no_login(), cancelled_at=timezone.now())


@pytest.mark.django_db
def test_a_sign_up_whose_status_and_time_disagree_is_refused_in_chinese():
    signup = SignUpFactory.build(
        activity=ActivityFactory(), resident=no_login(), status=SignUp.Status.CANCELLED
    )
    signup.cancelled_at = None
    assert "已取消的报名必须有取消时间，未取消的报名不能有取消时间。" in violations(signup)


# --- the repair migrations ---------------------------------------------------------------

BEFORE = [("activities", "0004_signup_who_and_history"), ("partners", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_signup(**fields):
    """A sign-up written as the schema at `BEFORE` has it (later migrations add columns the
    current model would insert), read back through the current model."""
    old_apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    activity = fields.pop("activity")
    resident = fields.pop("resident")
    row = old_apps.get_model("activities", "SignUp").objects.create(
        activity_id=activity.pk,
        resident_id=resident.pk,
        household_id=resident.household_id,
        status=fields.pop("status", SignUp.Status.CONFIRMED),
        check_in_code=f"{SignUp.objects.count() + 100000:06d}",
        confirmed_at=fields.pop("confirmed_at", timezone.now()),
        **fields,
    )
    return SignUp.objects.only("pk").get(pk=row.pk)


@pytest.mark.django_db(transaction=True)
def test_the_migrations_repair_status_times_before_constraining_them():
    latest = _latest()
    # Made with today's models, before going back: later migrations add columns to them.
    activity = ActivityFactory()
    residents = [no_login() for _ in range(7)]
    _migrate(BEFORE)
    try:
        created = timezone.now() - timezone.timedelta(days=40)
        cancelled = _old_signup(
            activity=activity,
            resident=residents.pop(),
            status=SignUp.Status.CANCELLED,
            created_at=created,
            confirmed_at=created,
            cancelled_at=None,
        )
        stray_cancel = _old_signup(
            activity=activity, resident=residents.pop(), cancelled_at=timezone.now()
        )
        # Needs and leads as the models were then (today's have columns added later).
        state = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        old_need = state.get_model("activities", "Need")
        old_lead = state.get_model("partners", "Lead")
        resolved = old_need.objects.create(
            resident_id=residents.pop().pk, title="楼道灯坏了", status=Need.Status.RESOLVED
        )
        stray_resolve = old_need.objects.create(
            resident_id=residents.pop().pk,
            title="楼道灯坏了",
            status=Need.Status.ACCEPTED,
            resolved_at=timezone.now(),
        )
        dropped = old_lead.objects.create(
            offered_by_id=residents.pop().pk,
            organisation="甲",
            offer="场地",
            stage=Lead.Stage.DROPPED,
        )
        stray_close = old_lead.objects.create(
            offered_by_id=residents.pop().pk,
            organisation="乙",
            offer="场地",
            stage=Lead.Stage.CONTACTED,
            closed_at=timezone.now(),
        )
        fine_cancelled_at = timezone.now()
        fine = _old_signup(
            activity=activity,
            resident=residents.pop(),
            status=SignUp.Status.CANCELLED,
            cancelled_at=fine_cancelled_at,
        )
    finally:
        _migrate(latest)

    for row in (cancelled, stray_cancel, resolved, stray_resolve, dropped, stray_close, fine):
        row.refresh_from_db()
    assert cancelled.cancelled_at == created
    assert stray_cancel.cancelled_at is None
    assert resolved.resolved_at == resolved.updated_at
    assert stray_resolve.resolved_at is None
    assert dropped.closed_at == dropped.updated_at
    assert stray_close.closed_at is None
    assert fine.cancelled_at == fine_cancelled_at
