"""Agreements follow their dates: derived states in Asia/Shanghai, renewal, termination."""

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from partners import services
from partners.models import Agreement, AgreementState, Partner, ResourceCommitment
from tests.factories import AgreementFactory, ResourceCommitmentFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


def _at(year, month, day, hour=12, minute=0):
    """Pretend it is this local (Asia/Shanghai) time."""
    moment = dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _state(agreement, day=None):
    return Agreement.objects.with_state(day).get(pk=agreement.pk).state


def _term(**kwargs):
    defaults = {"signed_on": D(2025, 3, 1), "starts_on": D(2025, 3, 16), "ends_on": D(2026, 3, 15)}
    return AgreementFactory(**{**defaults, **kwargs})


def test_an_agreement_is_in_force_until_the_end_of_its_last_day_in_shanghai():
    agreement = _term()
    # 23:30 on the last day in Shanghai is 15:30 UTC: still in force.
    with _at(2026, 3, 15, 23, 30):
        assert _state(agreement) == AgreementState.ENDING
        assert agreement.is_in_force()
    # 00:30 on the next day in Shanghai is still the 15th in UTC: expired all the same.
    with _at(2026, 3, 16, 0, 30):
        assert timezone.now().astimezone(dt.UTC).date() == D(2026, 3, 15)
        assert _state(agreement) == AgreementState.EXPIRED
        assert not agreement.is_in_force()
        assert not Agreement.objects.in_force().filter(pk=agreement.pk).exists()


@pytest.mark.parametrize(
    ("day", "state"),
    [
        (D(2025, 3, 15), AgreementState.UPCOMING),
        (D(2025, 3, 16), AgreementState.IN_FORCE),
        (D(2026, 1, 13), AgreementState.IN_FORCE),
        (D(2026, 1, 14), AgreementState.ENDING),  # the last day is 60 days away
        (D(2026, 3, 15), AgreementState.ENDING),
        (D(2026, 3, 16), AgreementState.EXPIRED),
    ],
)
def test_state_follows_the_dates(day, state):
    agreement = _term()
    assert _state(agreement, day) == state
    assert agreement.state_on(day) == state


def test_a_draft_is_a_draft_whatever_the_dates():
    agreement = _term(status=Agreement.Status.DRAFT, signed_on=None)
    assert _state(agreement, D(2025, 6, 1)) == AgreementState.DRAFT
    assert not Agreement.objects.in_force(D(2025, 6, 1)).filter(pk=agreement.pk).exists()


def test_an_agreement_without_an_end_runs_until_further_notice():
    agreement = _term(ends_on=None)
    assert _state(agreement, D(2040, 1, 1)) == AgreementState.IN_FORCE


def test_a_renewal_starting_the_next_day_takes_over_without_a_gap():
    old = _term()
    new = services.renew_agreement(agreement=old)
    assert (new.starts_on, new.ends_on) == (D(2026, 3, 16), D(2027, 3, 15))
    assert new.status == Agreement.Status.DRAFT
    # Signed before the old one ends: the old one no longer counts as ending.
    new.status, new.signed_on = Agreement.Status.ACTIVE, D(2026, 3, 1)
    new.save()
    assert _state(old, D(2026, 3, 15)) == AgreementState.IN_FORCE
    assert _state(new, D(2026, 3, 15)) == AgreementState.UPCOMING
    assert _state(old, D(2026, 3, 16)) == AgreementState.RENEWED
    assert _state(new, D(2026, 3, 16)) == AgreementState.IN_FORCE
    # Every day, the partner has exactly one agreement in force.
    for day in (D(2026, 3, 15), D(2026, 3, 16)):
        assert Agreement.objects.in_force(day).filter(partner=old.partner).count() == 1
        assert Partner.objects.with_active_agreement(day).filter(pk=old.partner_id).exists()


def test_a_draft_renewal_does_not_stop_the_old_one_from_expiring():
    old = _term()
    services.renew_agreement(agreement=old)
    assert _state(old, D(2026, 3, 1)) == AgreementState.ENDING
    assert _state(old, D(2026, 3, 16)) == AgreementState.EXPIRED


def test_renewal_copies_the_active_commitments_into_the_draft():
    old = _term()
    ResourceCommitmentFactory(partner=old.partner, agreement=old, title="每月两次瑜伽课")
    ResourceCommitmentFactory(
        partner=old.partner,
        agreement=old,
        title="法律咨询",
        times_per_month=None,
        promise=ResourceCommitment.Promise.ON_REQUEST,
    )
    ResourceCommitmentFactory(partner=old.partner, agreement=old, title="停办的", is_active=False)

    new = services.renew_agreement(agreement=old)

    copied = list(new.commitments.order_by("title").values_list("title", "promise", "times"))
    assert copied == [("每月两次瑜伽课", "monthly", 2), ("法律咨询", "on_request", None)]
    assert old.commitments.count() == 3
    assert new.renews == old and new.partner == old.partner and new.complex == old.complex


def test_renewal_chain_reads_oldest_first_and_refuses_renewing_twice():
    first = _term()
    second = services.renew_agreement(agreement=first)
    second.status, second.signed_on = Agreement.Status.ACTIVE, D(2026, 3, 1)
    second.save()
    third = services.renew_agreement(agreement=second)

    assert [a.pk for a in first.renewal_chain()] == [first.pk, second.pk, third.pk]
    assert [a.pk for a in third.renewal_chain()] == [first.pk, second.pk, third.pk]
    assert (third.starts_on, third.ends_on) == (D(2027, 3, 16), D(2028, 3, 15))
    with pytest.raises(ValidationError) as refused:
        services.renew_agreement(agreement=first)
    assert refused.value.code == "already_renewed"
    with pytest.raises(ValidationError) as refused:
        services.renew_agreement(agreement=third)
    assert refused.value.code == "draft"


def test_a_terminated_agreement_is_in_force_until_its_termination_date():
    agreement = _term()
    services.terminate_agreement(agreement=agreement, on=D(2025, 10, 31), reason="单位撤离")
    agreement.refresh_from_db()
    assert agreement.termination_reason == "单位撤离"
    assert _state(agreement, D(2025, 10, 31)) == AgreementState.IN_FORCE
    assert agreement.is_in_force(D(2025, 10, 31))
    assert _state(agreement, D(2025, 11, 1)) == AgreementState.TERMINATED
    assert not agreement.is_in_force(D(2025, 11, 1))
    assert not Agreement.objects.in_force(D(2025, 11, 1)).filter(pk=agreement.pk).exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reason": "  "}, "reason_required"),
        ({"on": D(2026, 4, 1)}, "after_end"),
    ],
)
def test_termination_needs_a_reason_and_a_date_within_the_term(kwargs, code):
    agreement = _term()
    with pytest.raises(ValidationError) as refused:
        services.terminate_agreement(
            agreement=agreement, **{"on": D(2025, 10, 31), "reason": "撤离", **kwargs}
        )
    assert refused.value.code == code
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE and agreement.terminated_on is None


def test_a_draft_cannot_be_terminated_nor_terminated_twice():
    draft = _term(status=Agreement.Status.DRAFT, signed_on=None)
    with pytest.raises(ValidationError):
        services.terminate_agreement(agreement=draft, on=D(2025, 10, 31), reason="x")
    agreement = _term()
    services.terminate_agreement(agreement=agreement, on=D(2025, 10, 31), reason="x")
    with pytest.raises(ValidationError) as refused:
        services.terminate_agreement(agreement=agreement, on=D(2025, 10, 31), reason="x")
    assert refused.value.code == "already_terminated"


# --- back office -----------------------------------------------------------------------


def test_agreement_list_shows_and_filters_the_derived_state(staff_client):
    today = timezone.localdate()
    AgreementFactory(title="快到期的", ends_on=today + dt.timedelta(days=10))
    AgreementFactory(title="长期的", ends_on=today + dt.timedelta(days=200))
    AgreementFactory(
        title="过期的",
        starts_on=today - dt.timedelta(days=400),
        signed_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=1),
    )
    url = reverse("admin:partners_agreement_changelist")

    html = staff_client.get(url).content.decode()
    assert "即将到期" in html and "已到期" in html and "生效中" in html

    ending = staff_client.get(url, {"state": "ending"}).content.decode()
    assert "快到期的" in ending and "长期的" not in ending and "过期的" not in ending


def test_staff_renew_from_the_agreement_page_in_one_step(staff_client):
    agreement = _term()
    ResourceCommitmentFactory(partner=agreement.partner, agreement=agreement)
    page = staff_client.get(reverse("admin:partners_agreement_change", args=[agreement.pk]))
    renew = reverse("admin:partners_agreement_renew", args=[agreement.pk])
    assert renew in page.content.decode()

    response = staff_client.post(renew)

    new = Agreement.objects.get(renews=agreement)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:partners_agreement_change", args=[new.pk])
    assert new.commitments.count() == 1


def test_terminating_in_the_back_office_asks_for_the_reason(staff_client):
    agreement = _term()
    url = reverse("admin:partners_agreement_terminate", args=[agreement.pk])

    refused = staff_client.post(url, {"terminated_on": "2025-10-31", "reason": ""})
    agreement.refresh_from_db()
    assert refused.status_code == 200 and agreement.status == Agreement.Status.ACTIVE

    done = staff_client.post(url, {"terminated_on": "2025-10-31", "reason": "单位撤离"})
    agreement.refresh_from_db()
    assert done.status_code == 302
    assert agreement.status == Agreement.Status.TERMINATED
    assert (agreement.terminated_on, agreement.termination_reason) == (D(2025, 10, 31), "单位撤离")


def test_secretary_can_neither_renew_nor_terminate(secretary_client):
    agreement = _term()
    for name in ("renew", "terminate"):
        url = reverse(f"admin:partners_agreement_{name}", args=[agreement.pk])
        assert (
            secretary_client.post(url, {"terminated_on": "2025-10-31", "reason": "x"}).status_code
            == 403
        )
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    assert not Agreement.objects.filter(renews=agreement).exists()


def test_the_agreement_form_offers_only_draft_and_signed(staff_client):
    html = staff_client.get(reverse("admin:partners_agreement_add")).content.decode()
    assert 'value="draft"' in html and 'value="active"' in html
    assert 'value="terminated"' not in html and 'value="expired"' not in html
