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

from . import privacy
from .models import Building, Household, Notification, Resident
from .privacy import ANONYMISED_NAME

User = get_user_model()

#: A household takes at most this many members added by residents themselves.
MAX_HOUSEHOLD_SIZE = 20


def _staff_registered_message() -> str:
    return _("社区工作人员已用这个手机号码为您登记过，请使用“激活账号”设置密码。")


def _phone_taken_message() -> str:
    return _("这个手机号码已经注册，请直接登录；忘记密码请联系社区工作人员。")


def _require_consent(consent: bool) -> None:
    if not consent:
        raise ValidationError(
            {
                "consent": ValidationError(
                    _("请阅读并勾选同意《隐私说明》。"), code="consent_required"
                )
            }
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
                        {
                            "phone": ValidationError(
                                _staff_registered_message(), code="staff_registered"
                            )
                        }
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
                # Same words as a mismatch: a different reply would confirm a right guess
                # of someone's name and address.
                raise ValidationError(mismatch.message, code="already_active")
            if User.objects.filter(username=phone).exists():
                raise mismatch
            resident.user = _create_login(phone=phone, password=password, email=resident.email)
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
            raise ValidationError(_("您还没有登记住址，请联系社区工作人员。"), code="no_household")
        if not guardian.is_verified:
            # Anyone can self-register at any address: only staff verification makes one a
            # member who may add people to the household.
            raise ValidationError(
                _("请先到社区服务站请工作人员核实您的住址，之后才能添加家庭成员。"),
                code="not_verified",
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


def register_at_the_door(
    *,
    name: str,
    phone: str = "",
    building: Building | None = None,
    unit: str = "",
    room: str = "",
) -> Resident:
    """Staff register a resident who walked in (no login, often no smartphone): the one
    already registered with this phone number if there is one, else a new resident in the
    household at the address (if given)."""
    name = " ".join((name or "").split())
    phone = (phone or "").strip()
    with transaction.atomic():
        if phone:
            existing = Resident.objects.select_for_update().active().filter(phone=phone).first()
            if existing is not None:
                return existing
        if not name:
            raise ValidationError({"name": ValidationError(_("请填写姓名。"), code="required")})
        household = None
        if building is not None:
            household = _household_for(building=building, unit=unit, room=room)
        resident = Resident(household=household, name=name, phone=phone)
        resident.full_clean()
        resident.save()
        if household is not None:
            _grow_household(household)
        return resident


def anonymise_resident(*, resident: Resident) -> Resident:
    """Delete a resident's personal data but keep the row, so past totals stay as they were.

    Every app forgets what it holds about the resident (`residents.privacy`: upcoming
    sign-ups are cancelled and the waiting list moves up; past sign-ups, attendance and
    ratings stay; comments, needs' and leads' details go); then the resident's own fields
    and their login are deleted. One transaction: nothing is half forgotten.
    """
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.is_anonymised:
            raise ValidationError(_("该居民的资料已经删除。"), code="already_anonymised")
        privacy.forget_all(privacy.Eraser.for_resident(resident))
        user = resident.user
        resident.name = ANONYMISED_NAME
        resident.phone = ""
        resident.email = ""
        resident.birth_year = None
        resident.user = None
        resident.anonymised_at = timezone.now()
        # The address goes too: past reach is counted from SignUp.household, kept as it was.
        resident.household = None
        resident.save(
            update_fields=[
                "name",
                "phone",
                "email",
                "birth_year",
                "user",
                "household",
                "anonymised_at",
            ]
        )
        if user is not None:
            user.delete()
        return resident


# --- back-office writes: deleting a resident, changing a phone number, resetting a login ---


def delete_resident(*, resident: Resident) -> None:
    """Delete a resident registered by mistake, together with their login.

    A resident with sign-ups cannot be deleted (past monthly totals count them); their
    personal data is deleted by anonymising them instead.
    """
    from django.db.models import ProtectedError, RestrictedError

    with transaction.atomic():
        resident = Resident.objects.select_for_update().filter(pk=resident.pk).first()
        if resident is None:
            return
        user = (
            User.objects.select_for_update().filter(pk=resident.user_id).first()
            if resident.user_id is not None
            else None
        )
        try:
            resident.delete()
        except (ProtectedError, RestrictedError):
            raise ValidationError(
                _("%(name)s 有活动报名记录，不能删除；请改用“删除个人数据（匿名化）”。")
                % {"name": resident.name},
                code="has_signups",
            ) from None
        if user is not None:
            user.delete()


def phone_change_refusal(*, resident: Resident, phone: str) -> ValidationError | None:
    """Why the resident's phone number may not become `phone` (None if it may).

    A resident's login name is their phone number, so the number must be free both among
    residents and among logins, and a resident with a login must keep one.
    """
    phone = (phone or "").strip()
    if phone == resident.phone:
        return None
    if resident.is_anonymised:
        return ValidationError(_("该居民的资料已经删除。"), code="already_anonymised")
    if not phone:
        if resident.user_id is not None:
            return ValidationError(
                {
                    "phone": ValidationError(
                        _(
                            "该居民有登录账号，手机号码就是登录名，不能清空；"
                            "如需停用账号，请使用“重置登录密码”。"
                        ),
                        code="login_needs_phone",
                    )
                }
            )
        return None
    taken = ValidationError(
        {
            "phone": ValidationError(
                _("手机号码 %(phone)s 已登记给另一位居民。"),
                code="phone_taken",
                params={"phone": phone},
            )
        }
    )
    if Resident.objects.filter(phone=phone).exclude(pk=resident.pk).exists():
        return taken
    if User.objects.filter(username=phone).exclude(pk=resident.user_id).exists():
        return ValidationError(
            {
                "phone": ValidationError(
                    _("手机号码 %(phone)s 已是另一个登录账号的登录名，不能使用。"),
                    code="username_taken",
                    params={"phone": phone},
                )
            }
        )
    return None


def change_phone(*, resident: Resident, phone: str) -> Resident:
    """Change a resident's phone number and, with it, their login name (the phone number)."""
    phone = (phone or "").strip()
    try:
        with transaction.atomic():
            resident = Resident.objects.select_for_update().get(pk=resident.pk)
            user = (
                User.objects.select_for_update().get(pk=resident.user_id)
                if resident.user_id is not None
                else None
            )
            refusal = phone_change_refusal(resident=resident, phone=phone)
            if refusal is not None:
                raise refusal
            if phone == resident.phone:
                return resident
            resident.phone = phone
            resident.full_clean(exclude=["user", "household"])
            resident.save(update_fields=["phone"])
            if user is not None:
                user.username = phone
                user.email = resident.email
                user.save(update_fields=["username", "email"])
            return resident
    except IntegrityError:
        # Someone took the number at the same moment.
        raise ValidationError(
            {
                "phone": ValidationError(
                    _("手机号码 %(phone)s 已登记给另一位居民。"),
                    code="phone_taken",
                    params={"phone": phone},
                )
            }
        ) from None


def reset_login(*, resident: Resident) -> Resident:
    """Delete a resident's login, for a resident who forgot their password.

    The resident and everything they did stay; they then activate their account again
    ("激活账号") with their phone number, name and address, and choose a new password.
    """
    from axes.utils import reset as reset_lockouts

    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.is_anonymised:
            raise ValidationError(_("该居民的资料已经删除。"), code="already_anonymised")
        if resident.user_id is None:
            raise ValidationError(_("该居民还没有登录账号。"), code="no_login")
        if not resident.phone or resident.household_id is None:
            raise ValidationError(
                _("请先为该居民登记手机号码和住址，否则无法重新激活账号。"),
                code="cannot_reactivate",
            )
        user = User.objects.select_for_update().get(pk=resident.user_id)
        if user.is_staff or user.is_superuser:
            raise ValidationError(_("这是工作人员的账号，不能在这里重置。"), code="staff_login")
        resident.user = None
        resident.save(update_fields=["user"])
        user.delete()
        # A resident who forgot their password has often locked themselves out trying.
        reset_lockouts(username=resident.phone)
        return resident


# --- notifications ------------------------------------------------------------------------


def notify(
    *,
    resident: Resident | int,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
    deliver: bool = True,
) -> Notification | None:
    """Put a message in the resident's inbox (/me/), and once the transaction commits
    e-mail it when they gave an address, else text it to their phone (`residents.sms`). The apps above call this; it knows nothing of them.

    With a `dedupe_key`, the resident is told once per key, whatever the number of calls,
    runs or servers: the database's unique (resident, key) refuses the second row, and the
    refused caller sends nothing. Returns the new notification, or None when it was already
    sent or the resident has no login or deleted their data. `deliver=False` only puts it
    in the inbox (the caller e-mails it its own way).
    """
    resident_id = getattr(resident, "pk", resident)
    with transaction.atomic():
        target = (
            Resident.objects.filter(pk=resident_id, anonymised_at__isnull=True, user__isnull=False)
            .only("pk", "email", "phone")
            .first()
        )
        if target is None:
            return None
        notification = Notification(
            resident=target,
            kind=kind,
            title=title[:200],
            body=body,
            url=url[:300],
            dedupe_key=dedupe_key[:200],
        )
        notification.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            return None
        if deliver:
            transaction.on_commit(lambda: _deliver(notification.pk))
        return notification


def _deliver(notification_id: int) -> None:
    """E-mail / text a new notification; a failure is logged, never raised."""
    import logging

    from django.core.mail import send_mail

    from . import sms

    notification = (
        Notification.objects.select_related("resident").filter(pk=notification_id).first()
    )
    if notification is None:
        return
    resident = notification.resident
    updates = {}
    if resident.email:
        try:
            send_mail(
                notification.title,
                f"{notification.title}\n\n{notification.body}".strip(),
                None,
                [resident.email],
            )
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).exception(
                "Could not e-mail notification %s", notification_id
            )
        else:
            updates["emailed_at"] = timezone.now()
    elif resident.phone and sms.send_text(
        resident.phone, f"{notification.title} {notification.body}"[:300]
    ):
        updates["texted_at"] = timezone.now()
    if updates:
        Notification.objects.filter(pk=notification_id).update(**updates)


def mark_notifications_read(*, resident: Resident, ids: list[int] | None = None) -> int:
    """Mark the resident's notifications read (all unread ones, or these)."""
    rows = Notification.objects.unread().filter(resident=resident)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
