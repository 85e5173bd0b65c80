"""Nothing erased by accident: an activity residents signed up for, a partner the figures
count and a household reached cannot be deleted, and the back office says what to do
instead (cancel the activity, mark the partner as left, merge the household)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Need, ServiceProject, SignUp
from partners import services as partner_services
from partners.models import Lead, Partner
from residents.models import Household
from residents.services import anonymise_resident
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    HouseholdFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ServiceProjectFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db

ACTIVITY_HINT = "如活动不再举办，请打开活动，把状态改为“已取消”。"
PARTNER_HINT = "使用“标记为已撤离（不在驻）”操作"
HOUSEHOLD_HINT = "请把它的成员改到正确的住户下（合并到那一户）"


def delete_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])


def changelist(model):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def bulk_delete(client, model, objs, confirm=False):
    data = {"action": "delete_selected", "_selected_action": [o.pk for o in objs]}
    if confirm:
        data["post"] = "yes"
    return client.post(changelist(model), data)


def refused_by_the_database(call):
    with pytest.raises(ProtectedError), transaction.atomic():
        call()


# --- activities --------------------------------------------------------------------------


def test_an_activity_with_sign_ups_cannot_be_deleted_and_the_admin_says_to_cancel_it(
    admin_client,
):
    signup = SignUpFactory(resident__user=None, status=SignUp.Status.CANCELLED)
    activity = signup.activity

    page = admin_client.get(delete_url(activity))
    posted = admin_client.post(delete_url(activity), {"post": "yes"})

    assert ACTIVITY_HINT in page.content.decode()
    assert posted.status_code == 200 and ACTIVITY_HINT in posted.content.decode()
    assert Activity.objects.filter(pk=activity.pk).exists()
    refused_by_the_database(activity.delete)


def test_activities_with_sign_ups_are_kept_when_deleted_in_bulk(admin_client):
    held = SignUpFactory(resident__user=None).activity
    empty = ActivityFactory()

    page = bulk_delete(admin_client, Activity, [held, empty])
    bulk_delete(admin_client, Activity, [held, empty], confirm=True)

    assert ACTIVITY_HINT in page.content.decode()
    assert set(Activity.objects.values_list("pk", flat=True)) == {held.pk, empty.pk}


def test_an_activity_nobody_signed_up_for_can_still_be_deleted(admin_client):
    activity = ActivityFactory()

    page = admin_client.get(delete_url(activity))
    response = admin_client.post(delete_url(activity), {"post": "yes"})

    assert ACTIVITY_HINT not in page.content.decode()
    assert response.status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()


# --- partners ----------------------------------------------------------------------------


def test_a_partner_with_agreements_cannot_be_deleted_and_the_admin_says_to_archive_it(
    admin_client,
):
    partner = AgreementFactory().partner

    page = admin_client.get(delete_url(partner))
    admin_client.post(delete_url(partner), {"post": "yes"})

    assert PARTNER_HINT in page.content.decode()
    assert Partner.objects.filter(pk=partner.pk).exists()
    refused_by_the_database(partner.delete)


def test_a_partner_that_ran_activities_cannot_be_deleted_in_the_admin(admin_client):
    partner = PartnerFactory()
    activity = ActivityFactory(title="公益瑜伽课", partners=[partner])

    page = admin_client.get(delete_url(partner))
    admin_client.post(delete_url(partner), {"post": "yes"})
    bulk_delete(admin_client, Partner, [partner], confirm=True)

    content = page.content.decode()
    assert PARTNER_HINT in content and "公益瑜伽课" in content
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert list(activity.partners.all()) == [partner]


def test_partners_the_figures_count_are_kept_when_deleted_in_bulk(admin_client):
    with_agreement = AgreementFactory().partner
    entered_by_mistake = PartnerFactory()

    page = bulk_delete(admin_client, Partner, [with_agreement, entered_by_mistake])
    bulk_delete(admin_client, Partner, [with_agreement, entered_by_mistake], confirm=True)

    assert PARTNER_HINT in page.content.decode()
    assert Partner.objects.count() == 2


def test_a_partner_entered_by_mistake_is_deleted_through_the_service(admin_client):
    partner = PartnerFactory()

    response = admin_client.post(delete_url(partner), {"post": "yes"})

    assert response.status_code == 302
    assert not Partner.objects.filter(pk=partner.pk).exists()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: AgreementFactory().partner, "has_agreements"),
        (lambda: ActivityFactory(partners=[PartnerFactory()]).partners.get(), "has_activities"),
        (
            lambda: (
                LeadFactory(
                    offered_by__user=None, stage=Lead.Stage.SIGNED, partner=PartnerFactory()
                ).partner
            ),
            "has_leads",
        ),
    ],
)
def test_delete_partner_refuses_a_partner_the_figures_count(make, code):
    partner = make()

    with pytest.raises(ValidationError) as caught:
        partner_services.delete_partner(partner=partner)

    assert caught.value.code == code
    assert "已撤离（不在驻）" in caught.value.messages[0]
    assert Partner.objects.filter(pk=partner.pk).exists()


def test_a_partner_a_signed_lead_became_cannot_be_deleted_by_the_database():
    lead = LeadFactory(offered_by__user=None, stage=Lead.Stage.SIGNED, partner=PartnerFactory())
    refused_by_the_database(lead.partner.delete)


# --- households --------------------------------------------------------------------------


def test_a_household_reached_cannot_be_deleted_and_the_admin_says_to_merge_it(admin_client):
    signup = SignUpFactory(resident__user=None)
    household = signup.household

    page = admin_client.get(delete_url(household))
    admin_client.post(delete_url(household), {"post": "yes"})
    bulk = bulk_delete(admin_client, Household, [household])

    assert HOUSEHOLD_HINT in page.content.decode()
    assert HOUSEHOLD_HINT in bulk.content.decode()
    assert Household.objects.filter(pk=household.pk).exists()
    refused_by_the_database(household.delete)


def test_a_household_nobody_signed_up_from_can_still_be_deleted(admin_client):
    household = HouseholdFactory()

    response = admin_client.post(delete_url(household), {"post": "yes"})

    assert response.status_code == 302
    assert not Household.objects.filter(pk=household.pk).exists()


def test_anonymising_a_resident_keeps_the_household_their_sign_ups_reached():
    signup = SignUpFactory(
        resident=ResidentFactory(user=None), attended=True, checked_in_at=timezone.now()
    )
    household = signup.household

    anonymise_resident(resident=signup.resident)

    signup.refresh_from_db()
    signup.resident.refresh_from_db()
    assert signup.resident.household is None
    assert signup.household == household


def test_a_partner_given_an_agreement_while_its_delete_page_was_open_is_kept(
    admin_client, monkeypatch
):
    partner = PartnerFactory()
    url = delete_url(partner)
    page = admin_client.get(url)
    # Between the confirmation page and the click, the page's check passes but the
    # service, under its lock, finds an agreement.
    monkeypatch.setattr(
        partner_services,
        "partner_deletion_refusal",
        lambda *, partner: ValidationError(
            "“共建单位”已签订共建协议，不能删除。", code="has_agreements"
        ),
    )

    response = admin_client.post(url, {"post": "yes"}, follow=True)

    assert PARTNER_HINT not in page.content.decode()
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert "“共建单位”已签订共建协议，不能删除。" in response.content.decode()


def test_a_project_answering_needs_cannot_be_deleted_and_the_admin_says_what_to_do(admin_client):
    project = ServiceProjectFactory()
    NeedFactory(status=Need.Status.IN_PROJECT, project=project)
    url = reverse("admin:activities_serviceproject_delete", args=[project.pk])

    page = admin_client.get(url).content.decode()
    assert "已纳入居民需求的服务项目不能删除" in page
    admin_client.post(url, {"post": "yes"})
    assert ServiceProject.objects.filter(pk=project.pk).exists()
