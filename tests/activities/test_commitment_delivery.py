"""Commitments (资源清单) measured: promised vs delivered per agreement term, held only."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from activities.models import Activity, Need
from activities.selectors import commitment_delivery
from partners.models import ResourceCommitment
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    NeedFactory,
    PartnerFactory,
    ResourceCommitmentFactory,
    ServiceProjectFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 20)


def _held(commitment, day, status=Activity.Status.HELD):
    starts = dt.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
    return ActivityFactory(
        partners=[commitment.partner],
        commitment=commitment,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        status=status,
    )


@pytest.fixture
def yoga():
    partner = PartnerFactory(name="徐婕瑜伽")
    agreement = AgreementFactory(
        partner=partner,
        signed_on=dt.date(2026, 1, 1),
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    return ResourceCommitmentFactory(
        partner=partner, agreement=agreement, title="公益瑜伽课", times_per_month=2
    )


def test_a_monthly_commitment_counts_only_held_activities_in_the_term(yoga):
    _held(yoga, dt.date(2026, 1, 10))
    _held(yoga, dt.date(2026, 2, 10))
    _held(yoga, dt.date(2026, 3, 10), status=Activity.Status.CANCELLED)
    _held(yoga, dt.date(2026, 3, 25), status=Activity.Status.OPEN)  # not held yet
    _held(yoga, dt.date(2025, 12, 20))  # before the term

    [term] = commitment_delivery(partner=yoga.partner, today=TODAY)
    [row] = term.rows

    assert (row.first, row.last) == (dt.date(2026, 1, 1), TODAY)
    assert row.promised == 6  # January, February and March, twice each
    assert row.promised_term == 24
    assert row.delivered == 2
    assert row.met is False
    assert (term.met_count, term.counted_count) == (0, 1)


def test_yearly_one_off_on_request_and_unmeasured_commitments(yoga):
    partner, agreement = yoga.partner, yoga.agreement
    drill = ResourceCommitmentFactory(
        partner=partner,
        agreement=agreement,
        title="消防演练",
        times_per_month=None,
        promise=ResourceCommitment.Promise.YEARLY,
        times=2,
    )
    talk = ResourceCommitmentFactory(
        partner=partner,
        agreement=agreement,
        title="开业讲座",
        times_per_month=None,
        promise=ResourceCommitment.Promise.ONCE,
    )
    ResourceCommitmentFactory(
        partner=partner,
        agreement=agreement,
        title="法律咨询",
        times_per_month=None,
        promise=ResourceCommitment.Promise.ON_REQUEST,
    )
    vague = ResourceCommitmentFactory(
        partner=partner, agreement=agreement, title="不定期活动", times_per_month=None
    )
    _held(talk, dt.date(2026, 2, 1))
    _held(vague, dt.date(2026, 2, 2))
    project = ServiceProjectFactory(partner=partner)
    NeedFactory(
        project=project,
        status=Need.Status.RESOLVED,
        resolved_at=dt.datetime(2026, 3, 1, 10, tzinfo=SHANGHAI),
    )
    NeedFactory(project=project, status=Need.Status.IN_PROJECT)

    [term] = commitment_delivery(partner=partner, today=TODAY)
    rows = {r.commitment.title: r for r in term.rows}

    assert (rows["消防演练"].promised, rows["消防演练"].delivered) == (2, 0)
    assert (rows["开业讲座"].promised, rows["开业讲座"].met) == (1, True)
    assert rows["法律咨询"].promised is None and rows["法律咨询"].needs_answered == 1
    assert rows["不定期活动"].is_measured is False and rows["不定期活动"].promised is None
    assert rows["不定期活动"].delivered == 1
    assert drill.is_measured


def test_each_agreement_term_is_counted_on_its_own(yoga):
    from partners import services

    old = yoga.agreement
    new = services.renew_agreement(agreement=old)
    _held(yoga, dt.date(2026, 2, 10))
    [copied] = new.commitments.all()
    # Counting on 2027-01-20: the old term is over, the new one has run 20 days.
    _held(copied, dt.date(2027, 1, 5))

    terms = commitment_delivery(partner=yoga.partner, today=dt.date(2027, 1, 20))

    assert [t.agreement for t in terms] == [new, old]
    assert [(t.rows[0].promised, t.rows[0].delivered) for t in terms] == [(2, 1), (24, 1)]


def test_the_partners_admin_page_shows_promised_vs_delivered(staff_client, yoga):
    ResourceCommitmentFactory(partner=yoga.partner, title="不定期活动", times_per_month=None)
    html = staff_client.get(
        reverse("admin:partners_partner_change", args=[yoga.partner.pk])
    ).content.decode()
    assert "资源承诺兑现情况" in html
    assert "每月 2 次" in html
    assert "未设定统计方式" in html


def test_the_commitment_list_counts_only_held_activities(staff_client, yoga):
    _held(yoga, dt.date(2026, 1, 10))
    _held(yoga, dt.date(2026, 3, 10), status=Activity.Status.CANCELLED)
    ActivityFactory(partners=[yoga.partner], commitment=yoga)  # next week
    response = staff_client.get(reverse("admin:partners_resourcecommitment_changelist"))
    assert response.context["cl"].result_list[0].activity_total == 1
