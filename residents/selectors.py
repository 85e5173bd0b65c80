"""Reads about residents: the resident behind a login, their household, and the people
they look after (guardian powers). Each runs a fixed number of queries."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from .models import Resident


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
    """Everyone registered in the resident's household (the resident first), once staff
    verified the resident at that address; until then only the resident: anyone can
    self-register at any address, and must not thereby see who lives there."""
    if resident.household_id is None or not resident.is_verified:
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


class PhoneStatus:
    """What a number someone proved they hold (`services.check_phone_code`) may do next."""

    NEW = "new"  # nobody has it: register
    PENDING = "pending"  # staff registered a resident with it, no login yet: activate
    ACCOUNT = "account"  # a resident's login: log in, or set a new password
    UNAVAILABLE = "unavailable"  # a back-office login, or anything else: ask the staff


def phone_status(phone: str) -> str:
    """Only ever asked once the phone is proven: before that, every number gets the same
    answer (no phone-lookup oracle)."""
    from django.contrib.auth import get_user_model

    resident = Resident.objects.active().filter(phone=phone).select_related("user").first()
    user = get_user_model().objects.filter(username=phone).first()
    if resident is None:
        return PhoneStatus.NEW if user is None else PhoneStatus.UNAVAILABLE
    if resident.user_id is None:
        return PhoneStatus.PENDING if user is None else PhoneStatus.UNAVAILABLE
    if (
        user is not None
        and user.pk == resident.user_id
        and user.is_active
        and not (user.is_staff or user.is_superuser)
    ):
        return PhoneStatus.ACCOUNT
    return PhoneStatus.UNAVAILABLE


def pending_resident(phone: str) -> Resident | None:
    """The staff-registered resident (no login yet) with this number, with the address."""
    return (
        Resident.objects.active()
        .filter(phone=phone, user__isnull=True)
        .select_related("household__building")
        .first()
    )
