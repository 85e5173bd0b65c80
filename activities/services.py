"""Writes about activities: sign-up, waiting list, cancellation, check-in, feedback, an
activity's capacity, and staff's triage of residents' needs.

Every function is keyword-only, runs in one transaction, locks the activity row before it
checks anything (so that two requests for the last seat are served one after the other),
and refuses with a translated `ValidationError` carrying a `code`.

On PostgreSQL the lock is `SELECT … FOR UPDATE`; on SQLite the connection opens its
transactions with `BEGIN IMMEDIATE` (see settings), which serialises writers just as well.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import secrets
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, override

from core import pagecache
from residents.models import Complex, Household, Notification, Resident
from residents.pagescopes import resident_data_changed
from residents.services import notify

from . import cancellation, rollups
from .models import Activity, CallListEntry, Feedback, Need, ServiceProject, SignUp

#: Needs one resident may report in 24 hours (more goes through staff).
NEEDS_PER_DAY = 5

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignUpResult:
    """What a sign-up did: the sign-up and whether it was made now or already existed."""

    signup: SignUp
    created: bool

    @property
    def activity(self) -> Activity:
        """The activity as read under its lock (no query)."""
        return self.signup.activity


def _user(by):
    """`by` if it is a logged-in user (a view may pass an anonymous one), else None."""
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def _record_actor(obj, by) -> None:
    """Name `by` as the author of the version the next save writes to the history (the
    back office's requests name their user anyway; this covers every other caller)."""
    if _user(by) is not None:
        obj._history_user = by


def _lock_activity(activity: Activity | int, *, visible_only: bool = False) -> Activity:
    """The activity, read and locked (`SELECT … FOR UPDATE`); with `visible_only`, only if
    residents may see it (`Activity.objects.visible()`). Refused with code `not_found`."""
    pk = activity.pk if isinstance(activity, Activity) else activity
    activities = Activity.objects.visible() if visible_only else Activity.objects
    try:
        return activities.select_for_update().get(pk=pk)
    except Activity.DoesNotExist:
        raise ValidationError(_("找不到该活动。"), code="not_found") from None


def _new_check_in_code(activity: Activity, resident: Resident | None = None) -> str:
    """A six-digit code, unique within the activity, to show at the door. A resident who
    cancelled and signs up again keeps the code they had (it may be written down or
    printed): no one else is ever given a code once used in the activity.

    A random code is drawn and looked up (one indexed query, whatever the number of
    sign-ups), rather than every code of the activity read to draw outside them. The caller
    holds the activity's lock, so no one else can take the code in between."""
    if resident is not None:
        kept = (
            activity.signups.filter(resident=resident, status=SignUp.Status.CANCELLED)
            .order_by("-cancelled_at", "-pk")
            .values_list("check_in_code", flat=True)
            .first()
        )
        if kept:
            return kept
    while True:
        code = _draw_check_in_code()
        if not activity.signups.filter(check_in_code=code).exists():
            return code


def _draw_check_in_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def lives_in_community_of(*, resident: Resident, activity: Activity) -> bool:
    """Whether the resident belongs to the community the activity is held in: their
    household is there or, without a household, that community registered them
    (`Resident.community_q`). One query; a resident of neither belongs to none."""
    if resident.household_id is None:
        if resident.registered_in_id is None:
            return False
        return Complex.objects.filter(
            pk=activity.complex_id, community_id=resident.registered_in_id
        ).exists()
    return Household.objects.filter(
        pk=resident.household_id, building__complex__community__complexes=activity.complex_id
    ).exists()


def residents_only_refusal(*, activity: Activity, resident: Resident) -> ValidationError | None:
    """Why the resident may not join an activity for its community's residents only
    (online or at the door), or None."""
    if activity.residents_only and not lives_in_community_of(resident=resident, activity=activity):
        return ValidationError(_("该活动仅限本社区居民报名。"), code="residents_only")
    return None


def check_eligibility(*, activity: Activity, resident: Resident, now=None) -> None:
    """Raise `ValidationError` if the resident may not sign up for the activity now."""
    now = now or timezone.now()
    if resident.is_anonymised:
        raise ValidationError(_("该居民的资料已删除，不能报名。"), code="anonymised")
    if activity.is_cancelled:
        raise ValidationError(_("该活动已取消。"), code="cancelled")
    if activity.is_over(now):
        raise ValidationError(_("该活动已结束。"), code="past")
    if activity.status != Activity.Status.OPEN:
        raise ValidationError(_("该活动尚未开放报名。"), code="not_open")
    if activity.signup_opens_at and now < activity.signup_opens_at:
        opens = timezone.localtime(activity.signup_opens_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(
            _("报名将于 %(opens)s 开始。"), code="window_not_open", params={"opens": opens}
        )
    # A deadline set later than the start does not keep sign-up open once it has begun.
    if now >= activity.signup_deadline or now >= activity.starts_at:
        raise ValidationError(_("报名已截止。"), code="window_closed")
    refusal = residents_only_refusal(activity=activity, resident=resident)
    if refusal is not None:
        raise refusal
    if activity.party_members_only and not resident.is_party_member:
        raise ValidationError(_("该活动仅限党员报名。"), code="party_members_only")
    if activity.party_members_only and not resident.party_member_confirmed:
        raise ValidationError(
            _("该活动仅限党员报名，请先请社区工作人员核实党员身份。"),
            code="party_unconfirmed",
        )
    if activity.min_age is not None or activity.max_age is not None:
        age = resident.age_on(timezone.localtime(activity.starts_at).date())
        if age is None:
            raise ValidationError(
                _("该活动有年龄要求，请先请工作人员登记出生年份。"), code="age_unknown"
            )
        if not resident.birth_year_confirmed:
            raise ValidationError(
                _("该活动有年龄要求，请先请社区工作人员核实出生年份。"),
                code="age_unconfirmed",
            )
        if activity.min_age is not None and age < activity.min_age:
            raise ValidationError(
                _("该活动要求年满 %(min)s 岁。"),
                code="too_young",
                params={"min": activity.min_age},
            )
        if activity.max_age is not None and age > activity.max_age:
            raise ValidationError(
                _("该活动限 %(max)s 岁及以下参加。"),
                code="too_old",
                params={"max": activity.max_age},
            )


def cancellation_refusal(
    *, signup: SignUp, activity: Activity | None = None, now=None
) -> ValidationError | None:
    """Why the sign-up may not be cancelled now (None if it may): after check-in, or once
    the activity has begun. Pages ask it to decide whether to offer the button; `cancel()`
    asks it under the lock."""
    now = now or timezone.now()
    activity = activity or signup.activity
    if signup.attended:
        return ValidationError(_("已签到的报名不能取消。"), code="attended")
    if activity.starts_at <= now:
        return ValidationError(_("活动已开始，不能取消报名。"), code="started")
    return None


def _confirmed_count(activity: Activity) -> int:
    return activity.signups.filter(status=SignUp.Status.CONFIRMED).count()


def sign_up(
    *, activity: Activity | int, resident: Resident, by=None, visible_only: bool = False
) -> SignUpResult:
    """Sign the resident up: confirmed while seats are left, on the waiting list after.

    `by` is the user acting: the resident themself, a guardian or a member of staff.
    Signing up twice returns the existing sign-up (a double click makes one sign-up).
    `visible_only` (a resident's request): an activity residents may not see is refused
    as not found (code `not_found`), with the one read that locks it.
    """
    with pagecache.batched(), transaction.atomic():  # the page-cache bumps: one round trip
        activity = _lock_activity(activity, visible_only=visible_only)
        code = _draw_check_in_code()
        seen = _seen_by_sign_up(activity, resident, code)
        if seen["active"] is not None:
            existing = SignUp.objects.get(pk=seen["active"])
            existing.activity = activity  # as locked: no second read
            return SignUpResult(signup=existing, created=False)
        now = timezone.now()
        check_eligibility(activity=activity, resident=resident, now=now)
        free = activity.capacity is None or seen["confirmed"] < activity.capacity
        if seen["waitlisted"] and free:
            # Seats freed without a promotion (capacity raised, a sign-up deleted in the
            # back office) go to the waiting list first: a newcomer never overtakes it.
            seen["confirmed"] += len(_promote(activity, now=now))
        has_seat = activity.capacity is None or seen["confirmed"] < activity.capacity
        if seen["cancelled"]:
            code = _new_check_in_code(activity, resident)  # they keep the code they had
        elif seen["code_taken"]:
            code = _new_check_in_code(activity)
        signup = SignUp(
            activity=activity,
            resident=resident,
            household_id=resident.household_id,
            status=SignUp.Status.CONFIRMED if has_seat else SignUp.Status.WAITLISTED,
            signed_up_by=by,
            check_in_code=code,
            created_at=now,
            confirmed_at=now if has_seat else None,
        )
        _full_clean_new(signup)
        signup.save()
        rollups.seats_changed(activity=activity)
        return SignUpResult(signup=signup, created=True)


def _seen_by_sign_up(activity: Activity, resident: Resident, code: str) -> dict:
    """Everything `sign_up` needs about the activity's sign-ups, in one statement, read
    under the activity's lock: the resident's active sign-up (its id), whether they had a
    cancelled one, the confirmed and waitlisted counts, and whether `code` is taken.

    The same as `activity.signups.aggregate(active=Max("pk", filter=…), …)` with five
    filtered aggregates, written as SQL: building that query took ~1.3 ms of Python for a
    0.15 ms statement, a tenth of a sign-up request (bench/profile_signup.py)."""
    meta, quote = SignUp._meta, connection.ops.quote_name
    pk, activity_id, resident_id, status, code_column = (
        quote(meta.get_field(name).column)
        for name in ("id", "activity", "resident", "status", "check_in_code")
    )
    sql = (
        f"SELECT MAX(CASE WHEN {resident_id} = %s AND {status} <> %s THEN {pk} END), "
        f"COUNT(CASE WHEN {resident_id} = %s AND {status} = %s THEN 1 END), "
        f"COUNT(CASE WHEN {status} = %s THEN 1 END), "
        f"COUNT(CASE WHEN {status} = %s THEN 1 END), "
        f"COUNT(CASE WHEN {code_column} = %s THEN 1 END) "
        f"FROM {quote(meta.db_table)} WHERE {activity_id} = %s"
    )
    cancelled = SignUp.Status.CANCELLED.value
    params = [resident.pk, cancelled, resident.pk, cancelled]
    params += [SignUp.Status.CONFIRMED.value, SignUp.Status.WAITLISTED.value, code, activity.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    names = ("active", "cancelled", "confirmed", "waitlisted", "code_taken")
    return dict(zip(names, row, strict=True))


def _full_clean_new(signup: SignUp) -> None:
    """`full_clean()` for a sign-up built under the activity's lock, without the database
    round trips that would only repeat what the caller has just checked: the related rows
    were just read (the activity is locked), and the constraints (one active sign-up per
    resident, a code unused in the activity, the status fields) hold by construction. The
    database still enforces every one of them at the INSERT.

    The 20 queries this saves were 40 % of a sign-up over HTTP (bench/RESULTS.md)."""
    signup.full_clean(
        exclude=["activity", "resident", "household", "signed_up_by"],
        validate_constraints=False,
    )


def waitlist_position(signup: SignUp) -> int | None:
    """1 for the first resident on the waiting list; None when not waitlisted."""
    if signup.status != SignUp.Status.WAITLISTED:
        return None
    ahead = SignUp.objects.filter(
        activity_id=signup.activity_id,
        status=SignUp.Status.WAITLISTED,
        created_at__lte=signup.created_at,
    ).exclude(created_at=signup.created_at, pk__gte=signup.pk)
    return ahead.count() + 1


def _promote(activity: Activity, *, now) -> list[SignUp]:
    """Confirm the oldest waitlisted residents while seats are free. Caller holds the lock."""
    if activity.is_over(now) or activity.is_cancelled:
        return []
    queue = activity.signups.filter(status=SignUp.Status.WAITLISTED).order_by("created_at", "pk")
    if activity.capacity is not None:
        free = activity.capacity - _confirmed_count(activity)
        if free <= 0:
            return []
        queue = queue[:free]
    promoted = list(queue.select_related("resident"))
    for signup in promoted:
        signup.status = SignUp.Status.CONFIRMED
        signup.confirmed_at = now
        signup.promoted_at = now
        signup.promotion_unseen = True
        signup.save(update_fields=["status", "confirmed_at", "promoted_at", "promotion_unseen"])
        transaction.on_commit(lambda s=signup: _tell_promoted(s))
        _inbox_promoted(signup, activity)
        _put_on_call_list(signup, reason=CallListEntry.Reason.PROMOTED, now=now)
    if promoted:
        rollups.seats_changed(activity=activity)
    return promoted


def _inbox_promoted(signup: SignUp, activity: Activity) -> None:
    """The promotion in the resident's inbox (the e-mail is `_tell_promoted`'s)."""
    notify(
        resident=signup.resident_id,
        kind=Notification.Kind.PROMOTED,
        title=_("候补成功：%(title)s") % {"title": activity.title},
        body=_("您候补的活动有了空位，您已报名成功。签到码：%(code)s")
        % {"code": signup.check_in_code},
        url=activity.get_absolute_url(),
        dedupe_key=f"promoted:{signup.pk}:{signup.promoted_at.isoformat()}",
        deliver=not signup.resident.email,
    )


def _tell_promoted(signup: SignUp) -> None:
    """E-mail a promoted resident who gave an address; never fail the request for it."""
    email = signup.resident.email
    if not email:
        return
    activity = signup.activity
    with override(settings.LANGUAGE_CODE):
        subject = _("候补成功：%(title)s") % {"title": activity.title}
        starts = timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")
        body = _(
            "%(name)s，您好：\n\n您候补的活动“%(title)s”有了空位，您已报名成功。\n"
            "时间：%(starts)s\n地点：%(place)s\n签到码：%(code)s\n\n"
            "如不能参加，请登录后取消报名，把名额留给其他居民。"
        ) % {
            "name": signup.resident.name,
            "title": activity.title,
            "starts": starts,
            "place": activity.place,
            "code": signup.check_in_code,
        }
    try:
        send_mail(subject, body, None, [email])
    except Exception:  # noqa: BLE001 - a mail failure must not undo a promotion
        logger.exception("Could not e-mail promotion of sign-up %s", signup.pk)


def cancel(*, signup: SignUp | int, by=None) -> SignUp:
    """Cancel a sign-up; a freed seat goes to the oldest waitlisted resident in the same
    transaction. `by` (the resident, a guardian or staff) is recorded as `cancelled_by`."""
    pk = signup.pk if isinstance(signup, SignUp) else signup
    with pagecache.batched(), transaction.atomic():
        activity_id = SignUp.objects.filter(pk=pk).values_list("activity_id", flat=True).first()
        if activity_id is None:
            raise ValidationError(_("找不到该报名记录。"), code="not_found")
        activity = _lock_activity(activity_id)
        signup = SignUp.objects.select_for_update().get(pk=pk)
        if signup.status == SignUp.Status.CANCELLED:
            return signup
        now = timezone.now()
        refusal = cancellation_refusal(signup=signup, activity=activity, now=now)
        if refusal is not None:
            raise refusal
        was_confirmed = signup.status == SignUp.Status.CONFIRMED
        signup.status = SignUp.Status.CANCELLED
        signup.cancelled_at = now
        signup.cancelled_by = _user(by)
        signup.promotion_unseen = False
        _record_actor(signup, by)
        signup.save(update_fields=["status", "cancelled_at", "cancelled_by", "promotion_unseen"])
        if was_confirmed:
            _promote(activity, now=now)
        rollups.seats_changed(activity=activity)
        return signup


@dataclass(frozen=True)
class CancellationNotice:
    """What residents holding a place at a cancelled activity are told (attendees here,
    volunteers by volunteering's hook): one key, so whoever holds both hears it once."""

    kind: str
    dedupe_key: str
    title: str
    body: str
    url: str

    def tell(self, resident: Resident | int) -> Notification | None:
        """Tell one resident (once per activity, whoever calls)."""
        return notify(
            resident=resident,
            kind=self.kind,
            title=self.title,
            body=self.body,
            url=self.url,
            dedupe_key=self.dedupe_key,
        )


def cancellation_notice(activity: Activity) -> CancellationNotice:
    starts = timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")
    return CancellationNotice(
        kind=Notification.Kind.ACTIVITY_CANCELLED,
        dedupe_key=f"activity:{activity.pk}:cancelled",
        title=_("活动取消：%(title)s") % {"title": activity.title},
        body=_("很抱歉，您报名的活动（原定 %(starts)s）已取消。") % {"starts": starts},
        url=activity.get_absolute_url(),
    )


def tell_activity_changed(*, activity: Activity, before: Activity | None) -> int:
    """After staff saved an activity: residents holding a sign-up (confirmed or waiting)
    are told when it was cancelled, or when its time or place changed — once per change.
    Returns how many were told."""
    if before is None:
        return 0
    # Those the site cannot reach (no login or no e-mail) go on the call list as well.
    _call_about_changes(activity, stored=before, now=timezone.now())
    cancelled = activity.is_cancelled and not before.is_cancelled
    moved = (activity.starts_at, activity.ends_at, activity.place) != (
        before.starts_at,
        before.ends_at,
        before.place,
    )
    if not cancelled and (not moved or activity.is_cancelled):
        return 0
    starts = timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")
    if cancelled:
        notice = cancellation_notice(activity)
        kind, key, title, body = notice.kind, notice.dedupe_key, notice.title, notice.body
    else:
        kind = Notification.Kind.ACTIVITY_CHANGED
        key = f"activity:{activity.pk}:changed:{starts}:{zlib.crc32(activity.place.encode())}"
        title = _("活动变更：%(title)s") % {"title": activity.title}
        body = _("新的时间：%(starts)s\n地点：%(place)s") % {
            "starts": starts,
            "place": activity.place,
        }
    told = 0
    for resident_id in (
        activity.signups.active().values_list("resident_id", flat=True).order_by("pk")
    ):
        told += (
            notify(
                resident=resident_id,
                kind=kind,
                title=title,
                body=body,
                url=activity.get_absolute_url(),
                dedupe_key=key,
            )
            is not None
        )
    return told


def fill_free_seats(*, activity: Activity | int) -> list[SignUp]:
    """After staff raise the capacity, confirm waitlisted residents into the new seats."""
    with transaction.atomic():
        activity = _lock_activity(activity)
        return _promote(activity, now=timezone.now())


@dataclass(frozen=True)
class CapacityChange:
    """What a change of capacity did: who was promoted into new seats, and how many
    residents hold a seat now (more than the capacity when it was lowered below them)."""

    activity: Activity
    promoted: list[SignUp]
    confirmed: int

    @property
    def overbooked(self) -> bool:
        """True when fewer seats are left than residents holding one: they keep their seats,
        and every newcomer joins the waiting list until enough of them cancel."""
        capacity = self.activity.capacity
        return capacity is not None and self.confirmed > capacity


def change_capacity(*, activity: Activity | int, capacity: int | None, by=None) -> CapacityChange:
    """Set an activity's number of seats (None: no limit) and fill new seats at once.

    Raised: the oldest waitlisted residents are confirmed into the new seats in the same
    transaction. Lowered below the residents already confirmed: nobody loses a seat (staff
    would have to tell them); the waiting list then moves only once enough of them cancel.

    An `Activity` instance is saved as given, with any other changes the caller made to it
    (the back office's change form), so that the change is one version in its history.
    """
    with transaction.atomic():
        locked = _lock_activity(activity)
        if not isinstance(activity, Activity):
            activity = locked
        if capacity is not None and capacity < 0:
            raise ValidationError(_("名额不能为负数。"), code="negative_capacity")
        activity.capacity = capacity
        activity.full_clean()
        _record_actor(activity, by)
        activity.save()
        now = timezone.now()
        promoted = _promote(activity, now=now)
        return CapacityChange(
            activity=activity, promoted=promoted, confirmed=_confirmed_count(activity)
        )


def check_in_window(activity: Activity) -> tuple[dt.datetime, dt.datetime]:
    """When the door is open for the activity: from `CHECK_IN_OPENS_MINUTES_BEFORE` before
    its start until `CHECK_IN_GRACE_MINUTES_AFTER` after its end (settings)."""
    opens = activity.starts_at - dt.timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES_BEFORE)
    closes = activity.ends_at + dt.timedelta(minutes=settings.CHECK_IN_GRACE_MINUTES_AFTER)
    return opens, closes


def check_in_refusal(*, activity: Activity, now=None) -> ValidationError | None:
    """Why nobody can be checked in at the activity now (None if the door is open): it was
    cancelled, or now is outside its check-in window. Pages ask it to say so before anyone
    scans; `check_in()` and `walk_in()` ask it again under the lock."""
    now = now or timezone.now()
    if activity.is_cancelled:
        return ValidationError(_("该活动已取消。"), code="activity_cancelled")
    opens, closes = check_in_window(activity)
    if now < opens:
        return ValidationError(
            _("还没到签到时间：签到从 %(opens)s 开始。"),
            code="too_early",
            params={"opens": _local(opens)},
        )
    if now > closes:
        return ValidationError(
            _("签到已于 %(closes)s 结束。"), code="too_late", params={"closes": _local(closes)}
        )
    return None


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


#: A resident's check-in link, as their QR code carries it (see `activities.urls`).
CHECK_IN_LINK = re.compile(r"/activities/(?P<activity>\d{1,18})/check-in/(?P<code>\d{6})/")
#: Six digits standing alone: a typed code, or the code inside scanned text.
CHECK_IN_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass(frozen=True)
class Scanned:
    """What the desk read: the activity named by a check-in link (None for a bare code)
    and the six-digit code (empty when none was found)."""

    activity_id: int | None
    code: str


def read_scanned(text: str) -> Scanned:
    """The check-in code in what the desk typed or scanned: a check-in link, or six digits."""
    text = (text or "").strip()
    link = CHECK_IN_LINK.search(text)
    if link:
        return Scanned(activity_id=int(link["activity"]), code=link["code"])
    code = CHECK_IN_CODE.search(text)
    return Scanned(activity_id=None, code=code.group() if code else "")


def check_in(*, activity: Activity | int, code: str, by=None, now=None) -> SignUp:
    """Mark the resident holding `code` as present; `by` (the member of staff at the desk)
    is recorded as `checked_in_by`. Checking in twice changes nothing.

    `code` may be what the desk scanned: a resident's check-in link (refused, code
    `other_activity`, when it names another activity) or six digits. Refused outside the
    check-in window (`too_early`, `too_late`) and at a cancelled activity.
    """
    scanned = read_scanned(code)
    with transaction.atomic():
        activity = _lock_activity(activity)
        if scanned.activity_id is not None and scanned.activity_id != activity.pk:
            other = Activity.objects.filter(pk=scanned.activity_id).first()
            raise ValidationError(
                _("这是另一个活动（%(title)s）的签到码，不是本活动的。"),
                code="other_activity",
                params={"title": other.title if other else "?"},
            )
        holders = (
            activity.signups.select_for_update(of=("self",))
            .filter(check_in_code=scanned.code)
            .select_related("resident")
        )
        # A resident who cancelled and signed up again holds the same code twice: the
        # active sign-up answers, the cancelled one only when there is no other.
        signup = (holders.active().first() or holders.first()) if scanned.code else None
        if signup is None:
            raise ValidationError(_("签到码无效。"), code="invalid_code")
        if signup.status == SignUp.Status.CANCELLED:
            raise ValidationError(_("该报名已取消。"), code="cancelled")
        if signup.status == SignUp.Status.WAITLISTED:
            raise ValidationError(_("该居民仍在候补名单上，尚未获得名额。"), code="waitlisted")
        if signup.attended:
            return signup
        now = now or timezone.now()
        refusal = check_in_refusal(activity=activity, now=now)
        if refusal is not None:
            raise refusal
        _mark_present(signup, by=by, now=now)
        return signup


def _mark_present(signup: SignUp, *, by, now) -> None:
    signup.attended = True
    signup.checked_in_at = now
    signup.checked_in_by = _user(by)
    _record_actor(signup, by)
    signup.save(update_fields=["attended", "checked_in_at", "checked_in_by"])
    rollups.attendance_changed(signup=signup)


def walk_in(
    *, activity: Activity | int, resident: Resident, over_capacity: bool = False, by=None
) -> SignUp:
    """Check in a resident who came without a seat (现场报名): their sign-up is confirmed
    and marked present at once. Only within the check-in window. When the activity is full
    it is refused (code `full`) unless staff confirmed `over_capacity`; then who allowed it
    and when are recorded on the sign-up. A resident already checked in stays as they are.
    """
    with transaction.atomic():
        activity = _lock_activity(activity)
        now = timezone.now()
        refusal = check_in_refusal(activity=activity, now=now)
        if refusal is not None:
            raise refusal
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.is_anonymised:
            raise ValidationError(_("该居民的资料已删除，不能报名。"), code="anonymised")
        signup = (
            activity.signups.select_for_update(of=("self",))
            .filter(resident=resident)
            .active()
            .first()
        )
        if signup is not None and signup.status == SignUp.Status.CONFIRMED:
            if not signup.attended:
                _mark_present(signup, by=by, now=now)
            return signup
        # Whoever holds no seat yet joins at the door as online: residents only, if so.
        refusal = residents_only_refusal(activity=activity, resident=resident)
        if refusal is not None:
            raise refusal
        if activity.signups.filter(status=SignUp.Status.WAITLISTED).exists():
            _promote(activity, now=now)
            if signup is not None:
                signup.refresh_from_db()
                if signup.status == SignUp.Status.CONFIRMED:
                    _mark_present(signup, by=by, now=now)
                    return signup
        full = activity.capacity is not None and _confirmed_count(activity) >= activity.capacity
        if full and not over_capacity:
            raise ValidationError(
                _("名额已满（%(capacity)s 人）。确认超额参加后才能现场登记。"),
                code="full",
                params={"capacity": activity.capacity},
            )
        if signup is None:
            signup = SignUp(
                activity=activity,
                resident=resident,
                household_id=resident.household_id,
                signed_up_by=_user(by),
                check_in_code=_new_check_in_code(activity),
                created_at=now,
                walk_in=True,
            )
        signup.status = SignUp.Status.CONFIRMED
        signup.confirmed_at = now
        if full:
            signup.over_capacity_at = now
            signup.over_capacity_by = _user(by)
        signup.attended = True
        signup.checked_in_at = now
        signup.checked_in_by = _user(by)
        signup.full_clean()
        _record_actor(signup, by)
        signup.save()
        rollups.attendance_changed(signup=signup)
        return signup


def undo_check_in(*, signup: SignUp | int, by=None) -> SignUp:
    """Take back a check-in made by mistake: who checked the resident in goes with the time
    (the history keeps both, and names `by`). A rating only attendees could leave goes with
    it, so that the summary's ratings count attendees only."""
    pk = signup.pk if isinstance(signup, SignUp) else signup
    with transaction.atomic():
        activity_id = SignUp.objects.filter(pk=pk).values_list("activity_id", flat=True).first()
        if activity_id is None:
            raise ValidationError(_("找不到该报名记录。"), code="not_found")
        _lock_activity(activity_id)
        signup = SignUp.objects.select_for_update().get(pk=pk)
        signup.attended = False
        signup.checked_in_at = None
        signup.checked_in_by = None
        _record_actor(signup, by)
        signup.save(update_fields=["attended", "checked_in_at", "checked_in_by"])
        Feedback.objects.filter(signup=signup).delete()
        rollups.attendance_changed(signup=signup)
        return signup


def feedback_refusal(*, signup: SignUp, now=None) -> ValidationError | None:
    """Why the resident may not rate the activity (None if they may): only attendees rate,
    and only once the activity is over. /me/ asks it before offering the stars."""
    if not signup.attended:
        return ValidationError(_("只有参加了活动的居民才能评价。"), code="not_attended")
    if not signup.activity.is_over(now):
        return ValidationError(_("活动结束后才能评价。"), code="not_over")
    return None


def leave_feedback(
    *, signup: SignUp, rating: int, comment: str = "", may_publish: bool = False
) -> Feedback:
    """Record (or update) an attendee's rating of an activity they attended.

    A published quote that the resident changes (rating or words) is unpublished until
    staff publish it again (`publish_feedback`).
    """
    with transaction.atomic():
        signup = (
            SignUp.objects.select_for_update(of=("self",))
            .select_related("activity")
            .get(pk=signup.pk)
        )
        refusal = feedback_refusal(signup=signup)
        if refusal is not None:
            raise refusal
        feedback = Feedback.objects.select_for_update().filter(signup=signup).first() or Feedback(
            signup=signup
        )
        if feedback.is_published and (feedback.rating, feedback.comment) != (rating, comment):
            # Staff published the words they read: changed words wait for their review again.
            feedback.is_published = False
        feedback.rating = rating
        feedback.comment = comment
        feedback.may_publish = may_publish
        if not may_publish:
            feedback.is_published = False
        feedback.full_clean()
        feedback.save()
        rollups.signups_changed(activity=signup.activity_id)
        return feedback


def save_feedback(*, feedback: Feedback) -> Feedback:
    """Staff correct a rating or its words (the back office's change form)."""
    with transaction.atomic():
        _lock_activity(feedback.signup.activity_id)
        feedback.full_clean()
        feedback.save()
        rollups.signups_changed(activity=feedback.signup.activity_id)
        return feedback


def delete_feedback(*, feedback_ids: list[int]) -> int:
    """Staff delete ratings (spam, a mistaken entry): their activities' figures follow."""
    with transaction.atomic():
        ratings = Feedback.objects.filter(pk__in=feedback_ids)
        activity_ids = sorted(set(ratings.values_list("signup__activity_id", flat=True)))
        for activity_id in activity_ids:
            _lock_activity(activity_id)
        deleted, _by_model = ratings.delete()
        for activity_id in activity_ids:
            rollups.signups_changed(activity=activity_id)
        return deleted


def publish_feedback(*, feedback: Feedback, publish: bool = True) -> Feedback:
    """Staff publish (or withdraw) a quote; only what the resident agreed to may be published."""
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
        if publish and not feedback.may_publish:
            raise ValidationError(_("居民未同意公开，不能公开此评价。"), code="no_consent")
        feedback.is_published = publish
        feedback.save(update_fields=["is_published"])
        return feedback


def mark_promotions_seen(*, resident: Resident) -> list[SignUp]:
    """Clear the "promoted from the waiting list" notice of the resident and of the people
    they look after (children without a login); return the sign-ups it was pending for,
    so that the page can show the notice once."""
    from residents.selectors import cared_for

    pending = SignUp.objects.filter(resident__in=cared_for(resident), promotion_unseen=True)
    if not pending.exists():  # the usual case: no transaction, no lock
        return []
    with transaction.atomic():
        unseen = list(
            pending.select_for_update(of=("self",))
            .select_related("activity", "resident")
            .order_by("promoted_at", "pk")
        )
        if unseen:
            SignUp.objects.filter(pk__in=[s.pk for s in unseen]).update(promotion_unseen=False)
            resident_data_changed(resident_ids=[s.resident_id for s in unseen])
            for signup in unseen:
                signup.promotion_unseen = False
        return unseen


def submit_need(
    *,
    resident: Resident,
    title: str,
    description: str = "",
    location: str = "",
    urgency: str = "normal",
    category: str = "other",
):
    """A resident reports a need (需求清单); staff triage it in the back office.

    `urgency` is a `Need.Urgency` value, `category` a `Category` value.
    """
    with transaction.atomic():
        resident = (
            Resident.objects.select_for_update(of=("self",))
            .select_related("household__building")
            .filter(pk=resident.pk)
            .first()
        )
        if resident is None or resident.is_anonymised:
            raise ValidationError(_("该居民的资料已删除，不能提交需求。"), code="anonymised")
        since = timezone.now() - dt.timedelta(days=1)
        if Need.objects.recent_by(resident, since).count() >= NEEDS_PER_DAY:
            raise ValidationError(
                _("您今天已提交 %(limit)s 条需求，请明天再提交，或直接联系社区工作人员。"),
                code="too_many",
                params={"limit": NEEDS_PER_DAY},
            )
        title = " ".join((title or "").split())
        if (
            Need.objects.filter(resident=resident, title__iexact=title)
            .exclude(status__in=[Need.Status.RESOLVED, Need.Status.DECLINED])
            .exists()
        ):
            raise ValidationError(
                {
                    "title": ValidationError(
                        _("您已提交过同样的需求，工作人员正在处理。"), code="duplicate"
                    )
                }
            )
        household = resident.household
        need = Need(
            resident=resident,
            complex_id=household.building.complex_id if household else None,
            title=title,
            description=(description or "").strip(),
            location=(location or "").strip(),
            urgency=urgency,
            category=category,
            status=Need.Status.NEW,
            created_at=timezone.now(),
        )
        need.full_clean()
        need.save()
        return need


# --- staff's triage of residents' needs --------------------------------------------------


def need_triage_refusal(
    *,
    need: Need,
    status: str,
    project: ServiceProject | None = None,
    staff_reply: str | None = None,
) -> ValidationError | None:
    """Why `need` (as stored) may not move to `status` with `project` (None if it may).

    Forms call it to show the refusal on the field; `triage_need` calls it again under
    the lock.
    """
    if status not in Need.Status.values:
        return ValidationError(
            _("“%(status)s”不是有效的需求状态。"),
            code="invalid_status",
            params={"status": status},
        )
    if status == Need.Status.IN_PROJECT and project is None:
        return ValidationError(_("“已纳入项目”的需求必须选择对应项目。"), code="project_required")
    if status == Need.Status.NEW and need.pk is not None and need.status != Need.Status.NEW:
        # "待处理" means nobody has looked at it yet (the summary counts it as pending).
        return ValidationError(
            _("已处理过的需求不能改回“待处理”；如需继续跟进，请改为“已受理”。"),
            code="back_to_new",
        )
    reply = need.staff_reply if staff_reply is None else staff_reply
    if status == Need.Status.DECLINED and not (reply or "").strip():
        return ValidationError(
            _("暂不受理需求时请在“答复”中写明原因，居民会在“我的”页面看到。"),
            code="reason_required",
        )
    return None


def _tell_need_answered(need: Need) -> None:
    """The resident who reported the need hears what became of it (once per status)."""
    if need.resident_id is None or need.status == Need.Status.NEW:
        return
    texts = {
        Need.Status.ACCEPTED: _("社区已受理您反映的需求“%(title)s”。"),
        Need.Status.IN_PROJECT: _("您反映的需求“%(title)s”已纳入服务项目“%(project)s”。"),
        Need.Status.RESOLVED: _("您反映的需求“%(title)s”已解决，感谢您的反映。"),
        Need.Status.DECLINED: _("您反映的需求“%(title)s”暂不受理。"),
    }
    title = texts[need.status] % {
        "title": need.title,
        "project": need.project.title if need.project_id else "",
    }
    body = _("社区答复：%(reply)s") % {"reply": need.staff_reply} if need.staff_reply else ""
    notify(
        resident=need.resident_id,
        kind=Notification.Kind.NEED_ANSWERED,
        title=title,
        body=body,
        url=reverse("residents:me") + "#needs",
        dedupe_key=f"need:{need.pk}:{need.status}",
    )


def triage_need(
    *,
    need: Need | int,
    status: str,
    staff_reply: str | None = None,
    project: ServiceProject | None = None,
    by=None,
) -> Need:
    """Staff move a resident's need on (accept, put in a project, resolve, decline).

    `resolved_at` is set when the need becomes resolved (kept while it stays resolved) and
    cleared when it is reopened. `staff_reply` and `project` left None keep what the need
    has. A `Need` instance is saved as given, with any other changes the caller made to it
    (the back office's form), or created if new; an id is read under the lock.
    """
    with transaction.atomic():
        pk = need.pk if isinstance(need, Need) else need
        stored = Need.objects.select_for_update().filter(pk=pk).first() if pk else None
        if pk is not None and stored is None:
            raise ValidationError(_("找不到该需求。"), code="not_found")
        if not isinstance(need, Need):
            need = stored
        stored_status = stored.status if stored is not None else None
        was_resolved = stored_status == Need.Status.RESOLVED
        resolved_at = stored.resolved_at if stored is not None else None
        refusal = need_triage_refusal(
            need=stored or Need(status=Need.Status.NEW),
            status=status,
            project=need.project if project is None else project,
            staff_reply=need.staff_reply if staff_reply is None else staff_reply,
        )
        if refusal is not None:
            raise refusal
        if staff_reply is not None:
            need.staff_reply = staff_reply
        if project is not None:
            need.project = project
        need.status = status
        if status != Need.Status.RESOLVED:
            need.resolved_at = None
        elif was_resolved:
            need.resolved_at = resolved_at
        else:
            need.resolved_at = timezone.now()
        need.full_clean()
        _record_actor(need, by)
        need.save()
        if stored_status != need.status:
            _tell_need_answered(need)
        return need


def accept_need(
    *,
    need: Need | int,
    project: ServiceProject | None = None,
    new_project_title: str = "",
    staff_reply: str | None = None,
    by=None,
) -> Need:
    """Accept a need with the project that answers it: an existing one, or a new planned
    project (titled `new_project_title`, in the need's complex and category) created in the
    same transaction. Without either, the need is accepted and waits for a project."""
    with transaction.atomic():
        pk = need.pk if isinstance(need, Need) else need
        stored = Need.objects.select_for_update().filter(pk=pk).first()
        if stored is None:
            raise ValidationError(_("找不到该需求。"), code="not_found")
        title = (new_project_title or "").strip()
        if project is not None and title:
            raise ValidationError(
                _("请选择已有项目或填写新项目名称，二者选一。"), code="project_ambiguous"
            )
        if title:
            if stored.complex_id is None:
                raise ValidationError(
                    _("该需求没有所属小区，请先在需求中选择小区再新建项目。"),
                    code="complex_required",
                )
            project = ServiceProject(
                title=title,
                category=stored.category,
                complex_id=stored.complex_id,
                status=ServiceProject.Status.PLANNED,
                description=stored.description,
            )
            project.full_clean()
            _record_actor(project, by)
            project.save()
        status = Need.Status.IN_PROJECT if project is not None else Need.Status.ACCEPTED
        return triage_need(
            need=stored.pk, status=status, project=project, staff_reply=staff_reply, by=by
        )


def project_completion_refusal(
    *, project: ServiceProject, override_reason: str = ""
) -> ValidationError | None:
    """Why the project may not be marked done (None if it may): milestones still open,
    unless staff give a reason to override."""
    if project.status == ServiceProject.Status.DONE:
        return ValidationError(_("该项目已完成。"), code="already_done")
    open_count = project.milestones.filter(done_on__isnull=True).count()
    if open_count and not (override_reason or "").strip():
        return ValidationError(
            _(
                "还有 %(count)d 个进度节点未完成。请先完成节点，"
                "或填写“提前完成的原因”后再标记为已完成。"
            ),
            code="milestones_open",
            params={"count": open_count},
        )
    return None


def complete_project(
    *, project: ServiceProject | int, override_reason: str = "", by=None
) -> ServiceProject:
    """Mark a project done (progress 100%, finished today). Its needs (accepted or in the
    project) are resolved in the same transaction, and their residents told."""
    with transaction.atomic():
        pk = project.pk if isinstance(project, ServiceProject) else project
        stored = ServiceProject.objects.select_for_update().filter(pk=pk).first()
        if stored is None:
            raise ValidationError(_("找不到该项目。"), code="not_found")
        refusal = project_completion_refusal(project=stored, override_reason=override_reason)
        if refusal is not None:
            raise refusal
        if isinstance(project, ServiceProject):
            stored = project  # the back office's form: saved with the other changes made
        stored.status = ServiceProject.Status.DONE
        stored.progress = 100
        stored.finished_on = stored.finished_on or timezone.localdate()
        stored.completion_note = (override_reason or "").strip()
        stored.full_clean()
        _record_actor(stored, by)
        if stored.completion_note:
            stored._change_reason = _("节点未全部完成即标记完成：%(reason)s") % {
                "reason": stored.completion_note
            }
        stored.save()
        needs = Need.objects.filter(
            project=stored, status__in=[Need.Status.ACCEPTED, Need.Status.IN_PROJECT]
        ).values_list("pk", flat=True)
        for need_id in list(needs):
            triage_need(need=need_id, status=Need.Status.RESOLVED, by=by)
        return stored


# --- planning: copies and cancellations of activities ------------------------------------

#: The fields a copy of an activity takes over (not its status, sign-ups or series).
COPIED_FIELDS = (
    "title",
    "category",
    "commitment_id",
    "complex_id",
    "place",
    "summary",
    "description",
    "starts_at",
    "ends_at",
    "capacity",
    "signup_opens_at",
    "signup_closes_at",
    "min_age",
    "max_age",
    "party_members_only",
    "audience",
    "residents_only",
)


def duplicate_activity(*, activity: Activity | int, by=None) -> Activity:
    """A new draft (筹备中, not public) with the activity's details and partners, for staff
    to change the date and publish; no sign-ups and no series go with it."""
    with transaction.atomic():
        original = _lock_activity(activity)
        draft = Activity(
            **{name: getattr(original, name) for name in COPIED_FIELDS},
            status=Activity.Status.PLANNED,
            is_public=False,
        )
        draft.full_clean()
        _record_actor(draft, by)
        draft.save()
        draft.partners.set(original.partners.all())
        return draft


def cancel_activity(*, activity: Activity | int, by=None) -> Activity:
    """Cancel an activity that has not ended. Its sign-ups are kept as they were (the
    history shows who had signed up); residents holding one are told as when staff cancel
    it on its page (`tell_activity_changed`). Cancelling twice changes nothing."""
    with transaction.atomic():
        activity = _lock_activity(activity)
        if activity.is_cancelled:
            return activity
        now = timezone.now()
        if activity.is_over(now):
            raise ValidationError(_("已结束的活动不能取消。"), code="over")
        before = copy.copy(activity)
        activity.status = Activity.Status.CANCELLED
        activity.full_clean()
        _record_actor(activity, by)
        activity.save()
        rollups.activity_changed(activity=activity, before=before)
        after_cancellation(activity=activity, before=before, by=by)
        tell_activity_changed(activity=activity, before=before)
        return activity


def after_cancellation(*, activity: Activity, before: Activity | None, by=None) -> bool:
    """When a save cancelled the activity (it was not cancelled before): what the apps above
    registered runs (`activities.cancellation`), in the caller's transaction. Whether it
    ran."""
    if before is None or before.is_cancelled or not activity.is_cancelled:
        return False
    cancellation.run(activity=activity, by=by)
    return True


# --- residents to phone (电话通知名单) ---------------------------------------------------


def needs_a_call(resident: Resident) -> bool:
    """A resident the site cannot reach: no login (cannot see /me/) or no e-mail address."""
    return not resident.is_anonymised and (resident.user_id is None or not resident.email)


def _put_on_call_list(signup: SignUp, *, reason: str, now, detail: str = "") -> None:
    put_on_call_list(
        activity_id=signup.activity_id,
        resident=signup.resident,
        reason=reason,
        now=now,
        detail=detail,
        signup=signup,
    )


def put_on_call_list(
    *,
    activity_id: int,
    resident: Resident,
    reason: str,
    now,
    detail: str = "",
    signup: SignUp | None = None,
) -> None:
    """Add the resident to the activity's call list if the site cannot reach them; one
    entry still to call per activity, resident and reason (a new change updates it). The
    apps above call it for their own places (volunteering's roles), without a sign-up."""
    if not needs_a_call(resident):
        return
    entry = (
        CallListEntry.objects.select_for_update()
        .filter(
            activity_id=activity_id,
            resident_id=resident.pk,
            reason=reason,
            called_at__isnull=True,
        )
        .first()
    )
    if entry is None:
        entry = CallListEntry(activity_id=activity_id, resident_id=resident.pk, reason=reason)
    if signup is not None:
        entry.signup = signup
    entry.detail = detail
    entry.created_at = now
    entry.full_clean()
    entry.save()


def _call_about_changes(activity: Activity, *, stored: Activity, now) -> None:
    """After an activity was saved: residents who hold a seat or a place in the queue and
    cannot be reached online go on the call list when it was cancelled or moved."""
    if activity.is_cancelled and not stored.is_cancelled:
        reason, detail = CallListEntry.Reason.CANCELLED, ""
    elif not activity.is_cancelled and (
        activity.starts_at != stored.starts_at or activity.ends_at != stored.ends_at
    ):
        reason = CallListEntry.Reason.TIME_CHANGED
        detail = _("原定 %(old)s，改为 %(new)s") % {
            "old": _local(stored.starts_at),
            "new": _local(activity.starts_at),
        }
    else:
        return
    if activity.is_over(now) and reason != CallListEntry.Reason.CANCELLED:
        return
    for signup in activity.signups.active().select_related("resident"):
        _put_on_call_list(signup, reason=reason, now=now, detail=detail)


def save_activity(*, activity: Activity, by=None) -> Activity:
    """Save staff's changes to an activity (the back office's form); the caller then tells
    residents what changed (`tell_activity_changed`, which also fills the call list)."""
    with transaction.atomic():
        before = _lock_activity(activity) if activity.pk else None
        activity.full_clean()
        _record_actor(activity, by)
        activity.save()
        rollups.activity_changed(activity=activity, before=before)
        return activity


def mark_called(*, entry: CallListEntry | int, by=None, called: bool = True) -> CallListEntry:
    """Staff tick "called" on a call-list entry (who and when are recorded), or untick it."""
    pk = entry.pk if isinstance(entry, CallListEntry) else entry
    with transaction.atomic():
        entry = CallListEntry.objects.select_for_update().filter(pk=pk).first()
        if entry is None:
            raise ValidationError(_("找不到该通知记录。"), code="not_found")
        if called and entry.called_at is None:
            entry.called_at = timezone.now()
            entry.called_by = _user(by)
        elif not called:
            entry.called_at = None
            entry.called_by = None
        _record_actor(entry, by)
        entry.save(update_fields=["called_at", "called_by"])
        return entry
