"""Writes about residents: registration, activation, household members, deleting one's data.

Keyword-only functions, one transaction each; they refuse with a translated
`ValidationError` carrying a `code` (a dict keyed by form field where a field is at fault).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core.throttle import Throttle

from . import privacy, sms
from .models import (
    ActivationCode,
    Building,
    Community,
    Household,
    Notification,
    PhoneCode,
    Resident,
)
from .privacy import ANONYMISED_NAME
from .validators import phone_validator

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


def activate_resident(*, phone: str, password: str, consent: bool) -> Resident:
    """Give the resident whom staff registered with this phone number (no login yet) a login
    of their own. The caller has proved that the person holds the phone (a texted code,
    `check_phone_code`); `activate_with_code` does it with a printed activation code."""
    _require_consent(consent)
    _check_password(password, phone=phone)
    try:
        with transaction.atomic():
            resident = Resident.objects.select_for_update().active().filter(phone=phone).first()
            if resident is None or not phone or resident.user_id is not None:
                raise ValidationError(_not_pending_message(), code="not_pending")
            if User.objects.filter(username=phone).exists():
                raise ValidationError(_not_pending_message(), code="not_pending")
            return _give_login(resident, password=password)
    except IntegrityError:
        raise ValidationError(_not_pending_message(), code="not_pending") from None


def _not_pending_message() -> str:
    return _("这个手机号码没有待激活的登记，请联系社区工作人员。")


def _give_login(resident: Resident, *, password: str) -> Resident:
    """The login (username = phone) of a staff-registered resident, with their consent now."""
    resident.user = _create_login(phone=resident.phone, password=password, email=resident.email)
    resident.consent_version = settings.PRIVACY_POLICY_VERSION
    resident.consent_at = timezone.now()
    resident.save(update_fields=["user", "consent_version", "consent_at"])
    return resident


def set_password_by_phone(*, phone: str, password: str) -> Resident:
    """A resident who forgot their password sets a new one, having proved that they hold
    the phone (`check_phone_code`). Their lockouts for wrong passwords end."""
    from axes.utils import reset as reset_lockouts

    refusal = ValidationError(
        _("这个手机号码不能在这里设置密码，请联系社区工作人员。"), code="no_account"
    )
    _check_password(password, phone=phone)
    with transaction.atomic():
        resident = (
            Resident.objects.select_for_update()
            .active()
            .filter(phone=phone, user__isnull=False)
            .select_related("user")
            .first()
        )
        if not phone or resident is None:
            raise refusal
        user = User.objects.select_for_update().get(pk=resident.user_id)
        if user.is_staff or user.is_superuser or not user.is_active or user.username != phone:
            raise refusal
        user.set_password(password)
        user.save(update_fields=["password"])
        resident.user = user
    reset_lockouts(username=phone)
    return resident


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
    community: Community | int | None = None,
) -> Resident:
    """Staff register a resident who walked in (no login, often no smartphone): the one
    already registered with this phone number if there is one, else a new resident in the
    household at the address (if given). One registered without an address is
    `community`'s (`Resident.registered_in`: the community whose staff registered them)."""
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
        resident = Resident(
            household=household,
            registered_in_id=None if household is not None else getattr(community, "pk", community),
            name=name,
            phone=phone,
        )
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

    The resident and everything they did stay; they then set a password again with a code
    texted to their phone, or with an activation code staff print (`issue_activation_code`).
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
    from .pagescopes import resident_data_changed

    rows = Notification.objects.unread().filter(resident=resident)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    marked = rows.update(read_at=timezone.now())
    if marked:
        resident_data_changed(resident_ids=[resident.pk])
    return marked


# --- proving that one holds the phone: texted codes and printed activation codes ----------
#
# Registration, activation and a forgotten password all start with the phone number and a
# code. Whatever the number (unknown, registered by staff, with an account), the answer is
# the same and a code is texted; only once the code is right does the flow branch
# (`selectors.phone_status`). Counters live in the shared cache (`core.throttle`): a resend
# cooldown and daily caps per number and per client against text-message floods, and wrong
# guesses per client. No counter of wrong guesses belongs to a phone number: a stranger's
# guesses must not lock the real resident out.

#: A texted code: digits, minutes valid, wrong tries before it is void.
PHONE_CODE_DIGITS = 6
PHONE_CODE_MINUTES = 10
PHONE_CODE_TRIES = 5
#: A printed activation code: digits (more than a texted code, as it lives for weeks), days.
ACTIVATION_CODE_DIGITS = 10
ACTIVATION_CODE_DAYS = 30

CODE_COOLDOWN = Throttle("code-cooldown", limit=1, window=60)
CODES_PER_PHONE = Throttle("code-phone", limit=5, window=24 * 60 * 60)
CODES_PER_IP = Throttle("code-ip", limit=30, window=24 * 60 * 60)
#: Wrong codes (texted or printed) from one client per hour.
WRONG_CODES_PER_IP = Throttle("code-wrong-ip", limit=20, window=60 * 60)


def _code_hash(kind: str, subject: str, code: str) -> str:
    """A keyed hash (HMAC-SHA256 with SECRET_KEY): the database alone cannot give the code."""
    return salted_hmac(f"residents.{kind}", f"{subject}:{code}", algorithm="sha256").hexdigest()


def _new_code(digits: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(digits))


def _too_many_tries_message() -> str:
    return _("尝试次数太多，请一小时后再试，或到社区服务站请工作人员帮忙。")


def _guard_guesses(client: str) -> None:
    if WRONG_CODES_PER_IP.blocked(client or "-"):
        raise ValidationError(_too_many_tries_message(), code="throttled")


def send_phone_code(*, phone: str, client: str, replaces: int | None = None) -> PhoneCode:
    """Text a new code to `phone` (any valid mobile number: the reply never says whether it
    is known). `replaces` is the code this browser asked for before, voided now. Refuses
    within a minute of the number's last code, and past the daily caps per number and per
    client."""
    phone = (phone or "").strip()
    phone_validator(phone)
    client = client or "-"
    if CODE_COOLDOWN.blocked(phone):
        raise ValidationError(_("验证码刚刚发出，请等一分钟再重新获取。"), code="cooldown")
    if CODES_PER_PHONE.blocked(phone) or CODES_PER_IP.blocked(client):
        raise ValidationError(
            _("今天获取验证码的次数太多了。请明天再试，或到社区服务站领取纸质激活码。"),
            code="daily_cap",
        )
    CODE_COOLDOWN.hit(phone)
    CODES_PER_PHONE.hit(phone)
    CODES_PER_IP.hit(client)
    code = _new_code(PHONE_CODE_DIGITS)
    now = timezone.now()
    with transaction.atomic():
        if replaces is not None:
            PhoneCode.objects.filter(pk=replaces, used_at__isnull=True).update(voided_at=now)
        # Housekeeping: yesterday's codes for this number are of no use to anyone.
        PhoneCode.objects.filter(phone=phone, created_at__lt=now - timedelta(days=1)).delete()
        row = PhoneCode(
            phone=phone,
            code_hash="",
            created_at=now,
            expires_at=now + timedelta(minutes=PHONE_CODE_MINUTES),
        )
        row.full_clean(exclude=["code_hash"])
        row.save()
        row.code_hash = _code_hash("PhoneCode", str(row.pk), code)
        row.save(update_fields=["code_hash"])
        text = _(
            "【%(community)s】您的验证码是 %(code)s，%(minutes)s 分钟内有效。"
            "请勿告诉任何人，社区工作人员不会向您索要验证码。"
        ) % {"community": settings.COMMUNITY_NAME, "code": code, "minutes": PHONE_CODE_MINUTES}
    # Sent once the row is saved (a text for a code that was never stored would be useless).
    sms.send_text(phone, text)
    return row


def forget_old_phone_codes(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete texted codes (and with them the numbers typed) older than a day: of no use
    to anyone, and a number a stranger typed is not kept. Run by the daily job."""
    deleted, _rows = PhoneCode.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def check_phone_code(*, code_id: int | None, phone: str, code: str, client: str) -> PhoneCode:
    """Use the code this browser asked for: right, unused, not expired, not void. A wrong
    code counts one try; after `PHONE_CODE_TRIES` the code is void (ask for a new one)."""
    client = client or "-"
    _guard_guesses(client)
    code = "".join((code or "").split())
    now = timezone.now()
    refusal = None
    with transaction.atomic():
        row = PhoneCode.objects.select_for_update().filter(pk=code_id, phone=phone).first()
        if row is None or row.used_at is not None or row.voided_at is not None:
            refusal = ValidationError(_("这个验证码已经失效，请重新获取验证码。"), code="void")
        elif row.expires_at <= now:
            refusal = ValidationError(
                _("验证码已过期（%(minutes)s分钟内有效），请重新获取。")
                % {"minutes": PHONE_CODE_MINUTES},
                code="expired",
            )
        elif not constant_time_compare(row.code_hash, _code_hash("PhoneCode", str(row.pk), code)):
            row.wrong_tries += 1
            left = PHONE_CODE_TRIES - row.wrong_tries
            if left <= 0:
                row.voided_at = now
                refusal = ValidationError(
                    _("验证码输错的次数太多，这个验证码已作废，请重新获取。"),
                    code="too_many_tries",
                )
            else:
                refusal = ValidationError(
                    _("验证码不正确，请核对短信后再输入（还可以试 %(left)s 次）。")
                    % {"left": left},
                    code="wrong_code",
                )
            row.save(update_fields=["wrong_tries", "voided_at"])
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
    # Raised after the transaction, so that a wrong try stays counted.
    if refusal is not None:
        if refusal.code in ("wrong_code", "too_many_tries"):
            WRONG_CODES_PER_IP.hit(client)
        raise refusal
    return row


def issue_activation_code(*, resident: Resident, issued_by=None) -> tuple[ActivationCode, str]:
    """A new printed activation code for a resident whom staff registered (phone, no login
    yet): returns the row and the code, which is shown once on the slip and never stored.
    The resident's earlier codes stop working."""
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.is_anonymised:
            raise ValidationError(_("该居民的资料已经删除。"), code="already_anonymised")
        if resident.user_id is not None:
            raise ValidationError(
                _("%(name)s 已经有登录账号，不需要激活码；忘记密码可用短信验证码重设。")
                % {"name": resident.name},
                code="already_active",
            )
        if not resident.phone:
            raise ValidationError(
                _("请先为%(name)s登记手机号码：激活时要填写手机号码和激活码。")
                % {"name": resident.name},
                code="no_phone",
            )
        now = timezone.now()
        resident.activation_codes.filter(used_at__isnull=True, superseded_at__isnull=True).update(
            superseded_at=now
        )
        code = _new_code(ACTIVATION_CODE_DIGITS)
        row = ActivationCode(
            resident=resident,
            code_hash=_code_hash("ActivationCode", str(resident.pk), code),
            created_at=now,
            created_by=issued_by,
            expires_at=now + timedelta(days=ACTIVATION_CODE_DAYS),
        )
        row.full_clean()
        row.save()
        return row, code


def activate_with_code(
    *, phone: str, code: str, password: str, consent: bool, client: str
) -> Resident:
    """A staff-registered resident types their phone number and the printed code, and sets
    a password. Unknown number, number with an account, wrong, used, superseded or expired
    code: one answer. Wrong codes count against the client, never against the number."""
    client = client or "-"
    _require_consent(consent)
    _guard_guesses(client)
    _check_password(password, phone=phone)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    refusal = ValidationError(
        _(
            "手机号码或激活码不正确，或激活码已失效。请核对纸条上的激活码，"
            "或请社区工作人员重新打印。"
        ),
        code="invalid_code",
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            resident = Resident.objects.select_for_update().active().filter(phone=phone).first()
            current = (
                ActivationCode.objects.select_for_update()
                .filter(
                    resident=resident,
                    used_at__isnull=True,
                    superseded_at__isnull=True,
                    expires_at__gt=now,
                )
                .first()
                if resident is not None and phone and resident.user_id is None
                else None
            )
            expected = _code_hash("ActivationCode", str(getattr(resident, "pk", "")), code)
            if current is None or not constant_time_compare(current.code_hash, expected):
                raise refusal
            if User.objects.filter(username=phone).exists():
                raise refusal
            current.used_at = now
            current.save(update_fields=["used_at"])
            return _give_login(resident, password=password)
    except ValidationError as error:
        if error is refusal:
            WRONG_CODES_PER_IP.hit(client)
        raise
    except IntegrityError:
        raise refusal from None
