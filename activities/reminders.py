"""The daily job (`python manage.py send_reminders`): day-before reminders to residents,
notices of works in their building, and the staff's digest.

Running it twice sends nothing twice, and two servers may run it at the same moment: each
resident's message has a key unique in the database (`Notification`: resident + key, e.g.
`reminder:<activity>:<day>`), and the digest a `StaffNotice` row keyed by its day; whoever
inserts the row sends, whoever is refused by the unique constraint does not.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, override

from core.roles import STAFF_GROUPS
from partners.models import Agreement, AgreementState, Lead
from residents.models import Notification, Resident, StaffNotice
from residents.scoping import communities_for, within_scope
from residents.services import notify

from .models import Activity, Need, NeedQuerySet, ServiceProject, SignUp

logger = logging.getLogger(__name__)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def send_day_before_reminders(*, today: dt.date | None = None) -> int:
    """Remind each resident with a confirmed sign-up for an activity starting tomorrow
    (local day) that is not cancelled. Returns how many reminders were sent now."""
    today = today or timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    signups = (
        SignUp.objects.filter(
            status=SignUp.Status.CONFIRMED,
            activity__starts_at__gte=_local_midnight(tomorrow),
            activity__starts_at__lt=_local_midnight(tomorrow + dt.timedelta(days=1)),
        )
        .exclude(activity__status=Activity.Status.CANCELLED)
        .select_related("activity")
        .order_by("activity__starts_at", "pk")
    )
    sent = 0
    for signup in signups:
        activity = signup.activity
        starts = timezone.localtime(activity.starts_at).strftime("%H:%M")
        sent += (
            notify(
                resident=signup.resident_id,
                kind=Notification.Kind.REMINDER,
                title=_("明天的活动：%(title)s") % {"title": activity.title},
                body=_("时间：明天 %(starts)s\n地点：%(place)s\n签到码：%(code)s")
                % {"starts": starts, "place": activity.place, "code": signup.check_in_code},
                url=activity.get_absolute_url(),
                dedupe_key=f"reminder:{activity.pk}:{tomorrow.isoformat()}",
            )
            is not None
        )
    return sent


def send_works_notices(*, today: dt.date | None = None) -> int:
    """Tell residents of the buildings a project affects when it starts (in progress) and
    when it is done — once per project and status."""
    today = today or timezone.localdate()
    projects = (
        ServiceProject.objects.filter(
            status__in=[ServiceProject.Status.IN_PROGRESS, ServiceProject.Status.DONE]
        )
        .exclude(status=ServiceProject.Status.DONE, finished_on__lt=today - dt.timedelta(days=7))
        .prefetch_related("buildings")
    )
    sent = 0
    for project in projects:
        building_ids = [b.pk for b in project.buildings.all()]
        if not building_ids:
            continue
        if project.status == ServiceProject.Status.DONE:
            title = _("楼栋工程已完成：%(title)s") % {"title": project.title}
        else:
            title = _("您所在楼栋有施工：%(title)s") % {"title": project.title}
        parts = []
        if project.starts_on:
            parts.append(_("开始：%(day)s") % {"day": project.starts_on.isoformat()})
        if project.due_on:
            parts.append(_("计划完成：%(day)s") % {"day": project.due_on.isoformat()})
        residents = Resident.objects.filter(
            household__building_id__in=building_ids,
            user__isnull=False,
            anonymised_at__isnull=True,
        ).values_list("pk", flat=True)
        for resident_id in residents.order_by("pk"):
            sent += (
                notify(
                    resident=resident_id,
                    kind=Notification.Kind.WORKS,
                    title=title,
                    body="；".join(parts),
                    url=reverse("residents:me") + "#works",
                    dedupe_key=f"works:{project.pk}:{project.status}",
                )
                is not None
            )
    return sent


@dataclass(frozen=True)
class StaffDigest:
    """The staff's to-do of the day: the same items as the back office's lists."""

    day: dt.date
    agreements_ending: list
    follow_ups_due: list
    needs_untriaged: list

    @property
    def is_empty(self) -> bool:
        return not (self.agreements_ending or self.follow_ups_due or self.needs_untriaged)

    def text(self) -> str:
        lines = [_("%(day)s 工作提醒") % {"day": self.day.isoformat()}, ""]
        if self.agreements_ending:
            lines.append(_("即将到期、尚未续签的协议（60天内）："))
            lines += [
                f"  · {a.partner.display_name}：{a.title}（{a.ends_on.isoformat()}）"
                for a in self.agreements_ending
            ]
        if self.follow_ups_due:
            lines.append(_("今天及逾期应跟进的资源线索："))
            lines += [
                f"  · {lead.organisation}（{lead.follow_up_on.isoformat()}）"
                for lead in self.follow_ups_due
            ]
        if self.needs_untriaged:
            lines.append(_("待受理的居民需求："))
            lines += [f"  · {need.title}" for need in self.needs_untriaged]
        return "\n".join(lines)


def staff_digest(*, today: dt.date | None = None, user=None) -> StaffDigest:
    """The day's to-do of `user`'s communities (of every community without a user)."""
    today = today or timezone.localdate()
    return StaffDigest(
        day=today,
        agreements_ending=list(
            within_scope(Agreement.objects.in_state(AgreementState.ENDING, today), user)
            .select_related("partner")
            .order_by("ends_on", "pk")
        ),
        follow_ups_due=list(
            within_scope(Lead.objects.open_at().filter(follow_up_on__lte=today), user).order_by(
                "follow_up_on", "pk"
            )
        ),
        needs_untriaged=list(
            within_scope(
                Need.objects.filter(NeedQuerySet.untriaged_q(timezone.now())), user
            ).order_by("created_at", "pk")
        ),
    )


def staff_recipients():
    """The active staff (of a community or the subdistrict) with an e-mail address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name__in=STAFF_GROUPS)
        .exclude(email="")
        .distinct()
        .order_by("email", "pk")
    )


def send_staff_digest(*, today: dt.date | None = None) -> bool:
    """E-mail each staff user the digest of their own communities (the subdistrict's staff:
    all of them) once a day (a `StaffNotice` row per day: a second run, or a second server,
    finds it and sends nothing). An empty digest is not sent; users of one scope share one
    message, computed once."""
    today = today or timezone.localdate()
    by_scope: dict[frozenset[int] | None, list] = {}
    for user in staff_recipients():
        by_scope.setdefault(communities_for(user), []).append(user)
    digests = []
    for users in by_scope.values():
        digest = staff_digest(today=today, user=users[0])
        if not digest.is_empty:
            digests.append((digest, sorted({user.email for user in users})))
    if not digests:
        return False
    key = f"digest:{today.isoformat()}"
    try:
        with transaction.atomic():
            StaffNotice.objects.create(key=key)
            # Sent inside the transaction: a failed send releases the key for the next run.
            with override(settings.LANGUAGE_CODE):
                for digest, recipients in digests:
                    send_mail(
                        _("社区工作提醒（%(day)s）") % {"day": today.isoformat()},
                        digest.text(),
                        None,
                        recipients,
                    )
    except IntegrityError:
        return False
    return True
