"""factory_boy factories for every model; Chinese names and phones from Faker's zh_CN."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from factory.django import DjangoModelFactory

from activities import rollups as activity_rollups
from activities.models import (
    Activity,
    CallListEntry,
    Category,
    Feedback,
    Milestone,
    Need,
    Series,
    ServiceProject,
    SignUp,
)
from jobs.models import ImportJob
from partners.models import CLOSED_LEAD_STAGES, Agreement, Lead, Partner, ResourceCommitment
from residents.models import (
    Building,
    Community,
    Complex,
    Household,
    Resident,
    StaffScope,
    Subdistrict,
)

User = get_user_model()
PASSWORD = "demo12345"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


def _role_user_factory(name: str, prefix: str, role: str) -> type[UserFactory]:
    """A factory of back-office logins (`prefix`0, `prefix`1, …) in the group `role`."""

    class RoleUserFactory(UserFactory):
        username = factory.Sequence(lambda n: f"{prefix}{n}")
        is_staff = True

        @factory.post_generation
        def group(self, create, extracted, **kwargs):
            if create:
                self.groups.add(Group.objects.get(name=role))

    RoleUserFactory.__name__ = RoleUserFactory.__qualname__ = name
    return RoleUserFactory


StaffUserFactory = _role_user_factory("StaffUserFactory", "staff", "社区工作人员")
SecretaryUserFactory = _role_user_factory("SecretaryUserFactory", "secretary", "党委书记")
SubdistrictStaffUserFactory = _role_user_factory(
    "SubdistrictStaffUserFactory", "jiedao", "街道工作人员"
)
SubdistrictSecretaryUserFactory = _role_user_factory(
    "SubdistrictSecretaryUserFactory", "shuji", "街道党工委书记"
)


class SubdistrictFactory(DjangoModelFactory):
    class Meta:
        model = Subdistrict
        django_get_or_create = ("name",)

    name = "西站街道"
    city = "兰州"


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("name",)

    name = "小西坪社区"
    subdistrict = factory.SubFactory(SubdistrictFactory)
    city = "兰州"


class StaffScopeFactory(DjangoModelFactory):
    """Places a back-office user in a community (pass `subdistrict=…, community=None` for
    the subdistrict)."""

    class Meta:
        model = StaffScope
        django_get_or_create = ("user",)

    user = factory.SubFactory(StaffUserFactory)
    community = factory.SubFactory(CommunityFactory)
    subdistrict = None


class ComplexFactory(DjangoModelFactory):
    class Meta:
        model = Complex
        django_get_or_create = ("community", "name")

    community = factory.SubFactory(CommunityFactory)
    name = "铁建丽苑小区"
    built_year = 2013
    household_count = 1149
    resident_count = 2300
    party_member_count = 36
    service_site_name = "小区党员阵地"


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    complex = factory.SubFactory(ComplexFactory)
    number = factory.Sequence(lambda n: f"{n + 1}号楼")
    unit_count = 3


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    building = factory.SubFactory(BuildingFactory)
    unit = "1"
    room = factory.Sequence(lambda n: f"{(n % 30) + 1:02d}{(n // 30) % 4 + 1:02d}-{n}")
    size = 3


class ResidentFactory(DjangoModelFactory):
    """A resident with a login (username = phone); pass `user=None` for one without."""

    class Meta:
        model = Resident

    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    household = factory.SubFactory(HouseholdFactory)
    birth_year = 1970
    # Staff-registered residents: their facts are confirmed (tests of self-declared facts
    # pass False).
    birth_year_confirmed = True
    party_member_confirmed = True
    consent_version = "2026-11"
    consent_at = factory.LazyFunction(timezone.now)
    user = factory.SubFactory(UserFactory, username=factory.SelfAttribute("..phone"))


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"共建单位{n}")
    category = Partner.Category.SOCIAL_WORK
    description = "为居民提供服务。"


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = Agreement

    partner = factory.SubFactory(PartnerFactory)
    complex = factory.SubFactory(ComplexFactory)
    title = factory.LazyAttribute(lambda o: f"{o.partner.name}入驻协议")
    status = Agreement.Status.ACTIVE
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=300))


class ResourceCommitmentFactory(DjangoModelFactory):
    class Meta:
        model = ResourceCommitment

    partner = factory.SubFactory(PartnerFactory)
    title = "每月两次公益课"
    frequency = "每月两次"
    times_per_month = 2


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead

    offered_by = factory.SubFactory(ResidentFactory)
    organisation = factory.Sequence(lambda n: f"线索单位{n}")
    offer = "可以共建微型救援站"
    relationship = "我在该单位工作"
    stage = Lead.Stage.NEW
    # A closed lead has its closing time, as the database requires.
    closed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.stage in CLOSED_LEAD_STAGES else None
    )


class ActivityFactory(DjangoModelFactory):
    """An activity open for sign-up, a week from now, with 10 seats."""

    class Meta:
        model = Activity
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"公益活动{n}")
    category = Category.HEALTH
    complex = factory.SubFactory(ComplexFactory)
    place = "小区党员阵地"
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    capacity = 10
    status = Activity.Status.OPEN

    class Params:
        # Starting within the hour: sign-up still open, the check-in desk already open.
        at_the_door = factory.Trait(
            starts_at=factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=60))
        )
        # Held: it ended an hour ago (attendees may rate it).
        held = factory.Trait(
            starts_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=3))
        )

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create and extracted:
            self.partners.set(extracted)


class SeriesFactory(DjangoModelFactory):
    """A series record (its occurrences are made by `activities.series.create_series`)."""

    class Meta:
        model = Series

    title = factory.Sequence(lambda n: f"系列活动{n}")
    rule = "DTSTART:20261202T093000\nRRULE:FREQ=WEEKLY;COUNT=4;BYDAY=WE"
    description = "每周三 09:30，共4次"


class SignUpFactory(DjangoModelFactory):
    """A sign-up written directly (for fixtures); behaviour tests use the services."""

    class Meta:
        model = SignUp
        skip_postgeneration_save = True

    activity = factory.SubFactory(ActivityFactory)
    resident = factory.SubFactory(ResidentFactory)
    # The resident's household at sign-up, as services.sign_up records it.
    household = factory.LazyAttribute(lambda o: o.resident.household)
    status = SignUp.Status.CONFIRMED
    check_in_code = factory.Sequence(lambda n: f"{n % 1_000_000:06d}")
    confirmed_at = factory.LazyFunction(timezone.now)
    # A cancelled sign-up has its cancellation time, as the database requires.
    cancelled_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == SignUp.Status.CANCELLED else None
    )

    @factory.post_generation
    def rollups(self, create, extracted, **kwargs):
        # Counted in the summary's roll-ups, as the services do in their transaction.
        if create:
            # Its own transaction: tests with real commits (browser, threads) have none here.
            with transaction.atomic():
                activity_rollups.attendance_changed(signup=self)


class CallListEntryFactory(DjangoModelFactory):
    """A resident to phone because their sign-up was confirmed from the waiting list."""

    class Meta:
        model = CallListEntry

    signup = factory.SubFactory(SignUpFactory, resident__user=None)
    activity = factory.LazyAttribute(lambda o: o.signup.activity)
    resident = factory.LazyAttribute(lambda o: o.signup.resident)
    reason = CallListEntry.Reason.PROMOTED


class FeedbackFactory(DjangoModelFactory):
    class Meta:
        model = Feedback
        skip_postgeneration_save = True

    signup = factory.SubFactory(
        SignUpFactory, attended=True, checked_in_at=factory.LazyFunction(timezone.now)
    )
    rating = 5
    comment = "老师很耐心，学到了很多。"

    @factory.post_generation
    def rollups(self, create, extracted, **kwargs):
        # The activity's ratings in the summary's roll-ups, as `leave_feedback` counts them.
        if create:
            with transaction.atomic():
                activity_rollups.signups_changed(activity=self.signup.activity_id)


class ServiceProjectFactory(DjangoModelFactory):
    class Meta:
        model = ServiceProject
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"服务项目{n}")
    category = Category.LIVING
    complex = factory.SubFactory(ComplexFactory)
    status = ServiceProject.Status.IN_PROGRESS
    progress = 40
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ServiceProjectFactory)
    title = factory.Sequence(lambda n: f"节点{n}")


class NeedFactory(DjangoModelFactory):
    class Meta:
        model = Need

    resident = factory.SubFactory(ResidentFactory)
    title = "楼道灯坏了"
    location = "3号楼2单元"
    status = Need.Status.NEW
    # A resolved need has its resolution time, as the database requires.
    resolved_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Need.Status.RESOLVED else None
    )


class ImportJobFactory(DjangoModelFactory):
    """A residents' import job, as the worker leaves it (no file: give one if needed)."""

    class Meta:
        model = ImportJob

    uploaded_by = factory.SubFactory(StaffUserFactory)
    target = "residents.resident"
    file_format = "csv"
    file_name = "居民.csv"
    total_rows = 600
    status = ImportJob.Status.READY
    checked_at = factory.LazyFunction(timezone.now)


def hold(activity: Activity) -> Activity:
    """Move the activity into the past (it ended an hour ago), as if it had been held."""
    now = timezone.now()
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1)
    )
    activity.refresh_from_db()
    return activity
