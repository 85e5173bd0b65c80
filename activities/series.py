"""Repeating activities (系列活动): create a series in one step, change one occurrence or
this and the following ones, cancel the rest.

A series is described by its first occurrence (start, end, place, …) and a rule: every
week, every n weeks, or every month on the same weekday as the first one (e.g. the 2nd
Tuesday, or the last Friday), until a date or for a number of times. The rule is written
as RFC 5545 (`python-dateutil`'s `rrule`); occurrences are computed as naive local times
and each is then made aware in the site's time zone (Asia/Shanghai), so that 9:30 stays
9:30 whatever the month.

Every occurrence is an ordinary `Activity` linked to its `Series`: residents sign up for
each one, and one occurrence is changed in the back office like any activity. Functions
are keyword-only, run in one transaction, lock the activities they change, and refuse with
a translated `ValidationError` carrying a `code`.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from dateutil import rrule
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from core.periods import WEEKDAY_NAMES, local_zone

from . import rollups, services
from .models import Activity, Series

#: More occurrences than this in one series is surely a mistake (two years of weeks).
MAX_OCCURRENCES = 104


class Frequency(models.TextChoices):
    WEEKLY = "weekly", gettext_lazy("每周（或每隔几周）")
    MONTHLY = "monthly", gettext_lazy("每月同一个星期几（如每月第二个周二）")


class Scope(models.TextChoices):
    ONE = "one", gettext_lazy("仅此一次")
    FOLLOWING = "following", gettext_lazy("此次及以后各次")


@dataclass(frozen=True)
class Rule:
    """How a series repeats. Exactly one of `until` (a last day, included) and `count`."""

    frequency: str
    interval: int = 1
    until: dt.date | None = None
    count: int | None = None

    def check(self, first_day: dt.date) -> None:
        if self.frequency not in Frequency.values:
            raise ValidationError(_("请选择重复方式。"), code="frequency")
        if not 1 <= self.interval <= 12:
            raise ValidationError(_("间隔应为1到12之间的整数。"), code="interval")
        if (self.until is None) == (self.count is None):
            raise ValidationError(_("请填写结束日期或重复次数（二选一）。"), code="until_or_count")
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise ValidationError(
                _("重复次数应为1到%(max)d之间的整数。"),
                code="count",
                params={"max": MAX_OCCURRENCES},
            )
        if self.until is not None and self.until < first_day:
            raise ValidationError(_("结束日期不能早于第一次活动的日期。"), code="until")


def _week_of_month(day: dt.date) -> int:
    """1–4 for the 1st–4th such weekday of the month, -1 for a 5th (that is, the last)."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def describe(rule: Rule, first: dt.datetime) -> str:
    """每周三 09:30，至2027-06-30 — the rule in staff's words."""
    local = timezone.localtime(first)
    weekday = WEEKDAY_NAMES[local.weekday()]
    if rule.frequency == Frequency.MONTHLY:
        n = _week_of_month(local.date())
        which = _("最后一个") if n == -1 else _("第%(n)d个") % {"n": n}
        every = _("每%(interval)s月%(which)s%(weekday)s") % {
            "interval": "" if rule.interval == 1 else rule.interval,
            "which": which,
            "weekday": weekday,
        }
    elif rule.interval == 1:
        every = _("每%(weekday)s") % {"weekday": weekday}
    else:
        every = _("每%(interval)d周的%(weekday)s") % {"interval": rule.interval, "weekday": weekday}
    end = (
        _("至%(day)s") % {"day": rule.until.isoformat()}
        if rule.until
        else _("共%(count)d次") % {"count": rule.count}
    )
    return f"{every} {local:%H:%M}，{end}"


def _recurrence(rule: Rule, first_local: dt.datetime) -> rrule.rrule:
    """The rule as dateutil's `rrule`, over naive local times from the first occurrence."""
    weekday = rrule.weekdays[first_local.weekday()]
    if rule.frequency == Frequency.MONTHLY:
        freq, byweekday = rrule.MONTHLY, weekday(_week_of_month(first_local.date()))
    else:
        freq, byweekday = rrule.WEEKLY, weekday
    until = dt.datetime.combine(rule.until, dt.time.max) if rule.until else None
    return rrule.rrule(
        freq,
        dtstart=first_local,
        interval=rule.interval,
        byweekday=byweekday,
        until=until,
        count=rule.count,
    )


def occurrence_starts(rule: Rule, first: dt.datetime) -> list[dt.datetime]:
    """The starts of every occurrence (aware, in the site's zone), the first one included."""
    zone = local_zone()
    first_local = timezone.localtime(first, zone).replace(tzinfo=None)
    rule.check(first_local.date())
    naive = list(_recurrence(rule, first_local).xafter(first_local, MAX_OCCURRENCES + 1, inc=True))
    if len(naive) > MAX_OCCURRENCES:
        raise ValidationError(
            _("重复次数太多（超过%(max)d次），请缩短结束日期。"),
            code="too_many",
            params={"max": MAX_OCCURRENCES},
        )
    return [timezone.make_aware(start, zone) for start in naive]


def create_series(*, activity: Activity, rule: Rule, partners=(), by=None) -> Series:
    """Create a series from its first occurrence (an unsaved `Activity` holding the details)
    and a rule: every occurrence is saved as an activity of its own, linked to the series.
    The sign-up window, if any, keeps the same distance from each start."""
    starts = occurrence_starts(rule, activity.starts_at)
    duration = activity.ends_at - activity.starts_at
    opens = activity.signup_opens_at - activity.starts_at if activity.signup_opens_at else None
    closes = activity.signup_closes_at - activity.starts_at if activity.signup_closes_at else None
    with transaction.atomic():
        series = Series(
            title=activity.title,
            rule=str(
                _recurrence(rule, timezone.localtime(activity.starts_at).replace(tzinfo=None))
            ),
            description=describe(rule, activity.starts_at),
            created_by=services._user(by),
        )
        series.full_clean()
        series.save()
        partners = list(partners)
        for start in starts:
            occurrence = Activity(
                **{name: getattr(activity, name) for name in services.COPIED_FIELDS},
                status=activity.status,
                is_public=activity.is_public,
            )
            occurrence.series = series
            occurrence.starts_at = start
            occurrence.ends_at = start + duration
            occurrence.signup_opens_at = start + opens if opens is not None else None
            occurrence.signup_closes_at = start + closes if closes is not None else None
            occurrence.full_clean()
            services._record_actor(occurrence, by)
            occurrence.save()
            if partners:
                occurrence.partners.set(partners)
        return series


def _this_and_following(activity: Activity, now) -> list[Activity]:
    """The series' occurrences from `activity` on that have neither ended nor been
    cancelled, locked, soonest first."""
    return list(
        Activity.objects.select_for_update()
        .filter(series_id=activity.series_id, starts_at__gte=activity.starts_at)
        .exclude(status=Activity.Status.CANCELLED)
        .filter(ends_at__gt=now)
        .exclude(status=Activity.Status.HELD)
        .order_by("starts_at", "pk")
    )


_UNSET = object()


@dataclass(frozen=True)
class FollowingChange:
    """What a change of this and the following occurrences did."""

    changed: list[Activity]
    promoted: list


def change_following(
    *,
    activity: Activity | int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str | None = None,
    capacity=_UNSET,
    by=None,
) -> FollowingChange:
    """Change this occurrence and the following ones of its series (not those ended or
    cancelled): each moves by as many days as this one, to the new time of day, and keeps
    the new duration; `place` and `capacity` (None: no limit), when given, are set on each.
    New seats go to each occurrence's waiting list at once, as `change_capacity` does, and
    residents signed up are told of a new time or place (`tell_activity_changed`)."""
    pk = activity.pk if isinstance(activity, Activity) else activity
    with transaction.atomic():
        this = services._lock_activity(pk)
        if this.series_id is None:
            raise ValidationError(_("该活动不属于任何系列。"), code="no_series")
        if ends_at <= starts_at:
            raise ValidationError(_("结束时间必须晚于开始时间。"), code="ends_before_start")
        if capacity is not _UNSET and capacity is not None and capacity < 0:
            raise ValidationError(_("名额不能为负数。"), code="negative_capacity")
        now = timezone.now()
        zone = local_zone()
        old_day = timezone.localtime(this.starts_at, zone).date()
        new_local = timezone.localtime(starts_at, zone)
        shift = new_local.date() - old_day
        duration = ends_at - starts_at
        changed, promoted = [], []
        for occurrence in _this_and_following(this, now):
            before = copy.copy(occurrence)
            day = timezone.localtime(occurrence.starts_at, zone).date() + shift
            start = timezone.make_aware(dt.datetime.combine(day, new_local.time()), zone)
            delta = start - occurrence.starts_at
            occurrence.starts_at = start
            occurrence.ends_at = start + duration
            if occurrence.signup_opens_at:
                occurrence.signup_opens_at += delta
            if occurrence.signup_closes_at:
                occurrence.signup_closes_at += delta
            if place is not None:
                occurrence.place = place
            if capacity is not _UNSET:
                occurrence.capacity = capacity
            occurrence.full_clean()
            services._record_actor(occurrence, by)
            occurrence.save()
            rollups.activity_changed(activity=occurrence, before=before)
            # Residents signed up hear of the new time or place, as from the change form.
            services.tell_activity_changed(activity=occurrence, before=before)
            promoted += services._promote(occurrence, now=now)
            changed.append(occurrence)
        return FollowingChange(changed=changed, promoted=promoted)


def cancel_rest(*, activity: Activity | int, by=None) -> list[Activity]:
    """Cancel this occurrence and the following ones of its series (those not ended), each
    through `services.cancel_activity`: residents are told (their inbox, and e-mail or SMS
    where they gave one), sign-ups kept in the history."""
    pk = activity.pk if isinstance(activity, Activity) else activity
    with transaction.atomic():
        this = services._lock_activity(pk)
        if this.series_id is None:
            raise ValidationError(_("该活动不属于任何系列。"), code="no_series")
        return [
            services.cancel_activity(activity=occurrence, by=by)
            for occurrence in _this_and_following(this, timezone.now())
        ]
