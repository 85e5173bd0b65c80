"""A lead's follow-up goes through `partners.services.move_lead`: closing it records when,
reopening it clears that, and a signed lead names the partner it became."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from partners import services
from partners.models import Lead
from tests.factories import LeadFactory, PartnerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

LEAD_CHANGELIST = reverse("admin:partners_lead_changelist")


def refused(call, code: str) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.code == code
    with translation.override("en"), pytest.raises(ValidationError) as english:
        call()
    assert english.value.messages[0] != caught.value.messages[0], "no English translation"
    return caught.value.messages[0]


def lead(**kwargs):
    return LeadFactory(offered_by__user=None, **kwargs)


def test_dropping_a_lead_records_when_and_reopening_it_clears_it():
    staff = StaffUserFactory()
    item = lead(stage=Lead.Stage.MEETING)

    dropped = services.move_lead(lead=item.pk, stage=Lead.Stage.DROPPED, by=staff)
    when = dropped.closed_at
    still = services.move_lead(lead=item.pk, stage=Lead.Stage.DROPPED)
    reopened = services.move_lead(lead=item.pk, stage=Lead.Stage.CONTACTED)

    assert when is not None and still.closed_at == when
    assert reopened.closed_at is None
    assert item.history.order_by("history_date", "history_id")[1].history_user == staff


def test_signing_a_lead_needs_the_partner_it_became():
    item = lead(stage=Lead.Stage.AGREEMENT_DRAFTED)
    partner = PartnerFactory()

    message = refused(
        lambda: services.move_lead(lead=item.pk, stage=Lead.Stage.SIGNED), "partner_required"
    )
    signed = services.move_lead(lead=item.pk, stage=Lead.Stage.SIGNED, partner=partner)

    assert message == "已签约的线索必须关联签约单位。"
    assert (signed.partner, signed.closed_at is not None) == (partner, True)


def test_a_dropped_lead_signed_after_all_is_closed_again_now():
    item = lead(stage=Lead.Stage.DROPPED)
    dropped_at = item.closed_at

    signed = services.move_lead(lead=item, stage=Lead.Stage.SIGNED, partner=PartnerFactory())

    assert signed.closed_at > dropped_at


def test_an_unknown_stage_and_a_missing_lead_are_refused():
    item = lead()
    refused(lambda: services.move_lead(lead=item.pk, stage="won"), "invalid_stage")
    refused(lambda: services.move_lead(lead=999_999, stage=Lead.Stage.DROPPED), "not_found")


def test_reopening_a_closed_lead_in_the_admin_clears_its_closing_time(admin_client):
    item = lead(stage=Lead.Stage.DROPPED)
    url = reverse("admin:partners_lead_change", args=[item.pk])
    data = {
        "organisation": item.organisation,
        "offer": item.offer,
        "offered_by": item.offered_by.pk,
        "stage": "contacted",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.stage, item.closed_at) == (Lead.Stage.CONTACTED, None)


def test_a_lead_signed_in_the_admin_names_the_member_of_staff_in_its_history(
    staff_client, staff_user
):
    item = lead()
    partner = PartnerFactory()
    url = reverse("admin:partners_lead_change", args=[item.pk])
    data = {
        "organisation": item.organisation,
        "offer": item.offer,
        "offered_by": item.offered_by.pk,
        "stage": "signed",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "partner": partner.pk,
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.stage, item.partner, item.closed_at is not None) == ("signed", partner, True)
    assert item.history.first().history_user == staff_user
    assert item.history.count() == 2


def test_drop_action_keeps_the_closing_time_of_leads_already_closed(admin_client):
    open_lead = lead()
    signed = lead(stage=Lead.Stage.SIGNED, partner=PartnerFactory())
    signed_at = signed.closed_at

    response = admin_client.post(
        LEAD_CHANGELIST,
        {"action": "mark_dropped", "_selected_action": [open_lead.pk, signed.pk]},
        follow=True,
    )

    open_lead.refresh_from_db()
    signed.refresh_from_db()
    assert open_lead.stage == Lead.Stage.DROPPED and open_lead.closed_at is not None
    assert (signed.stage, signed.closed_at) == (Lead.Stage.SIGNED, signed_at)
    assert "已放弃 1 条线索。" in [str(m) for m in get_messages(response.wsgi_request)]
