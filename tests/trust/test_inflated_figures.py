"""One resident cannot inflate the secretary's figures: per-resident limits and a duplicate
check on leads and needs, and the summary counts only what staff did not mark invalid."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities import services as activity_services
from activities.models import Need
from partners import services as partner_services
from partners.models import Lead
from summary.report import monthly_summary
from tests.factories import LeadFactory, NeedFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _refusal(call):
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    if hasattr(error, "error_dict"):
        return next(iter(error.error_dict.values()))[0].code
    return error.code


def test_a_resident_offers_a_few_leads_a_day_not_seventeen():
    resident = ResidentFactory()
    for n in range(partner_services.LEADS_PER_DAY):
        partner_services.submit_lead(resident=resident, organisation=f"单位{n}", offer="场地")
    code = _refusal(
        lambda: partner_services.submit_lead(resident=resident, organisation="单位X", offer="场地")
    )
    assert code == "too_many"
    assert Lead.objects.count() == partner_services.LEADS_PER_DAY
    # Someone else is not affected.
    partner_services.submit_lead(resident=ResidentFactory(), organisation="单位X", offer="场地")


def test_the_same_organisation_twice_is_a_duplicate():
    resident = ResidentFactory()
    partner_services.submit_lead(resident=resident, organisation="蓝天 救援队", offer="培训")
    code = _refusal(
        lambda: partner_services.submit_lead(
            resident=resident, organisation="  蓝天  救援队 ", offer="培训"
        )
    )
    assert code == "duplicate"


def test_a_resident_reports_a_few_needs_a_day():
    resident = ResidentFactory()
    for n in range(activity_services.NEEDS_PER_DAY):
        activity_services.submit_need(resident=resident, title=f"需求{n}")
    code = _refusal(lambda: activity_services.submit_need(resident=resident, title="再一个"))
    assert code == "too_many"


def test_the_same_need_twice_is_a_duplicate_until_it_is_resolved():
    resident = ResidentFactory()
    need = activity_services.submit_need(resident=resident, title="楼道灯坏了")
    code = _refusal(lambda: activity_services.submit_need(resident=resident, title="楼道灯坏了"))
    assert code == "duplicate"
    Need.objects.filter(pk=need.pk).update(status=Need.Status.RESOLVED, resolved_at=timezone.now())
    assert activity_services.submit_need(resident=resident, title="楼道灯坏了")


def test_the_summary_leaves_out_what_staff_marked_invalid():
    now = timezone.localtime()
    LeadFactory()
    LeadFactory(is_invalid=True)
    NeedFactory()
    NeedFactory(is_invalid=True)
    summary = monthly_summary(year=now.year, month=now.month)
    assert summary.leads_received.value == 1
    assert summary.needs_received.value == 1
    assert Lead.objects.counted().count() == 1
    assert Need.objects.counted().count() == 1


def test_staff_mark_a_lead_invalid_in_the_back_office(staff_client):
    lead = LeadFactory()
    page = staff_client.get(f"/admin/partners/lead/{lead.pk}/change/")
    assert 'name="is_invalid"' in page.content.decode()
    assert staff_client.get("/admin/partners/lead/?is_invalid__exact=1").status_code == 200
    assert staff_client.get("/admin/activities/need/?is_invalid__exact=1").status_code == 200
