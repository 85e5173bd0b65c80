"""The database refuses what the rules forbid, `full_clean()` says why in Chinese, and every
record reads well as text. Masking helpers hide phone numbers and names."""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from activities.models import Activity, Feedback, Need, ServiceProject, SignUp
from core.masking import mask_name, mask_phone
from partners.models import Agreement
from residents.models import Resident
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    CommunityFactory,
    ComplexFactory,
    FeedbackFactory,
    HouseholdFactory,
    LeadFactory,
    MilestoneFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    ServiceProjectFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by_the_database():
    """`pytest.raises(IntegrityError)` around a savepoint, so the test's transaction lives on
    after the database refused (PostgreSQL aborts a transaction on an error)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def no_login(**kwargs):
    return ResidentFactory(**{"user": None, **kwargs})


def violations(instance) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.messages


# --- the database refuses ----------------------------------------------------------------


def test_an_activity_cannot_end_before_it_starts():
    starts = timezone.now() + dt.timedelta(days=3)
    with refused_by_the_database():
        ActivityFactory(starts_at=starts, ends_at=starts - dt.timedelta(hours=1))
    with refused_by_the_database():
        ActivityFactory(starts_at=starts, ends_at=starts)


def test_an_activity_cannot_have_negative_capacity():
    activity = ActivityFactory()
    with refused_by_the_database():
        Activity.objects.filter(pk=activity.pk).update(capacity=-1)
    activity.refresh_from_db()
    assert activity.capacity == 10


def test_an_activity_status_must_be_one_of_the_choices():
    activity = ActivityFactory()
    with refused_by_the_database():
        Activity.objects.filter(pk=activity.pk).update(status="postponed")


def test_an_activity_age_range_cannot_be_upside_down():
    with refused_by_the_database():
        ActivityFactory(min_age=60, max_age=50)


def test_an_activity_sign_up_deadline_must_follow_the_opening():
    opens = timezone.now() + dt.timedelta(days=1)
    with refused_by_the_database():
        ActivityFactory(signup_opens_at=opens, signup_closes_at=opens - dt.timedelta(hours=1))


def test_project_progress_cannot_exceed_100_percent():
    project = ServiceProjectFactory()
    with refused_by_the_database():
        ServiceProject.objects.filter(pk=project.pk).update(progress=101)


def test_a_done_project_is_at_100_percent():
    with refused_by_the_database():
        ServiceProjectFactory(status=ServiceProject.Status.DONE, progress=90)
    assert ServiceProjectFactory(status=ServiceProject.Status.DONE, progress=100).pk


def test_a_resident_cannot_hold_two_active_sign_ups_for_one_activity():
    activity = ActivityFactory()
    resident = no_login()
    SignUpFactory(activity=activity, resident=resident)
    with refused_by_the_database():
        SignUpFactory(activity=activity, resident=resident, status=SignUp.Status.WAITLISTED)


def test_a_cancelled_sign_up_and_an_active_one_may_coexist():
    activity = ActivityFactory()
    resident = no_login()
    SignUpFactory(
        activity=activity,
        resident=resident,
        status=SignUp.Status.CANCELLED,
        cancelled_at=timezone.now(),
    )
    SignUpFactory(activity=activity, resident=resident)
    SignUpFactory(activity=activity, resident=resident, status=SignUp.Status.CANCELLED)
    assert SignUp.objects.filter(activity=activity, resident=resident).count() == 3


def test_two_sign_ups_of_one_activity_cannot_share_a_check_in_code():
    activity = ActivityFactory()
    SignUpFactory(activity=activity, resident=no_login(), check_in_code="123456")
    with refused_by_the_database():
        SignUpFactory(activity=activity, resident=no_login(), check_in_code="123456")


def test_an_attended_sign_up_has_a_check_in_time():
    with refused_by_the_database():
        SignUpFactory(resident=no_login(), attended=True, checked_in_at=None)


def test_a_sign_up_status_must_be_one_of_the_choices():
    signup = SignUpFactory(resident=no_login())
    with refused_by_the_database():
        SignUp.objects.filter(pk=signup.pk).update(status="maybe")


def test_a_feedback_rating_is_between_one_and_five():
    with refused_by_the_database():
        FeedbackFactory(signup__resident=no_login(), rating=6)
    with refused_by_the_database():
        FeedbackFactory(signup__resident=no_login(), rating=0)


def test_feedback_is_published_only_with_the_residents_consent():
    with refused_by_the_database():
        FeedbackFactory(signup__resident=no_login(), may_publish=False, is_published=True)
    assert FeedbackFactory(signup__resident=no_login(), may_publish=True, is_published=True).pk


def test_an_agreement_cannot_end_before_it_starts():
    today = timezone.localdate()
    with refused_by_the_database():
        AgreementFactory(starts_on=today, ends_on=today - dt.timedelta(days=1))


def test_a_signed_agreement_has_a_signing_date():
    with refused_by_the_database():
        AgreementFactory(status=Agreement.Status.ACTIVE, signed_on=None)
    assert AgreementFactory(status=Agreement.Status.DRAFT, signed_on=None).pk


def test_a_need_in_a_project_names_the_project():
    with refused_by_the_database():
        NeedFactory(resident=no_login(), status=Need.Status.IN_PROJECT, project=None)
    need = NeedFactory(
        resident=no_login(), status=Need.Status.IN_PROJECT, project=ServiceProjectFactory()
    )
    assert need.project is not None


def test_two_residents_cannot_share_a_phone_number():
    no_login(phone="13900000001")
    with refused_by_the_database():
        no_login(phone="13900000001")


def test_residents_without_a_phone_number_may_be_many():
    no_login(phone="")
    no_login(phone="")
    assert Resident.objects.filter(phone="").count() == 2


def test_a_lead_marked_signed_names_the_partner():
    with refused_by_the_database():
        LeadFactory(offered_by=no_login(), stage="signed", partner=None)


# --- full_clean() explains in Chinese ------------------------------------------------------


def test_full_clean_says_the_activity_must_end_after_it_starts():
    starts = timezone.now() + dt.timedelta(days=3)
    activity = ActivityFactory.build(
        complex=ComplexFactory(), starts_at=starts, ends_at=starts - dt.timedelta(hours=1)
    )
    assert "结束时间必须晚于开始时间。" in violations(activity)


def test_full_clean_says_the_age_range_is_upside_down():
    activity = ActivityFactory.build(complex=ComplexFactory(), min_age=60, max_age=50)
    assert "最大年龄不能小于最小年龄。" in violations(activity)


def test_full_clean_says_the_sign_up_is_already_there():
    existing = SignUpFactory(resident=no_login())
    duplicate = SignUp(
        activity=existing.activity,
        resident=existing.resident,
        status=SignUp.Status.CONFIRMED,
        check_in_code="999999",
    )
    assert "该居民已报名此活动。" in violations(duplicate)


def test_full_clean_refuses_a_progress_of_101_percent():
    project = ServiceProjectFactory.build(complex=ComplexFactory(), progress=101)
    with pytest.raises(ValidationError) as caught:
        project.full_clean()
    assert "progress" in caught.value.message_dict


def test_full_clean_says_a_done_project_must_be_at_100_percent():
    project = ServiceProjectFactory.build(
        complex=ComplexFactory(), status=ServiceProject.Status.DONE, progress=80
    )
    assert "已完成的项目进度应为100%。" in violations(project)


def test_full_clean_says_feedback_needs_consent_to_be_published():
    signup = SignUpFactory(resident=no_login(), attended=True, checked_in_at=timezone.now())
    feedback = Feedback(signup=signup, rating=5, may_publish=False, is_published=True)
    assert "居民未同意公开，不能公开此评价。" in violations(feedback)


def test_full_clean_says_the_agreement_must_not_end_before_it_starts():
    today = timezone.localdate()
    agreement = AgreementFactory.build(
        partner=PartnerFactory(),
        complex=ComplexFactory(),
        starts_on=today,
        ends_on=today - dt.timedelta(days=1),
    )
    assert "协议的到期日期不能早于生效日期。" in violations(agreement)


def test_full_clean_says_a_need_in_a_project_must_name_it():
    need = Need(title="楼道灯坏了", status=Need.Status.IN_PROJECT)
    assert "“已纳入项目”的需求必须选择对应项目。" in violations(need)


def test_full_clean_refuses_a_phone_number_that_is_already_registered():
    no_login(phone="13900000002")
    with pytest.raises(ValidationError):
        Resident(name="王芳", phone="13900000002").full_clean()


def test_full_clean_refuses_a_phone_number_that_is_not_a_mobile_number():
    with pytest.raises(ValidationError) as caught:
        Resident(name="王芳", phone="12345").full_clean()
    assert caught.value.message_dict["phone"] == ["请输入11位手机号码，以1开头，第二位为3至9。"]


# --- as text ------------------------------------------------------------------------------


def test_every_record_reads_as_its_name():
    community = CommunityFactory(name="小西坪社区")
    complex_ = ComplexFactory(community=community, name="铁建丽苑小区")
    building = BuildingFactory(complex=complex_, number="3号楼")
    household = HouseholdFactory(building=building, unit="2", room="501")
    resident = no_login(name="王芳", household=household)
    partner = PartnerFactory(name="蓝天救援队")
    agreement = AgreementFactory(partner=partner, complex=complex_, title="蓝天救援队入驻协议")
    commitment = ResourceCommitmentFactory(partner=partner, title="每月一次应急演练")
    lead = LeadFactory(offered_by=resident, organisation="兰州某大学")
    activity = ActivityFactory(complex=complex_, title="消防演练")
    signup = SignUpFactory(activity=activity, resident=resident)
    feedback = FeedbackFactory(signup__activity=activity, signup__resident=no_login(), rating=4)
    project = ServiceProjectFactory(complex=complex_, title="供水管网更换")
    milestone = MilestoneFactory(project=project, title="3号楼管道更换完成")
    need = NeedFactory(resident=resident, title="楼道灯坏了")

    assert str(community) == "小西坪社区"
    assert str(complex_) == "铁建丽苑小区"
    assert str(building) == "铁建丽苑小区 3号楼"
    assert str(household) == "3号楼2单元501"
    assert str(HouseholdFactory(building=building, unit="", room="101")) == "3号楼101"
    assert str(resident) == "王芳"
    assert str(partner) == "蓝天救援队"
    assert str(agreement) == "蓝天救援队入驻协议"
    assert str(commitment) == "每月一次应急演练"
    assert str(lead) == "兰州某大学"
    assert str(activity) == "消防演练"
    assert str(signup) == "王芳 · 消防演练"
    assert str(feedback) == "消防演练 · 4★"
    assert str(project) == "供水管网更换"
    assert str(milestone) == "3号楼管道更换完成"
    assert str(need) == "楼道灯坏了"


# --- masking ------------------------------------------------------------------------------


def test_mask_phone_keeps_the_first_three_and_last_four_digits():
    assert mask_phone("13900000001") == "139****0001"
    assert mask_phone("") == ""
    assert "1234" not in mask_phone("123456")


def test_mask_name_keeps_only_the_family_name():
    masked = mask_name("欧阳娜娜")
    assert masked.startswith("欧")
    assert not set("阳娜") & set(masked)
    assert mask_name("王芳") == "王*"
    assert mask_name("") == ""


def test_a_resident_shows_a_masked_phone_and_name():
    resident = Resident(name="欧阳娜娜", phone="13900000001")
    assert resident.masked_phone == "139****0001"
    assert resident.masked_name.startswith("欧")
    assert "娜" not in resident.masked_name


def test_full_clean_says_a_phone_number_is_already_registered():
    ResidentFactory(phone="13900000042", user=None)
    twin = ResidentFactory.build(phone="13900000042", user=None, household=None)
    assert "该手机号码已登记。" in violations(twin)
