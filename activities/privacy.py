"""What activities/ holds about residents: their sign-ups (with attendance and ratings) and
the needs they reported.

Registered with the resident-data registry (`residents.privacy`): shown on /me/, in the
data download, and forgotten when a resident deletes their data. Past sign-ups and needs
keep their rows (the monthly figures count them) without what identifies the resident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from core.qr import qr_svg
from residents.models import Resident
from residents.privacy import Eraser, MePage, ResidentData, Shortcut, iso, register

from . import services
from .models import CallListEntry, Feedback, Need, ServiceProject, SignUp

#: Past sign-ups shown on /me/ (the download has all of them).
PAST_SIGNUPS_SHOWN = 30
#: Upcoming sign-ups /me/ shows before "show all" (a phone should not scroll a hundred).
UPCOMING_SIGNUPS_SHOWN = 10
#: The next confirmed sign-ups whose QR code /me/ draws (besides every one starting
#: today); the later ones show the code in figures and open the QR with one tap.
QR_CODES_SHOWN = 3
#: What a resident's own untriaged needs are called once they deleted their data (the
#: figures keep the row; its words may identify them).
ANONYMISED_NEED_TITLE = "（居民已注销）"
STARS = [1, 2, 3, 4, 5]


# --- sign-ups ---------------------------------------------------------------------------


@dataclass
class MySignUps:
    upcoming: list[SignUp] = field(default_factory=list)
    past: list[SignUp] = field(default_factory=list)
    upcoming_total: int = 0
    past_total: int = 0
    attended_total: int = 0


def my_signups(*, resident_ids: list[int], now=None, upcoming_shown=None) -> MySignUps:
    """Upcoming (with waiting-list positions; the first `upcoming_shown`, or all of them)
    and recent past sign-ups of these residents, and their totals, in a fixed number of
    queries."""
    now = now or timezone.now()
    base = (
        SignUp.objects.filter(resident_id__in=resident_ids)
        .active()
        .select_related("activity", "resident", "feedback")
    )
    upcoming = (
        base.filter(activity__ends_at__gte=now)
        .with_waitlist_position()
        .order_by("activity__starts_at", "pk")
    )
    past = list(
        base.filter(activity__ends_at__lt=now).order_by("-activity__starts_at", "-pk")[
            :PAST_SIGNUPS_SHOWN
        ]
    )
    ended = Q(activity__ends_at__lt=now)
    totals = base.aggregate(
        upcoming_total=Count("pk", filter=Q(activity__ends_at__gte=now)),
        past_total=Count("pk", filter=ended),
        attended_total=Count("pk", filter=ended & Q(attended=True)),
    )
    return MySignUps(
        upcoming=list(upcoming if upcoming_shown is None else upcoming[:upcoming_shown]),
        past=past,
        **totals,
    )


def feedback_of(signup: SignUp) -> Feedback | None:
    """The sign-up's feedback if loaded with it (select_related), else None, no query."""
    try:
        return signup.feedback
    except SignUp.feedback.RelatedObjectDoesNotExist:
        return None


def _announce_promotions(page: MePage) -> None:
    """Say once that a waiting-list place became a confirmed one."""
    for signup in services.mark_promotions_seen(resident=page.resident):
        if signup.resident_id == page.resident.pk:
            text = _("您候补的“%(title)s”已转为报名成功") % {"title": signup.activity.title}
        else:
            text = _("%(name)s候补的“%(title)s”已转为报名成功") % {
                "name": signup.resident.name,
                "title": signup.activity.title,
            }
        messages.success(page.request, text)


def check_in_url(request, signup: SignUp) -> str:
    """The absolute link a resident's check-in QR code carries: staff who open it check
    the resident in (see `views.check_in_link`)."""
    return request.build_absolute_uri(
        reverse("activities:check_in_link", args=[signup.activity_id, signup.check_in_code])
    )


def _signups_on_me(page: MePage) -> dict:
    _announce_promotions(page)
    now = timezone.now()
    today = timezone.localdate(now)
    show_all = page.request.GET.get("upcoming") == "all"
    mine = my_signups(
        resident_ids=page.people,
        now=now,
        upcoming_shown=None if show_all else UPCOMING_SIGNUPS_SHOWN,
    )
    upcoming = mine.upcoming
    for signup in [*upcoming, *mine.past]:
        signup.existing_feedback = feedback_of(signup)
        signup.is_mine = signup.resident_id == page.resident.pk
        signup.activity_cancelled = signup.activity.is_cancelled
        signup.can_cancel = (
            not signup.activity_cancelled
            and services.cancellation_refusal(signup=signup, now=now) is None
        )
        signup.may_rate = services.feedback_refusal(signup=signup, now=now) is None
        signup.has_code = signup.status == SignUp.Status.CONFIRMED and not signup.activity_cancelled
        signup.qr = ""
    qr_left = QR_CODES_SHOWN
    for signup in upcoming:
        if not signup.has_code:
            continue
        if qr_left > 0 or timezone.localdate(signup.activity.starts_at) <= today:
            signup.qr = qr_svg(
                check_in_url(page.request, signup),
                scale=5,
                title=signup.check_in_code,
                css_class="qr-code",
            )
        qr_left -= 1
    return {
        "upcoming": upcoming,
        "upcoming_total": mine.upcoming_total,
        "past": mine.past,
        "past_total": mine.past_total,
        "attended_total": mine.attended_total,
        "past_shown": len(mine.past),
        "stars": STARS,
    }


def _export_signups(resident: Resident, people: list[int]) -> list[dict]:
    return [
        {
            "person": s.resident.name,
            "activity": s.activity.title,
            "activity_starts_at": iso(s.activity.starts_at),
            "place": s.activity.place,
            "status": s.status,
            "status_label": str(s.get_status_display()),
            "signed_up_at": iso(s.created_at),
            "confirmed_at": iso(s.confirmed_at),
            "promoted_at": iso(s.promoted_at),
            "cancelled_at": iso(s.cancelled_at),
            "check_in_code": s.check_in_code,
            "attended": s.attended,
            "checked_in_at": iso(s.checked_in_at),
        }
        for s in SignUp.objects.filter(resident_id__in=people)
        .select_related("activity", "resident")
        .order_by("created_at", "pk")
    ]


def _export_feedback(resident: Resident, people: list[int]) -> list[dict]:
    return [
        {
            "activity": f.signup.activity.title,
            "rating": f.rating,
            "comment": f.comment,
            "may_publish": f.may_publish,
            "is_published": f.is_published,
            "created_at": iso(f.created_at),
        }
        for f in Feedback.objects.filter(signup__resident_id__in=people)
        .select_related("signup__activity")
        .order_by("signup__created_at", "signup__pk")
    ]


def _upcoming_signups(resident: Resident):
    return SignUp.objects.filter(
        resident=resident, activity__starts_at__gt=timezone.now(), attended=False
    ).active()


def _forget_signups(eraser: Eraser) -> None:
    """Upcoming sign-ups are cancelled (the waiting list moves up); past sign-ups,
    attendance and ratings stay for the monthly figures; comments are withdrawn."""
    resident = eraser.resident
    for signup_id in list(_upcoming_signups(resident).values_list("pk", flat=True)):
        services.cancel(signup=signup_id)
    Feedback.objects.filter(signup__resident=resident).update(
        comment="", may_publish=False, is_published=False
    )
    signup_ids = list(SignUp.objects.filter(resident=resident).values_list("pk", flat=True))
    eraser.scrub_log_entries(SignUp, signup_ids)
    eraser.scrub_log_entries(
        Feedback,
        list(Feedback.objects.filter(signup_id__in=signup_ids).values_list("pk", flat=True)),
    )


def _signup_notices(resident: Resident) -> list[str]:
    notices = []
    upcoming = _upcoming_signups(resident).count()
    if upcoming:
        notices.append(
            ngettext(
                "尚未开始的 %(count)s 个报名会被取消，名额让给候补的居民。",
                "尚未开始的 %(count)s 个报名会被取消，名额让给候补的居民。",
                upcoming,
            )
            % {"count": upcoming}
        )
    notices.append(_("您写的评价文字会被删除，不再公开。"))
    notices.append(_("过去参加活动的记录以“已注销居民”的名义保留，只用于社区的月度统计。"))
    return notices


register(
    ResidentData(
        key="signups",
        # The summary's roll-ups of attended months stay with the sign-ups they count.
        models=("activities.SignUp", "activities.ResidentReach"),
        export=_export_signups,
        forget=_forget_signups,
        forget_notices=_signup_notices,
        me_template="activities/includes/me_signups.html",
        me_context=_signups_on_me,
        shortcuts=(Shortcut(gettext_lazy("找活动报名"), "activities:list", primary=True),),
        order=10,
    )
)
register(ResidentData(key="feedback", export=_export_feedback, order=11))


# --- needs ------------------------------------------------------------------------------


def _my_needs(resident: Resident) -> list[Need]:
    return list(Need.objects.filter(resident=resident).order_by("-created_at", "-pk"))


def _export_needs(resident: Resident, people: list[int]) -> list[dict]:
    return [
        {
            "title": need.title,
            "description": need.description,
            "location": need.location,
            "urgency": need.urgency,
            "category": need.category,
            "status": need.status,
            "status_label": str(need.get_status_display()),
            "staff_reply": need.staff_reply,
            "submitted_at": iso(need.created_at),
        }
        for need in _my_needs(resident)
    ]


def _forget_needs(eraser: Eraser) -> None:
    """The need stays (the figures count it) without its description, place and author;
    one nobody has looked at yet loses its title too (it is the resident's own words)."""
    need_ids = list(Need.objects.filter(resident=eraser.resident).values_list("pk", flat=True))
    new_ids = list(
        Need.objects.filter(pk__in=need_ids, status=Need.Status.NEW).values_list("pk", flat=True)
    )
    for model in (Need, Need.history.model):
        rows = model.objects.filter(id__in=need_ids)
        rows.update(
            description="",
            location="",
            resident=None,
            **eraser.scrub(Need, "title", "staff_reply"),
        )
        rows.filter(id__in=new_ids).update(title=ANONYMISED_NEED_TITLE)
    eraser.scrub_log_entries(Need, new_ids, object_repr=ANONYMISED_NEED_TITLE)
    eraser.scrub_log_entries(Need, need_ids)


register(
    ResidentData(
        key="needs",
        models=("activities.Need",),
        export=_export_needs,
        forget=_forget_needs,
        me_template="activities/includes/me_needs.html",
        me_context=lambda page: {"needs": _my_needs(page.resident)},
        shortcuts=(Shortcut(gettext_lazy("反映需求"), "activities:need_create"),),
        order=30,
    )
)


# --- works affecting my building ---------------------------------------------------------


def _works_on_me(page: MePage) -> dict:
    """Service projects in the resident's building (`ServiceProject.objects.affecting`)."""
    household = page.resident.household
    if household is None:
        return {"works": []}
    works = list(
        ServiceProject.objects.affecting(household.building_id)
        .select_related("partner")
        .prefetch_related("buildings", "milestones")
        .order_by("status", "due_on", "pk")
    )
    return {"works": works, "building": household.building}


register(
    ResidentData(
        key="works",
        me_template="activities/includes/me_works.html",
        me_context=_works_on_me,
        order=25,
    )
)


# --- the call list (residents staff phone) ------------------------------------------------


def _export_call_list(resident: Resident, people: list[int]) -> list[dict]:
    return [
        {
            "person": entry.resident.name,
            "activity": entry.activity.title,
            "reason": entry.reason,
            "reason_label": str(entry.get_reason_display()),
            "detail": entry.detail,
            "listed_at": iso(entry.created_at),
            "called_at": iso(entry.called_at),
        }
        for entry in CallListEntry.objects.filter(resident_id__in=people)
        .select_related("activity", "resident")
        .order_by("created_at", "pk")
    ]


def _forget_call_list(eraser: Eraser) -> None:
    """Nobody phones a resident who deleted their data: their entries go, with the history
    of them (nothing the monthly figures count)."""
    ids = list(CallListEntry.objects.filter(resident=eraser.resident).values_list("pk", flat=True))
    CallListEntry.objects.filter(pk__in=ids).delete()
    CallListEntry.history.model.objects.filter(id__in=ids).delete()
    eraser.scrub_log_entries(CallListEntry, ids)


register(
    ResidentData(
        key="call_list",
        models=("activities.CallListEntry",),
        export=_export_call_list,
        forget=_forget_call_list,
        order=12,
    )
)
