"""Writes about 双报到 and volunteer service: reporting members and units, volunteer roles
and their sign-ups (the same guarantees as an activity's seats), check-in and check-out,
hours, certificates, and the points bank (积分银行): earning, correcting, expiring and
redeeming points at the shop.

As in `activities.services`: keyword-only functions, one transaction each, the row that
serialises the decision is locked (`select_for_update`; SQLite opens transactions with
BEGIN IMMEDIATE) before anything is checked, and refusals are translated
`ValidationError`s with a `code`.

Locks, always in this order so that two desks never wait on each other: the activity (role
sign-ups), the shop item, then the resident (the points ledger).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity, CallListEntry
from activities.services import cancellation_notice, check_in_refusal, put_on_call_list
from residents.models import Notification, Resident
from residents.services import notify

from .models import (
    AnnualReview,
    Certificate,
    PartyMember,
    PointsEntry,
    PointsRule,
    RoleSignUp,
    ShopItem,
    VolunteerRole,
)

HOUR = Decimal("0.1")


def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def _record_actor(obj, by) -> None:
    if _user(by) is not None:
        obj._history_user = by


# --- 双报到 ----------------------------------------------------------------------------------


def report_member(*, member: PartyMember, posts=None, by=None) -> PartyMember:
    """Register (or update) a party member who reports to the community: a resident of the
    community, who must be a party member, or someone living elsewhere (name and phone)."""
    with transaction.atomic():
        resident = None
        if member.resident_id is not None:
            resident = Resident.objects.select_for_update().get(pk=member.resident_id)
            if resident.is_anonymised:
                raise ValidationError(_("该居民的资料已删除。"), code="anonymised")
            if not resident.is_party_member:
                raise ValidationError(
                    _("该居民未登记为党员，请先在居民资料中登记。"), code="not_party_member"
                )
            # A resident's name and phone live on the resident: not copied here.
            member.name = ""
            member.phone = ""
        member.full_clean()
        _record_actor(member, by)
        member.save()
        if posts is not None:
            member.posts.set(posts)
        return member


# --- volunteer roles --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleSignUpResult:
    signup: RoleSignUp
    created: bool


def _lock_activity(activity_id: int) -> Activity:
    try:
        return Activity.objects.select_for_update().get(pk=activity_id)
    except Activity.DoesNotExist:
        raise ValidationError(_("找不到该活动。"), code="not_found") from None


def role_refusal(*, activity: Activity, now=None) -> ValidationError | None:
    """Why nobody can sign up for the activity's volunteer roles now (None if they can)."""
    now = now or timezone.now()
    if activity.is_cancelled:
        return ValidationError(_("该活动已取消。"), code="cancelled")
    if activity.is_over(now) or activity.starts_at <= now:
        return ValidationError(_("活动已开始，不能再报名志愿岗位。"), code="started")
    return None


def _confirmed(role: VolunteerRole) -> int:
    return role.signups.filter(status=RoleSignUp.Status.CONFIRMED).count()


def sign_up_for_role(
    *,
    role: VolunteerRole | int,
    resident: Resident | None = None,
    member: PartyMember | None = None,
    by=None,
) -> RoleSignUpResult:
    """Sign a resident (themself) or a reported member (staff) up for a volunteer role:
    confirmed while the role has places, on its waiting list after. One active place per
    person and activity: signing up twice returns the existing one."""
    role_id = getattr(role, "pk", role)
    activity_id = (
        VolunteerRole.objects.filter(pk=role_id).values_list("activity_id", flat=True).first()
    )
    if activity_id is None:
        raise ValidationError(_("找不到该志愿岗位。"), code="not_found")
    with transaction.atomic():
        activity = _lock_activity(activity_id)
        role = VolunteerRole.objects.get(pk=role_id)
        if member is not None and resident is None and member.resident_id is not None:
            resident = member.resident
        if resident is not None and member is None:
            member = PartyMember.objects.filter(resident=resident, is_active=True).first()
        if resident is None and member is None:
            raise ValidationError(_("请选择志愿者。"), code="no_volunteer")
        if resident is not None and resident.is_anonymised:
            raise ValidationError(_("该居民的资料已删除，不能报名。"), code="anonymised")
        existing = RoleSignUp.objects.active().filter(activity=activity)
        existing = (
            existing.filter(resident=resident)
            if resident is not None
            else existing.filter(member=member)
        ).first()
        if existing is not None:
            if existing.role_id == role.pk:
                return RoleSignUpResult(signup=existing, created=False)
            raise ValidationError(
                _("已报名该活动的“%(role)s”岗位，请先取消。"),
                code="other_role",
                params={"role": existing.role.name},
            )
        now = timezone.now()
        refusal = role_refusal(activity=activity, now=now)
        if refusal is not None:
            raise refusal
        if role.signups.filter(status=RoleSignUp.Status.WAITLISTED).exists():
            _promote(role, activity=activity, now=now)
        has_place = _confirmed(role) < role.places
        signup = RoleSignUp(
            role=role,
            activity=activity,
            resident=resident,
            member=member,
            status=RoleSignUp.Status.CONFIRMED if has_place else RoleSignUp.Status.WAITLISTED,
            created_at=now,
            confirmed_at=now if has_place else None,
            signed_up_by=_user(by),
        )
        signup.full_clean()
        _record_actor(signup, by)
        signup.save()
        return RoleSignUpResult(signup=signup, created=True)


def role_waitlist_position(signup: RoleSignUp) -> int | None:
    if signup.status != RoleSignUp.Status.WAITLISTED:
        return None
    ahead = RoleSignUp.objects.filter(
        role_id=signup.role_id,
        status=RoleSignUp.Status.WAITLISTED,
        created_at__lte=signup.created_at,
    ).exclude(created_at=signup.created_at, pk__gte=signup.pk)
    return ahead.count() + 1


def _promote(role: VolunteerRole, *, activity: Activity, now) -> list[RoleSignUp]:
    """Confirm the oldest on the role's waiting list while it has places. Caller holds the
    activity's lock."""
    if activity.is_cancelled or activity.is_over(now):
        return []
    free = role.places - _confirmed(role)
    if free <= 0:
        return []
    promoted = list(
        role.signups.filter(status=RoleSignUp.Status.WAITLISTED)
        .order_by("created_at", "pk")
        .select_related("resident")[:free]
    )
    for signup in promoted:
        signup.status = RoleSignUp.Status.CONFIRMED
        signup.confirmed_at = now
        signup.promoted_at = now
        signup.save(update_fields=["status", "confirmed_at", "promoted_at"])
        if signup.resident_id is not None:
            notify(
                resident=signup.resident_id,
                kind=Notification.Kind.PROMOTED,
                title=_("志愿岗位候补成功：%(title)s") % {"title": activity.title},
                body=_("您候补的志愿岗位“%(role)s”有了空位，您已报名成功。") % {"role": role.name},
                url=activity.get_absolute_url(),
                dedupe_key=f"role-promoted:{signup.pk}:{now.isoformat()}",
            )
    return promoted


def cancel_role_signup(*, signup: RoleSignUp | int, by=None) -> RoleSignUp:
    """Cancel a volunteer's place; a freed place goes to the oldest on the role's waiting
    list in the same transaction."""
    pk = getattr(signup, "pk", signup)
    activity_id = RoleSignUp.objects.filter(pk=pk).values_list("activity_id", flat=True).first()
    if activity_id is None:
        raise ValidationError(_("找不到该志愿者报名。"), code="not_found")
    with transaction.atomic():
        activity = _lock_activity(activity_id)
        signup = RoleSignUp.objects.select_for_update().get(pk=pk)
        if signup.status == RoleSignUp.Status.CANCELLED:
            return signup
        if signup.checked_in_at is not None:
            raise ValidationError(_("已签到的志愿者不能取消报名。"), code="checked_in")
        now = timezone.now()
        was_confirmed = signup.status == RoleSignUp.Status.CONFIRMED
        signup.status = RoleSignUp.Status.CANCELLED
        signup.cancelled_at = now
        _record_actor(signup, by)
        signup.save(update_fields=["status", "cancelled_at"])
        if was_confirmed:
            _promote(signup.role, activity=activity, now=now)
        return signup


def cancel_roles_of_cancelled_activity(*, activity: Activity | int, by=None) -> list[RoleSignUp]:
    """The activity was cancelled: every volunteer place not yet served (confirmed,
    waitlisted, or checked in without hours) is cancelled, nobody is promoted, and the
    volunteers are told as the attendees are (`activities.services.cancellation_notice`,
    the same key: a resident holding a seat and a role hears it once). Places whose hours
    were already recorded stay as service records. Runs in the cancellation's transaction
    (registered in `volunteering.hooks`)."""
    with transaction.atomic():
        activity = _lock_activity(getattr(activity, "pk", activity))
        signups = list(
            RoleSignUp.objects.select_for_update(of=("self",))
            .active()
            .filter(activity=activity, hours__isnull=True)
            .select_related("resident")
            .order_by("pk")
        )
        if not signups:
            return []
        now = timezone.now()
        for signup in signups:
            signup.status = RoleSignUp.Status.CANCELLED
            signup.cancelled_at = now
            _record_actor(signup, by)
            signup.save(update_fields=["status", "cancelled_at"])
        notice = cancellation_notice(activity)
        residents = {s.resident_id: s.resident for s in signups if s.resident_id is not None}
        for resident_id in sorted(residents):
            notice.tell(resident_id)
            # Those the site cannot reach go on the call list, as attendees do.
            put_on_call_list(
                activity_id=activity.pk,
                resident=residents[resident_id],
                reason=CallListEntry.Reason.CANCELLED,
                now=now,
            )
        return signups


def save_role(*, role: VolunteerRole, by=None) -> VolunteerRole:
    """Add a role to an activity or change its places: never fewer than already confirmed;
    new places go to the waiting list."""
    with transaction.atomic():
        activity = _lock_activity(role.activity_id)
        if role.pk is not None:
            confirmed = _confirmed(role)
            if role.places < confirmed:
                raise ValidationError(
                    _("已有 %(count)s 人确认担任该岗位，人数不能少于此数。"),
                    code="places_below_confirmed",
                    params={"count": confirmed},
                )
        role.full_clean()
        role.save()
        _promote(role, activity=activity, now=timezone.now())
        return role


# --- check-in, check-out, hours ------------------------------------------------------------


def hours_between(*, activity: Activity, checked_in_at, checked_out_at) -> Decimal:
    """Hours served from check-in to check-out, counted only within the activity's times,
    to a tenth of an hour."""
    start = max(checked_in_at, activity.starts_at)
    end = min(checked_out_at, activity.ends_at)
    seconds = max(0.0, (end - start).total_seconds())
    return (Decimal(seconds) / Decimal(3600)).quantize(HOUR, rounding=ROUND_HALF_UP)


def _lock_signup(pk) -> tuple[Activity, RoleSignUp]:
    activity_id = RoleSignUp.objects.filter(pk=pk).values_list("activity_id", flat=True).first()
    if activity_id is None:
        raise ValidationError(_("找不到该志愿者报名。"), code="not_found")
    activity = _lock_activity(activity_id)
    return activity, RoleSignUp.objects.select_for_update().select_related("role").get(pk=pk)


def check_in_volunteer(*, signup: RoleSignUp | int, by=None, now=None) -> RoleSignUp:
    """Check a confirmed volunteer in, within the activity's check-in window. Twice keeps
    the first check-in."""
    with transaction.atomic():
        activity, signup = _lock_signup(getattr(signup, "pk", signup))
        if signup.checked_in_at is not None:
            return signup
        if signup.status != RoleSignUp.Status.CONFIRMED:
            raise ValidationError(_("只有已确认的志愿者可以签到。"), code="not_confirmed")
        now = now or timezone.now()
        refusal = check_in_refusal(activity=activity, now=now)
        if refusal is not None:
            raise refusal
        signup.checked_in_at = now
        _record_actor(signup, by)
        signup.save(update_fields=["checked_in_at"])
        return signup


def check_out_volunteer(*, signup: RoleSignUp | int, by=None, now=None) -> RoleSignUp:
    """Check a volunteer out: the hours are recorded from check-in to now, within the
    activity's times, and points are earned by the rules."""
    with transaction.atomic():
        activity, signup = _lock_signup(getattr(signup, "pk", signup))
        if signup.checked_in_at is None:
            raise ValidationError(_("该志愿者尚未签到。"), code="not_checked_in")
        if signup.checked_out_at is not None:
            return signup
        now = now or timezone.now()
        signup.checked_out_at = max(now, signup.checked_in_at)
        signup.hours = hours_between(
            activity=activity,
            checked_in_at=signup.checked_in_at,
            checked_out_at=signup.checked_out_at,
        )
        signup.recorded_by = _user(by)
        signup.full_clean()
        _record_actor(signup, by)
        signup.save(update_fields=["checked_out_at", "hours", "recorded_by"])
        _earn_points(signup=signup, activity=activity, by=by)
        return signup


def adjust_hours(*, signup: RoleSignUp | int, hours: Decimal, reason: str, by=None) -> RoleSignUp:
    """Staff set a volunteer's hours by hand, with a reason (kept in the history). Points
    already earned are put right by a correction."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("调整服务时长须写明原因。"), code="reason_required")
    with transaction.atomic():
        activity, signup = _lock_signup(getattr(signup, "pk", signup))
        if signup.status != RoleSignUp.Status.CONFIRMED:
            raise ValidationError(_("只有已确认的志愿者可以记录时长。"), code="not_confirmed")
        signup.hours = Decimal(hours).quantize(HOUR, rounding=ROUND_HALF_UP)
        signup.hours_reason = reason
        signup.recorded_by = _user(by)
        signup.full_clean()
        _record_actor(signup, by)
        signup.save(update_fields=["hours", "hours_reason", "recorded_by"])
        _earn_points(signup=signup, activity=activity, by=by, reason=reason)
        return signup


# --- certificates ----------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def issue_certificate(
    *,
    resident: Resident | None = None,
    member: PartyMember | None = None,
    period_start: dt.date,
    period_end: dt.date,
    by=None,
) -> Certificate:
    """Issue a certificate of the volunteer's service in the period, its figures frozen."""
    if period_end < period_start:
        raise ValidationError(_("截止日期不能早于起始日期。"), code="period_invalid")
    with transaction.atomic():
        if resident is None and member is not None:
            resident = member.resident
        if resident is not None:
            resident = Resident.objects.select_for_update().get(pk=resident.pk)
            if resident.is_anonymised:
                raise ValidationError(_("该居民的资料已删除。"), code="anonymised")
            if member is None:
                member = PartyMember.objects.filter(resident=resident).first()
        if resident is None and member is None:
            raise ValidationError(_("请选择志愿者。"), code="no_volunteer")
        records = RoleSignUp.objects.served_between(
            _day_start(period_start), _day_start(period_end + dt.timedelta(days=1))
        )
        records = records.filter(resident=resident) if resident else records.filter(member=member)
        records = list(records.select_related("activity", "role").order_by("activity__starts_at"))
        total = sum((r.hours for r in records), Decimal(0))
        if not records or total <= 0:
            raise ValidationError(_("该志愿者在这段时间内没有服务记录。"), code="no_service")
        seen: list[str] = []
        for record in records:
            line = f"{record.activity.title}（{record.role.name}）"
            if line not in seen:
                seen.append(line)
        contact = "　".join(
            part for part in (settings.COMMUNITY_PHONE, settings.COMMUNITY_ADDRESS) if part
        )
        certificate = Certificate(
            resident=resident,
            member=member,
            holder_name=resident.name if resident else member.display_name,
            period_start=period_start,
            period_end=period_end,
            hours=total,
            services="；".join(seen)[:2000],
            organisation=settings.COMMUNITY_NAME,
            contact=contact[:100],
            issued_on=timezone.localdate(),
            issued_by=_user(by),
        )
        _number_and_save(certificate)
        return certificate


def _number_and_save(certificate: Certificate, attempts: int = 5) -> None:
    """Give the certificate the next number of its year (2026-0001, 2026-0002 …) and save
    it. Two desks issuing at once may draw the same number: the database's unique (year,
    number) refuses the second, which draws again (SQLite's writers are serialised anyway)."""
    year = certificate.issued_on.year
    numbering = {"year", "number", "serial", "token"}
    for attempt in range(attempts):
        last = Certificate.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0
        certificate.year, certificate.number = year, last + 1
        certificate.serial = Certificate.serial_for(year, last + 1)
        # The number's uniqueness is the database's to refuse (below), as between two desks.
        certificate.full_clean(exclude=numbering, validate_unique=False)
        try:
            with transaction.atomic():
                certificate.save()
            return
        except IntegrityError:
            certificate.pk = None
            taken = Certificate.objects.filter(year=year, number=certificate.number).exists()
            if not taken or attempt == attempts - 1:
                raise


# --- annual review ---------------------------------------------------------------------------


def write_review(*, review: AnnualReview, by=None) -> AnnualReview:
    """Staff write (or change) the comment of a member's or a unit's annual review (年度评议);
    the figures beside it come from the records. Who wrote it is kept, and the history."""
    with transaction.atomic():
        review.comment = (review.comment or "").strip()
        review.written_by = _user(by)
        review.full_clean()
        _record_actor(review, by)
        review.save()
        return review


# --- points ----------------------------------------------------------------------------------


def _lock_resident(resident_id: int) -> Resident:
    try:
        return Resident.objects.select_for_update().get(pk=resident_id)
    except Resident.DoesNotExist:
        raise ValidationError(_("找不到该居民。"), code="not_found") from None


def balance_of(resident: Resident | int) -> int:
    """The resident's points balance: the balance after the last line of their ledger."""
    last = (
        PointsEntry.objects.filter(resident_id=getattr(resident, "pk", resident))
        .order_by("-seq")
        .values_list("balance", flat=True)
        .first()
    )
    return last or 0


def _append(*, resident_id: int, kind: str, points: int, by=None, **fields) -> PointsEntry:
    """Add a line to the ledger. The caller holds the resident's lock."""
    last = (
        PointsEntry.objects.filter(resident_id=resident_id)
        .order_by("-seq")
        .values_list("seq", "balance")
        .first()
    ) or (0, 0)
    balance = last[1] + points
    if balance < 0:
        raise ValidationError(
            _("积分不足：余额 %(balance)s，需要 %(needed)s。"),
            code="insufficient_points",
            params={"balance": last[1], "needed": -points},
        )
    entry = PointsEntry(
        resident_id=resident_id,
        seq=last[0] + 1,
        kind=kind,
        points=points,
        balance=balance,
        created_at=timezone.now(),
        created_by=_user(by),
        **fields,
    )
    entry.full_clean(validate_unique=False)
    entry.save()
    return entry


def points_for(signup: RoleSignUp, activity: Activity) -> int:
    """What the active rules give for this service record (before the yearly cap)."""
    total = Decimal(0)
    for rule in PointsRule.objects.filter(is_active=True):
        if rule.kind == PointsRule.Kind.PER_HOUR:
            total += rule.points * (signup.hours or 0)
        elif (rule.kind, rule.role_name or rule.category) in (
            (PointsRule.Kind.PER_ROLE, signup.role.name),
            (PointsRule.Kind.PER_CATEGORY, activity.category),
        ):
            total += rule.points
    return int(total.to_integral_value(rounding=ROUND_HALF_UP))


def earned_in_year(resident_id: int, year: int) -> int:
    """Points earned (net of corrections of earnings) in the calendar year."""
    start = _day_start(dt.date(year, 1, 1))
    end = _day_start(dt.date(year + 1, 1, 1))
    rows = PointsEntry.objects.filter(
        resident_id=resident_id, created_at__gte=start, created_at__lt=end
    ).filter(kind=PointsEntry.Kind.EARNED) | PointsEntry.objects.filter(
        resident_id=resident_id,
        created_at__gte=start,
        created_at__lt=end,
        kind=PointsEntry.Kind.CORRECTED,
        signup__isnull=False,
    )
    return rows.aggregate(n=Sum("points"))["n"] or 0


def _expiry(day: dt.date) -> dt.date | None:
    months = settings.POINTS_EXPIRE_MONTHS
    if not months:
        return None
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def _earn_points(*, signup: RoleSignUp, activity: Activity, by=None, reason: str = "") -> None:
    """Points for a service record, within the yearly cap: the first time an earning; after
    a change of hours, a correction by the difference (with the reason)."""
    if signup.resident_id is None:
        return  # members living elsewhere have no points account
    _lock_resident(signup.resident_id)
    already = (
        PointsEntry.objects.filter(signup=signup, kind__in=["earned", "corrected"]).aggregate(
            n=Sum("points")
        )["n"]
        or 0
    )
    year = timezone.localtime(activity.starts_at).year
    room = max(0, settings.POINTS_YEARLY_CAP - earned_in_year(signup.resident_id, year) + already)
    due = min(points_for(signup, activity), room)
    difference = due - already
    if difference == 0:
        return
    if not PointsEntry.objects.filter(signup=signup, kind=PointsEntry.Kind.EARNED).exists():
        if difference < 0:
            return
        _append(
            resident_id=signup.resident_id,
            kind=PointsEntry.Kind.EARNED,
            points=difference,
            signup=signup,
            reason=f"{activity.title}（{signup.role.name}）"[:200],
            expires_on=_expiry(timezone.localdate()),
            by=by,
        )
        return
    # Never below zero: what was already spent stays spent.
    difference = max(difference, -balance_of(signup.resident_id))
    if difference:
        _append(
            resident_id=signup.resident_id,
            kind=PointsEntry.Kind.CORRECTED,
            points=difference,
            signup=signup,
            reason=(reason or _("服务时长调整"))[:200],
            by=by,
        )


def award_points(*, signup: RoleSignUp | int, by=None) -> None:
    """Points for a service record by the rules (once; again after a change of hours, as a
    correction). Check-out and adjustments call it themselves; for records written otherwise
    (imported history, the demo)."""
    with transaction.atomic():
        activity, signup = _lock_signup(getattr(signup, "pk", signup))
        if signup.hours is not None and signup.status == RoleSignUp.Status.CONFIRMED:
            _earn_points(signup=signup, activity=activity, by=by)


def correct_points(*, resident: Resident | int, points: int, reason: str, by=None) -> PointsEntry:
    """Put a resident's points right by hand: a line with its reason (never an edit)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("更正积分须写明原因。"), code="reason_required")
    if not points:
        raise ValidationError(_("更正的积分不能为 0。"), code="zero")
    with transaction.atomic():
        locked = _lock_resident(getattr(resident, "pk", resident))
        return _append(
            resident_id=locked.pk,
            kind=PointsEntry.Kind.CORRECTED,
            points=points,
            reason=reason[:200],
            by=by,
        )


def _community_of(resident: Resident) -> int | None:
    """The id of the community `resident` belongs to (`Resident.community_q`)."""
    return (
        Resident.objects.filter(pk=resident.pk)
        .values_list(Resident.community_of(), flat=True)
        .first()
    )


def redeem(*, resident: Resident | int, item: ShopItem | int, quantity: int = 1, by=None):
    """Exchange points for an item at the desk: never below zero points, never below zero
    stock, whatever the number of desks (the item, then the resident, are locked)."""
    if quantity < 1:
        raise ValidationError(_("数量至少为 1。"), code="quantity")
    with transaction.atomic():
        try:
            item = ShopItem.objects.select_for_update().get(pk=getattr(item, "pk", item))
        except ShopItem.DoesNotExist:
            raise ValidationError(_("找不到该商品。"), code="not_found") from None
        locked = _lock_resident(getattr(resident, "pk", resident))
        if locked.is_anonymised:
            raise ValidationError(_("该居民的资料已删除。"), code="anonymised")
        if not item.is_active:
            raise ValidationError(_("该商品已下架。"), code="inactive")
        if item.community_id is not None and item.community_id != _community_of(locked):
            raise ValidationError(
                _("“%(item)s”是其他社区积分超市的商品，只能兑换本社区的商品。"),
                code="other_community",
                params={"item": item.name},
            )
        if item.stock < quantity:
            raise ValidationError(
                _("“%(item)s”库存不足，剩余 %(stock)s 件。"),
                code="out_of_stock",
                params={"item": item.name, "stock": item.stock},
            )
        entry = _append(
            resident_id=locked.pk,
            kind=PointsEntry.Kind.REDEEMED,
            points=-item.points * quantity,
            item=item,
            quantity=quantity,
            reason=item.name,
            by=by,
        )
        item.stock -= quantity
        item.full_clean()
        _record_actor(item, by)
        item.save(update_fields=["stock"])
        return entry


def restock(*, item: ShopItem | int, quantity: int, by=None) -> ShopItem:
    """A partner brings more of an item."""
    if quantity < 1:
        raise ValidationError(_("数量至少为 1。"), code="quantity")
    with transaction.atomic():
        item = ShopItem.objects.select_for_update().get(pk=getattr(item, "pk", item))
        item.stock += quantity
        _record_actor(item, by)
        item.save(update_fields=["stock"])
        return item


def expire_points(*, today: dt.date | None = None) -> int:
    """Take away points whose time ran out (oldest points are spent first); returns the
    number of residents whose points expired. Safe to run twice."""
    today = today or timezone.localdate()
    due = (
        PointsEntry.objects.filter(kind=PointsEntry.Kind.EARNED, expires_on__lte=today)
        .values_list("resident_id", flat=True)
        .distinct()
    )
    count = 0
    for resident_id in list(due):
        with transaction.atomic():
            _lock_resident(resident_id)
            rows = PointsEntry.objects.filter(resident_id=resident_id)
            lapsed = (
                rows.filter(kind=PointsEntry.Kind.EARNED, expires_on__lte=today).aggregate(
                    n=Sum("points")
                )["n"]
                or 0
            )
            used = -(rows.filter(points__lt=0).aggregate(n=Sum("points"))["n"] or 0)
            amount = min(lapsed - used, balance_of(resident_id))
            if amount > 0:
                _append(
                    resident_id=resident_id,
                    kind=PointsEntry.Kind.EXPIRED,
                    points=-amount,
                    reason=_("积分到期"),
                )
                count += 1
    return count
