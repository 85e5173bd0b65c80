"""Leads (招募令): dated notes, stage changes recorded, conversion all-or-nothing, credit."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners import services
from partners.models import Agreement, Lead, LeadNote, Partner
from residents.models import Notification
from summary.report import monthly_summary
from tests.factories import ComplexFactory, LeadFactory, PartnerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_stage_changes_are_recorded_as_dated_notes_with_who():
    staff = StaffUserFactory()
    lead = LeadFactory()
    services.move_lead(lead=lead.pk, stage=Lead.Stage.CONTACTED, by=staff)
    services.move_lead(lead=lead.pk, stage=Lead.Stage.CONTACTED, by=staff)  # no change
    services.add_lead_note(lead=lead, text="约了下周三见面", by=staff)

    notes = list(lead.notes.order_by("written_at", "pk"))
    assert [(n.stage_from, n.stage_to, n.written_by) for n in notes] == [
        ("new", "contacted", staff),
        ("", "", staff),
    ]
    assert notes[0].text == "进展：新线索 → 已联系"
    assert notes[1].text == "约了下周三见面" and notes[1].written_at is not None


def test_converting_creates_the_partner_and_a_draft_and_closes_the_lead(resident):
    lead = LeadFactory(offered_by=resident, organisation="兰州市第一人民医院")
    complex_ = ComplexFactory()

    agreement = services.convert_lead(lead=lead.pk, complex=complex_, category="health")

    lead.refresh_from_db()
    partner = Partner.objects.get(name="兰州市第一人民医院")
    assert (lead.stage, lead.partner, lead.closed_at is not None) == ("signed", partner, True)
    assert partner.category == "health"
    assert (agreement.partner, agreement.complex, agreement.status) == (
        partner,
        complex_,
        Agreement.Status.DRAFT,
    )
    [note] = Notification.objects.filter(resident=resident)
    assert note.kind == Notification.Kind.LEAD_CONVERTED


def test_converting_may_link_an_existing_partner():
    partner = PartnerFactory(name="中国移动")
    lead = LeadFactory(organisation="移动公司")
    services.convert_lead(lead=lead, complex=ComplexFactory(), partner=partner)
    assert Partner.objects.count() == 1
    assert partner.agreements.get().status == Agreement.Status.DRAFT


def test_conversion_is_all_or_nothing_when_it_fails_midway(monkeypatch):
    lead = LeadFactory(organisation="新单位")

    def fail(**kwargs):
        raise RuntimeError("fault injected after the partner and the agreement")

    monkeypatch.setattr(services, "move_lead", fail)
    with pytest.raises(RuntimeError):
        services.convert_lead(lead=lead.pk, complex=ComplexFactory())

    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.NEW
    assert not Partner.objects.filter(name="新单位").exists()
    assert not Agreement.objects.exists()
    assert not Notification.objects.exists()


def test_a_closed_lead_or_a_taken_name_is_refused():
    dropped = LeadFactory()
    services.move_lead(lead=dropped.pk, stage=Lead.Stage.DROPPED)
    with pytest.raises(ValidationError) as refused:
        services.convert_lead(lead=dropped.pk, complex=ComplexFactory())
    assert refused.value.code == "closed"
    PartnerFactory(name="重名单位")
    with pytest.raises(ValidationError) as refused:
        services.convert_lead(lead=LeadFactory(organisation="重名单位"), complex=ComplexFactory())
    assert refused.value.code == "partner_exists"


def test_the_resident_is_credited_on_me_and_in_the_summary(resident_client):
    lead = LeadFactory(offered_by=resident_client.resident, organisation="徐婕瑜伽")
    services.convert_lead(lead=lead.pk, complex=ComplexFactory())

    html = resident_client.get(reverse("residents:me")).content.decode()
    assert "您提供的线索已促成 1 家单位" in html

    lead.refresh_from_db()
    closed = lead.closed_at.astimezone()
    s = monthly_summary(year=closed.year, month=closed.month)
    assert s.leads_credited.value == 1


def test_staff_convert_from_the_lead_page(staff_client):
    lead = LeadFactory(organisation="甘肃锐诚律师事务所")
    complex_ = ComplexFactory()
    page = staff_client.get(reverse("admin:partners_lead_change", args=[lead.pk]))
    url = reverse("admin:partners_lead_convert", args=[lead.pk])
    assert url in page.content.decode()

    response = staff_client.post(
        url,
        {"partner_name": "甘肃锐诚律师事务所", "category": "legal", "complex": complex_.pk},
    )

    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:partners_agreement_change", args=[agreement.pk])


def test_secretary_cannot_convert(secretary_client):
    lead = LeadFactory()
    url = reverse("admin:partners_lead_convert", args=[lead.pk])
    assert secretary_client.post(url, {"complex": ComplexFactory().pk}).status_code == 403
    assert not LeadNote.objects.exists() and not Agreement.objects.exists()
