"""Back office for partners, agreements and leads: roles, bad dates, follow-up."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import Agreement, Lead, Partner
from tests.factories import (
    AgreementFactory,
    ComplexFactory,
    LeadFactory,
    PartnerFactory,
    ResourceCommitmentFactory,
)

pytestmark = pytest.mark.django_db

PARTNER_ADD = reverse("admin:partners_partner_add")
AGREEMENT_ADD = reverse("admin:partners_agreement_add")
LEAD_CHANGELIST = reverse("admin:partners_lead_changelist")

NO_INLINES = {
    "agreements-TOTAL_FORMS": "0",
    "agreements-INITIAL_FORMS": "0",
    "commitments-TOTAL_FORMS": "0",
    "commitments-INITIAL_FORMS": "0",
}


def _partner_form(**overrides):
    data = {
        "name": "蓝天救援队",
        "short_name": "蓝天",
        "category": "rescue",
        "description": "应急救援与演练",
        "contact_name": "",
        "contact_phone": "",
        "address": "",
        "website": "",
        "is_active": "on",
        "joined_on": "",
        **NO_INLINES,
    }
    data.update(overrides)
    return data


def _agreement_form(complex_, partner, **overrides):
    data = {
        "partner": partner.pk,
        "complex": complex_.pk,
        "title": "入驻协议",
        "number": "",
        "status": "active",
        "signed_on": "2026-03-01",
        "starts_on": "2026-03-01",
        "ends_on": "2027-02-28",
        "renews": "",
        "note": "",
        "commitments-TOTAL_FORMS": "0",
        "commitments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def _change(partner):
    return reverse("admin:partners_partner_change", args=[partner.pk])


def test_staff_can_add_a_partner(staff_client):
    response = staff_client.post(PARTNER_ADD, _partner_form())

    assert response.status_code == 302
    partner = Partner.objects.get()
    assert (partner.name, partner.category) == ("蓝天救援队", "rescue")
    assert partner.history.get().history_type == "+"


def test_staff_add_a_partner_with_its_agreement_and_commitment(staff_client):
    complex_ = ComplexFactory()
    data = _partner_form(
        **{
            "agreements-TOTAL_FORMS": "1",
            "agreements-0-title": "蓝天救援队入驻协议",
            "agreements-0-complex": complex_.pk,
            "agreements-0-status": "active",
            "agreements-0-signed_on": "2026-03-01",
            "agreements-0-starts_on": "2026-03-01",
            "agreements-0-ends_on": "2027-02-28",
            "commitments-TOTAL_FORMS": "1",
            "commitments-0-title": "每季度一次应急演练",
            "commitments-0-frequency": "每季度一次",
            "commitments-0-is_active": "on",
        }
    )

    response = staff_client.post(PARTNER_ADD, data)

    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.agreements.get().title == "蓝天救援队入驻协议"
    assert partner.commitments.get().title == "每季度一次应急演练"


def test_agreement_form_refuses_an_agreement_that_ends_before_it_starts(admin_client):
    partner, complex_ = PartnerFactory(), ComplexFactory()

    response = admin_client.post(
        AGREEMENT_ADD, _agreement_form(complex_, partner, ends_on="2026-02-01")
    )

    assert response.status_code == 200
    assert "协议的到期日期不能早于生效日期。" in response.content.decode()
    assert not Agreement.objects.exists()


def test_partner_form_refuses_an_inline_agreement_that_ends_before_it_starts(admin_client):
    complex_ = ComplexFactory()
    data = _partner_form(
        **{
            "agreements-TOTAL_FORMS": "1",
            "agreements-0-title": "入驻协议",
            "agreements-0-complex": complex_.pk,
            "agreements-0-status": "active",
            "agreements-0-signed_on": "2026-03-01",
            "agreements-0-starts_on": "2026-03-01",
            "agreements-0-ends_on": "2025-03-01",
        }
    )

    response = admin_client.post(PARTNER_ADD, data)

    assert response.status_code == 200
    assert "协议的到期日期不能早于生效日期。" in response.content.decode()
    assert not Partner.objects.exists()
    assert not Agreement.objects.exists()


def test_agreement_form_refuses_an_active_agreement_without_a_signing_date(admin_client):
    partner, complex_ = PartnerFactory(), ComplexFactory()

    response = admin_client.post(AGREEMENT_ADD, _agreement_form(complex_, partner, signed_on=""))

    assert response.status_code == 200
    assert "除草拟中的协议外，必须填写签订日期。" in response.content.decode()
    assert not Agreement.objects.exists()


def test_commitment_added_under_an_agreement_belongs_to_its_partner(admin_client):
    agreement = AgreementFactory()
    url = reverse("admin:partners_agreement_change", args=[agreement.pk])
    data = _agreement_form(
        agreement.complex,
        agreement.partner,
        title=agreement.title,
        **{
            "commitments-TOTAL_FORMS": "1",
            "commitments-0-title": "每月两次公益瑜伽课",
            "commitments-0-is_active": "on",
        },
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    commitment = agreement.commitments.get()
    assert commitment.partner == agreement.partner


def test_partner_list_counts_agreements_and_active_commitments(admin_client):
    partner = PartnerFactory(name="徐婕瑜伽")
    AgreementFactory(partner=partner)
    AgreementFactory(partner=partner)
    ResourceCommitmentFactory(partner=partner)
    ResourceCommitmentFactory(partner=partner, is_active=False)

    response = admin_client.get(reverse("admin:partners_partner_changelist"))

    [row] = response.context["cl"].result_list
    assert (row.agreement_total, row.commitment_total) == (2, 1)


def test_mark_inactive_action_keeps_history(admin_client):
    partner = PartnerFactory()

    admin_client.post(
        reverse("admin:partners_partner_changelist"),
        {"action": "mark_inactive", "_selected_action": [partner.pk]},
    )

    partner.refresh_from_db()
    assert partner.is_active is False
    assert partner.history.count() == 2


# --- roles --------------------------------------------------------------------------


def test_secretary_reads_partners_but_cannot_add_or_change_them(secretary_client):
    partner = PartnerFactory(name="中国移动")

    assert secretary_client.get(reverse("admin:partners_partner_changelist")).status_code == 200
    page = secretary_client.get(_change(partner))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert secretary_client.get(PARTNER_ADD).status_code == 403
    response = secretary_client.post(_change(partner), _partner_form(name="改名"))
    assert response.status_code == 403
    partner.refresh_from_db()
    assert partner.name == "中国移动"


@pytest.mark.parametrize("model", ["agreement", "resourcecommitment", "lead"])
def test_secretary_cannot_open_add_pages(secretary_client, model):
    assert secretary_client.get(reverse(f"admin:partners_{model}_add")).status_code == 403


def test_secretary_sees_no_actions(secretary_client):
    PartnerFactory()

    response = secretary_client.get(reverse("admin:partners_partner_changelist"))

    assert response.context["action_form"] is None


# --- leads --------------------------------------------------------------------------


def test_lead_follow_up_filter_lists_the_overdue_open_leads(admin_client):
    today = timezone.localdate()
    overdue = LeadFactory(follow_up_on=today - dt.timedelta(days=3), offered_by__user=None)
    LeadFactory(follow_up_on=today + dt.timedelta(days=3), offered_by__user=None)
    LeadFactory(follow_up_on=None, offered_by__user=None)
    LeadFactory(follow_up_on=today - dt.timedelta(days=3), stage="dropped", offered_by__user=None)

    response = admin_client.get(LEAD_CHANGELIST, {"follow_up": "overdue"})

    assert list(response.context["cl"].result_list) == [overdue]
    assert "逾期 3 天" in response.content.decode()


def test_leads_are_listed_by_next_follow_up_and_filtered_by_stage(admin_client):
    today = timezone.localdate()
    later = LeadFactory(
        follow_up_on=today + dt.timedelta(days=9), stage="contacted", offered_by__user=None
    )
    sooner = LeadFactory(
        follow_up_on=today + dt.timedelta(days=1), stage="contacted", offered_by__user=None
    )
    unplanned = LeadFactory(follow_up_on=None, stage="contacted", offered_by__user=None)
    LeadFactory(stage="new", offered_by__user=None)

    response = admin_client.get(LEAD_CHANGELIST, {"stage__exact": "contacted"})

    assert list(response.context["cl"].result_list) == [sooner, later, unplanned]


def test_lead_form_refuses_a_signed_lead_without_its_partner(admin_client):
    lead = LeadFactory(offered_by__user=None)
    url = reverse("admin:partners_lead_change", args=[lead.pk])
    data = {
        "organisation": lead.organisation,
        "offer": lead.offer,
        "relationship": "",
        "contact": "",
        "offered_by": lead.offered_by.pk,
        "stage": "signed",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "follow_up_on": "",
        "assigned_to": "",
        "partner": "",
        "note": "",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "已签约的线索必须关联签约单位。" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == "new"


def test_closing_a_lead_records_when(admin_client):
    lead = LeadFactory(offered_by__user=None)
    partner = PartnerFactory()
    url = reverse("admin:partners_lead_change", args=[lead.pk])
    data = {
        "organisation": lead.organisation,
        "offer": lead.offer,
        "offered_by": lead.offered_by.pk,
        "stage": "signed",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "partner": partner.pk,
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.SIGNED
    assert lead.closed_at is not None


def test_drop_action_closes_the_selected_leads(admin_client):
    lead = LeadFactory(offered_by__user=None)

    admin_client.post(LEAD_CHANGELIST, {"action": "mark_dropped", "_selected_action": [lead.pk]})

    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.DROPPED
    assert lead.closed_at is not None


# --- history: the secretary reads old versions but cannot save them -----------------


def _history_form(obj, version):
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )


def test_secretary_cannot_change_a_partner_through_its_history(secretary_client):
    partner = PartnerFactory(name="中国移动")
    version = partner.history.first()

    page = secretary_client.get(_history_form(partner, version))
    response = secretary_client.post(
        _history_form(partner, version), _partner_form(name="秘书改的", is_active="")
    )

    assert page.status_code == 200
    assert response.status_code == 403
    partner.refresh_from_db()
    assert (partner.name, partner.is_active) == ("中国移动", True)
    assert partner.history.count() == 1


def test_secretary_cannot_terminate_an_agreement_through_its_history(secretary_client):
    agreement = AgreementFactory(status="active")
    version = agreement.history.first()
    data = _agreement_form(agreement.complex, agreement.partner, status="terminated")

    response = secretary_client.post(_history_form(agreement, version), data)

    assert response.status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == "active"


def test_staff_can_still_restore_a_partners_old_name_from_its_history(staff_client):
    partner = PartnerFactory(name="中国移动")
    version = partner.history.first()
    partner.name = "写错的名字"
    partner.save()

    response = staff_client.post(_history_form(partner, version), _partner_form(name="中国移动"))

    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.name == "中国移动"
