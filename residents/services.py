"""Writes about residents: registration, activation, household members, deleting one's data.

Keyword-only functions, one transaction each; they refuse with a translated
`ValidationError` carrying a `code` (a dict keyed by form field where a field is at fault).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Building, Household, Resident

User = get_user_model()

#: The name an anonymised resident keeps, so that past records still read sensibly.
ANONYMISED_NAME = "已注销居民"
#: A household takes at most this many members added by residents themselves.
MAX_HOUSEHOLD_SIZE = 20


def _staff_registered_message() -> str:
    return _("社区工作人员已用这个手机号码为您登记过，请使用“激活账号”设置密码。")


def _phone_taken_message() -> str:
    return _("这个手机号码已经注册，请直接登录；忘记密码请联系社区工作人员。")


def _require_consent(consent: bool) -> None:
    if not consent:
        raise ValidationError(
            {"consent": ValidationError(_("请阅读并勾选同意《隐私说明》。"),
                                        code="consent_required")}
        )


def _check_password(password: str, *, phone: str, email: str = "") -> None:
    try:
        password_validation.validate_password(password, user=User(username=phone, email=email))
    except ValidationError as error:
        raise ValidationError({"password1": error.error_list}) from None


def _household_for(*, building: Building, unit: str, room: str) -> Household:
    """The household at the address, created on first use; locked for the caller."""
    unit = (unit or "").strip()
    room = (room or "").strip()
    if not room:
        raise ValidationError({"room": ValidationError(_("请填写门牌号。"), code="required")})
    household = (
        Household.objects.select_for_update()
        .filter(building=building, unit=unit, room=room)
        .first()
    )
    if household is None:
        household = Household(building=building, unit=unit, room=room, size=1)
        household.full_clean()
        try:
            with transaction.atomic():
                household.save()
        except IntegrityError:
            # A neighbour registered the same new address at the same moment: join it.
            household = Household.objects.select_for_update().get(
                building=building, unit=unit, room=room
            )
    return household


def _grow_household(household: Household) -> None:
    """Keep the household's size at least the number of people registered in it."""
    members = household.members.count()
    if members > household.size:
        household.size = members
        household.save(update_fields=["size"])


def _create_login(*, phone: str, password: str, email: str = ""):
    user = User(username=phone, email=email)
    user.set_password(password)
    user.save()
    return user


def register_resident(
    *,
    phone: str,
    name: str,
    password: str,
    building: Building,
    unit: str,
    room: str,
    birth_year: int | None = None,
    email: str = "",
    consent: bool,
) -> Resident:
    """Register a resident with a login (username = phone) in the household at the address.

    Records the version of the privacy notice they agreed to and when.
    """
    _require_consent(consent)
    name = " ".join((name or "").split())
    email = (email or "").strip()
    _check_password(password, phone=phone, email=email)
    try:
        with transaction.atomic():
            existing = Resident.objects.select_for_update().filter(phone=phone).first()
            if existing is not None:
                if existing.user_id is None and not existing.is_anonymised:
                    raise ValidationError(
                        {"phone": ValidationError(_staff_registered_message(),
                                                  code="staff_registered")}
                    )
                raise ValidationError(
                    {"phone": ValidationError(_phone_taken_message(), code="duplicate_phone")}
                )
            if User.objects.filter(username=phone).exists():
                raise ValidationError(
                    {"phone": ValidationError(_phone_taken_message(), code="duplicate_phone")}
                )
            household = _household_for(building=building, unit=unit, room=room)
            now = timezone.now()
            resident = Resident(
                household=household,
                name=name,
                phone=phone,
                email=email,
                birth_year=birth_year,
                consent_version=settings.PRIVACY_POLICY_VERSION,
                consent_at=now,
                created_at=now,
            )
            resident.full_clean()
            resident.user = _create_login(phone=phone, password=password, email=email)
            resident.save()
            _grow_household(household)
            return resident
    except IntegrityError:
        # Two registrations with the same number at the same moment: the second one loses.
        raise ValidationError(
            {"phone": ValidationError(_phone_taken_message(), code="duplicate_phone")}
        ) from None


def activate_resident(
    *,
    phone: str,
    name: str,
    building: Building,
    unit: str,
    room: str,
    password: str,
    consent: bool,
) -> Resident:
    """Give a resident whom staff registered (phone, no login) a login of their own.

    Every detail must match the staff record; a mismatch says so without saying which
    detail was wrong.
    """
    _require_consent(consent)
    _check_password(password, phone=phone)
    mismatch = ValidationError(
        _("您填写的信息与社区登记的信息不一致，请核对后再试，或联系社区工作人员。"),
        code="no_match",
    )
    name = " ".join((name or "").split())
    try:
        with transaction.atomic():
            resident = (
                Resident.objects.select_for_update()
                .active()
                .filter(
                    phone=phone,
                    name=name,
                    household__building=building,
                    household__unit=(unit or "").strip(),
                    household__room=(room or "").strip(),
                )
                .first()
            )
            if resident is None or not phone:
                raise mismatch
            if resident.user_id is not None:
                raise ValidationError(
                    _("这个账号已经激活，请直接登录。"), code="already_active"
                )
            if User.objects.filter(username=phone).exists():
                raise mismatch
            resident.user = _create_login(phone=phone, password=password,
                                          email=resident.email)
            resident.consent_version = settings.PRIVACY_POLICY_VERSION
            resident.consent_at = timezone.now()
            resident.save(update_fields=["user", "consent_version", "consent_at"])
            return resident
    except IntegrityError:
        raise mismatch from None


def add_household_member(*, guardian: Resident, name: str, birth_year: int) -> Resident:
    """Add a child (or a family member without a phone) to the guardian's household."""
    name = " ".join((name or "").split())
    with transaction.atomic():
        guardian = Resident.objects.select_for_update().get(pk=guardian.pk)
        if guardian.is_anonymised:
            raise ValidationError(_("您的资料已删除，不能添加家庭成员。"), code="anonymised")
        if guardian.household_id is None:
            raise ValidationError(
                _("您还没有登记住址，请联系社区工作人员。"), code="no_household"
            )
        household = Household.objects.select_for_update().get(pk=guardian.household_id)
        if household.members.count() >= MAX_HOUSEHOLD_SIZE:
            raise ValidationError(
                _("这一户登记的人数已达上限，请联系社区工作人员。"), code="household_full"
            )
        if household.members.filter(name=name, birth_year=birth_year).exists():
            raise ValidationError(
                {"name": ValidationError(_("这位家庭成员已经登记过了。"), code="duplicate")}
            )
        member = Resident(household=household, name=name, birth_year=birth_year)
        member.full_clean()
        member.save()
        _grow_household(household)
        return member


def anonymise_resident(*, resident: Resident) -> Resident:
    """Delete a resident's personal data but keep the row, so past totals stay as they were.

    Upcoming sign-ups are cancelled (the waiting list moves up); past sign-ups, attendance
    and ratings stay; comments are withdrawn; the login is deleted.
    """
    from activities import services as activity_services
    from activities.models import Feedback, SignUp

    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.is_anonymised:
            raise ValidationError(_("该居民的资料已经删除。"), code="already_anonymised")
        now = timezone.now()
        upcoming = (
            SignUp.objects.filter(resident=resident, activity__starts_at__gt=now, attended=False)
            .exclude(status=SignUp.Status.CANCELLED)
            .values_list("pk", flat=True)
        )
        for signup_id in list(upcoming):
            activity_services.cancel(signup=signup_id)
        Feedback.objects.filter(signup__resident=resident).update(
            comment="", may_publish=False, is_published=False
        )
        user = resident.user
        resident.name = ANONYMISED_NAME
        resident.phone = ""
        resident.email = ""
        resident.birth_year = None
        resident.user = None
        resident.anonymised_at = now
        resident.save(
            update_fields=["name", "phone", "email", "birth_year", "user", "anonymised_at"]
        )
        if user is not None:
            user.delete()
        return resident

