"""Reads for a resident's own pages: "my" sign-ups, household, leads, needs, data export.

Each function runs a fixed number of queries whatever the number of rows, so /me/ stays
as fast with 200 sign-ups as with 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone

from activities.models import Need, SignUp
from partners.models import Lead

from .models import Resident

#: Past sign-ups shown on /me/ (the export has all of them).
PAST_SIGNUPS_SHOWN = 30


def resident_for_user(user) -> Resident | None:
    """The resident record behind a login (None for staff without one), with the address."""
    if not user.is_authenticated:
        return None
    return (
        Resident.objects.active()
        .select_related("household__building__complex")
        .filter(user=user)
        .first()
    )


def household_members(resident: Resident) -> list[Resident]:
    """Everyone registered in the resident's household (the resident first)."""
    if resident.household_id is None:
        return [resident]
    members = list(
        Resident.objects.active()
        .filter(household_id=resident.household_id)
        .order_by(F("birth_year").asc(nulls_last=True), "pk")
    )
    return sorted(members, key=lambda member: member.pk != resident.pk)


def may_act_for_household(resident: Resident) -> bool:
    """Guardian powers (seeing, signing up, cancelling, exporting and rating for household
    members without a login) only for a resident whom staff verified at the address: anyone
    can self-register at any address, and must not thereby reach a stranger's children."""
    return bool(resident.is_verified and resident.household_id is not None)


def cared_for_ids(resident: Resident, members: list[Resident] | None = None) -> list[int]:
    """The resident and, if staff verified them, the household members without a login of
    their own (children, relatives without a smartphone): the people whose sign-ups the
    resident manages."""
    if not may_act_for_household(resident):
        return [resident.pk]
    if members is None:
        members = household_members(resident)
    return [m.pk for m in members if m.pk == resident.pk or m.user_id is None]


def cared_for(resident: Resident) -> QuerySet[Resident]:
    """The same people as `cared_for_ids`, as a queryset (for lookups in views)."""
    people = Q(pk=resident.pk)
    if may_act_for_household(resident):
        people |= Q(household_id=resident.household_id, user__isnull=True)
    return Resident.objects.active().filter(people)


@dataclass
class MySignUps:
    upcoming: list[SignUp] = field(default_factory=list)
    past: list[SignUp] = field(default_factory=list)
    past_total: int = 0
    attended_total: int = 0


def my_signups(*, resident_ids: list[int], now=None) -> MySignUps:
    """Upcoming (with waiting-list positions) and recent past sign-ups of these residents."""
    now = now or timezone.now()
    base = (
        SignUp.objects.filter(resident_id__in=resident_ids)
        .exclude(status=SignUp.Status.CANCELLED)
        .select_related("activity", "resident", "feedback")
    )
    upcoming = list(
        base.filter(activity__ends_at__gte=now).with_waitlist_position().order_by(
            "activity__starts_at", "pk"
        )
    )
    past = list(
        base.filter(activity__ends_at__lt=now)
        .order_by("-activity__starts_at", "-pk")[:PAST_SIGNUPS_SHOWN]
    )
    totals = base.filter(activity__ends_at__lt=now).aggregate(
        past_total=Count("pk"), attended_total=Count("pk", filter=Q(attended=True))
    )
    return MySignUps(upcoming=upcoming, past=past, **totals)


def my_leads(resident: Resident) -> list[Lead]:
    return list(Lead.objects.filter(offered_by=resident).order_by("-created_at", "-pk"))


def my_needs(resident: Resident) -> list[Need]:
    return list(Need.objects.filter(resident=resident).order_by("-created_at", "-pk"))


def _iso(value):
    return value.isoformat() if value is not None else None


def export_data(resident: Resident) -> dict:
    """Everything the app holds about the resident, for download as JSON."""
    members = household_members(resident)
    ids = cared_for_ids(resident, members)
    household = resident.household
    signups = (
        SignUp.objects.filter(resident_id__in=ids)
        .select_related("activity", "resident", "feedback")
        .order_by("created_at", "pk")
    )
    today = timezone.localdate()
    return {
        "exported_at": timezone.now().isoformat(),
        "privacy_policy_version": settings.PRIVACY_POLICY_VERSION,
        "profile": {
            "name": resident.name,
            "phone": resident.phone,
            "email": resident.email,
            "birth_year": resident.birth_year,
            "is_party_member": resident.is_party_member,
            "is_verified": resident.is_verified,
            "consent_version": resident.consent_version,
            "consent_at": _iso(resident.consent_at),
            "registered_at": _iso(resident.created_at),
            "login": resident.user.get_username() if resident.user_id else None,
        },
        "household": None
        if household is None
        else {
            "complex": household.building.complex.name,
            "building": household.building.number,
            "unit": household.unit,
            "room": household.room,
            "size": household.size,
            "members": [
                {
                    # Members with a login of their own are other people: masked.
                    "name": m.name if m.pk in ids else m.masked_name,
                    "birth_year": m.birth_year if m.pk in ids else None,
                    "age": m.age_on(today) if m.pk in ids else None,
                    "is_me": m.pk == resident.pk,
                    "has_login": m.user_id is not None,
                }
                for m in members
            ],
        },
        "signups": [
            {
                "person": s.resident.name,
                "activity": s.activity.title,
                "activity_starts_at": _iso(s.activity.starts_at),
                "place": s.activity.place,
                "status": s.status,
                "status_label": str(s.get_status_display()),
                "signed_up_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "promoted_at": _iso(s.promoted_at),
                "cancelled_at": _iso(s.cancelled_at),
                "check_in_code": s.check_in_code,
                "attended": s.attended,
                "checked_in_at": _iso(s.checked_in_at),
            }
            for s in signups
        ],
        "feedback": [
            {
                "activity": s.activity.title,
                "rating": s.feedback.rating,
                "comment": s.feedback.comment,
                "may_publish": s.feedback.may_publish,
                "is_published": s.feedback.is_published,
                "created_at": _iso(s.feedback.created_at),
            }
            for s in signups
            if hasattr(s, "feedback")
        ],
        "leads": [
            {
                "organisation": lead.organisation,
                "offer": lead.offer,
                "relationship": lead.relationship,
                "contact": lead.contact,
                "stage": lead.stage,
                "stage_label": str(lead.get_stage_display()),
                "submitted_at": _iso(lead.created_at),
            }
            for lead in my_leads(resident)
        ],
        "needs": [
            {
                "title": need.title,
                "description": need.description,
                "location": need.location,
                "urgency": need.urgency,
                "category": need.category,
                "status": need.status,
                "status_label": str(need.get_status_display()),
                "staff_reply": need.staff_reply,
                "submitted_at": _iso(need.created_at),
            }
            for need in my_needs(resident)
        ],
    }
