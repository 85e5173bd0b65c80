"""The people and records the access matrix walks with (tests/trust/test_access_matrix.py)."""

import datetime as dt
import re

from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from activities import services as activity_services
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    FeedbackFactory,
    HouseholdFactory,
    ImportJobFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    SecretaryUserFactory,
    ServiceProjectFactory,
    StaffUserFactory,
)

ROLES = ("anonymous", "resident_a", "resident_b", "guardian", "staff", "secretary")


def build_world():
    w = type("World", (), {})()
    w.a = ResidentFactory(name="甲居民", is_verified=True)
    w.b = ResidentFactory(name="乙居民", is_verified=True)
    family = HouseholdFactory()
    w.guardian = ResidentFactory(name="家长", household=family, is_verified=True)
    w.child = ResidentFactory(name="孩子", household=family, user=None, phone="", birth_year=2016)
    w.staff = StaffUserFactory()
    w.secretary = SecretaryUserFactory()
    starts = timezone.now() + dt.timedelta(days=5)
    w.activity = ActivityFactory(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
    w.signup_a = activity_services.sign_up(activity=w.activity, resident=w.a).signup
    w.signup_child = activity_services.sign_up(activity=w.activity, resident=w.child).signup
    w.partner = PartnerFactory()
    w.agreement = AgreementFactory(partner=w.partner)
    w.commitment = ResourceCommitmentFactory(partner=w.partner)
    w.lead = LeadFactory(offered_by=w.a)
    w.need = NeedFactory(resident=w.a)
    w.project = ServiceProjectFactory()
    w.feedback = FeedbackFactory()
    w.import_job = ImportJobFactory(uploaded_by=w.staff, object_ids=[w.a.pk])
    from django.contrib.auth.models import Group

    w.group = Group.objects.order_by("pk").first()
    _volunteering(w)
    return w


def _volunteering(w) -> None:
    """Volunteering's records: a role with A's place (served), A's certificate, a reported
    member and unit, a shop item, a ledger line and a review."""
    from volunteering import services as volunteer_services
    from volunteering.models import (
        AnnualReview,
        PartyMember,
        PointsRule,
        ReportingUnit,
        ServicePost,
        ShopItem,
        VolunteerRole,
    )

    held = ActivityFactory(held=True)
    w.role = VolunteerRole.objects.create(activity=held, name="引导员", places=4)
    w.role_signup = volunteer_services.RoleSignUp.objects.create(
        role=w.role, activity=held, resident=w.a, status="confirmed", hours=2
    )
    w.certificate = volunteer_services.issue_certificate(
        resident=w.a, period_start=dt.date(2000, 1, 1), period_end=timezone.localdate()
    )
    w.post = ServicePost.objects.create(name="楼栋长")
    w.unit = ReportingUnit.objects.create(name="报到单位甲")
    w.member = PartyMember.objects.create(name="在外党员", phone="13911112222", unit=w.unit)
    w.item = ShopItem.objects.create(name="流量包", partner=w.partner, points=10, stock=3)
    w.points_rule = PointsRule.objects.create(name="每小时", kind="per_hour", points=10)
    w.points_entry = volunteer_services.correct_points(resident=w.a, points=5, reason="期初")
    w.review = AnnualReview.objects.create(year=2026, unit=w.unit, comment="好")


def client_for(world, role) -> Client:
    client = Client(raise_request_exception=False)
    user = {
        "anonymous": None,
        "resident_a": world.a.user,
        "resident_b": world.b.user,
        "guardian": world.guardian.user,
        "staff": world.staff,
        "secretary": world.secretary,
    }[role]
    if user is not None:
        client.force_login(user)
    return client


def walk(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\[\^/\]\+\)")


def concrete(template: str, world) -> str | None:
    """A URL for the pattern with real ids: the admin's objects by their model."""
    template = template.replace("^", "").replace("$", "")
    model_ids = {
        "activity": world.activity.pk,
        "signup": world.signup_a.pk,
        "partner": world.partner.pk,
        "agreement": world.agreement.pk,
        "resourcecommitment": world.commitment.pk,
        "lead": world.lead.pk,
        "need": world.need.pk,
        "serviceproject": world.project.pk,
        "feedback": world.feedback.pk,
        "volunteerrole": world.role.pk,
        "rolesignup": world.role_signup.pk,
        "certificate": world.certificate.pk,
        "servicepost": world.post.pk,
        "reportingunit": world.unit.pk,
        "partymember": world.member.pk,
        "shopitem": world.item.pk,
        "pointsrule": world.points_rule.pk,
        "pointsentry": world.points_entry.pk,
        "annualreview": world.review.pk,
        "resident": world.a.pk,
        "household": world.a.household_id,
        "building": world.a.household.building_id,
        "complex": world.a.household.building.complex_id,
        "community": world.a.household.building.complex.community_id,
        "user": world.staff.pk,
        "group": world.group.pk,
        "importjob": world.import_job.pk,
        # Third-party records that do not exist in this world: the same answer on any database.
        "accessattempt": 999999,
        "accesslog": 999999,
        "accessfailurelog": 999999,
        "milestone": 999999,
        "dbtaskresult": "00000000-0000-0000-0000-000000000000",
    }
    values = {
        "pk": world.partner.pk if "partners/<int:pk>" in template else world.activity.pk,
        "signup_id": world.signup_a.pk,
        "job_id": world.import_job.pk,
        "activity_id": world.role.activity_id,
        "serial": world.certificate.serial,
        "token": world.certificate.token,
        "year": "2026",
        "month": "03",
        "name": "agreements/none.pdf",
    }
    parts = template.split("/")
    model = parts[2] if template.startswith("admin/") and len(parts) > 2 else None

    def fill(match):
        name = match.group(1)
        if name in ("object_id", None) and model is not None:
            return str(model_ids.get(model, 1))
        if name is None:  # simple_history's version id
            return "1"
        if name == "content_type_id":
            return "999999"  # no such content type: the same 404 on any database
        return str(values.get(name, 1))

    filled = []
    position = 0
    groups = 0
    for match in _PARAM.finditer(template):
        filled.append(template[position : match.start()])
        if match.group(1) is None:
            groups += 1
            filled.append(str(model_ids.get(model, 1)) if groups == 1 else "1")
        else:
            filled.append(fill(match))
        position = match.end()
    filled.append(template[position:])
    return "/" + "".join(filled)
