"""Template helpers for activities and projects: time ranges, seats, badges."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _, gettext_lazy

from core.templatetags.site_tags import when

from ..models import Activity, ServiceProject, SignUp

register = template.Library()


@register.filter
def time_range(activity: Activity) -> str:
    """11月28日 周六 09:30–11:30, or both days in full when it runs past midnight."""
    starts = timezone.localtime(activity.starts_at)
    ends = timezone.localtime(activity.ends_at)
    if starts.date() == ends.date():
        # Word joiners keep "09:30–11:30" on one line on a narrow phone.
        return f"{when(starts)}\u2060–\u2060{ends:%H:%M}"
    return f"{when(starts)} – {when(ends)}"


@register.filter
def seats_left(activity: Activity) -> int | None:
    """Seats still free (None when the number of seats is not limited)."""
    if activity.capacity is None:
        return None
    confirmed = getattr(activity, "confirmed_count", None)
    if confirmed is None:
        confirmed = activity.signups.filter(status=SignUp.Status.CONFIRMED).count()
    return max(activity.capacity - confirmed, 0)


_ACTIVITY_BADGES = {
    Activity.Status.PLANNED: "text-bg-secondary",
    Activity.Status.OPEN: "text-bg-success",
    Activity.Status.HELD: "text-bg-light border",
    Activity.Status.CANCELLED: "text-bg-danger",
}
_PROJECT_BADGES = {
    ServiceProject.Status.PLANNED: "text-bg-secondary",
    ServiceProject.Status.IN_PROGRESS: "text-bg-primary",
    ServiceProject.Status.DONE: "text-bg-success",
}


def _is_full(activity: Activity) -> bool:
    left = seats_left(activity)
    return left is not None and left <= 0


@register.simple_tag
def activity_badge(activity: Activity, now=None) -> str:
    """A coloured label for where the activity stands (报名中, 已满·可候补, 报名已截止,
    进行中, 已结束, 已取消…)."""
    now = now or timezone.now()
    status = activity.status
    if status == Activity.Status.CANCELLED:
        label, css = activity.get_status_display(), _ACTIVITY_BADGES[status]
    elif activity.is_over(now):
        label, css = _("已结束"), _ACTIVITY_BADGES[Activity.Status.HELD]
    elif activity.starts_at <= now:
        label, css = _("进行中"), "text-bg-info"
    elif status == Activity.Status.OPEN and now >= activity.signup_deadline:
        label, css = _("报名已截止"), "text-bg-secondary"
    elif status == Activity.Status.OPEN and _is_full(activity):
        label, css = _("已满·可候补"), "text-bg-warning"
    else:
        label, css = activity.get_status_display(), _ACTIVITY_BADGES[status]
    return format_html('<span class="badge {}">{}</span>', css, label)


def age_range(activity: Activity) -> str:
    """8–14 岁, 年满 60 岁, 14 岁及以下 — or "" when there is no age limit."""
    low, high = activity.min_age, activity.max_age
    if low is not None and high is not None:
        return _("%(min)s–%(max)s 岁") % {"min": low, "max": high}
    if low is not None:
        return _("年满 %(min)s 岁") % {"min": low}
    if high is not None:
        return _("%(max)s 岁及以下") % {"max": high}
    return ""


@register.simple_tag
def requirement_badges(activity: Activity) -> str:
    """Who may sign up, shown before anyone taps: 仅限党员, 8–14 岁."""
    parts = []
    if activity.party_members_only:
        parts.append(format_html('<span class="badge badge-requirement">{}</span>', _("仅限党员")))
    if activity.residents_only:
        parts.append(
            format_html('<span class="badge badge-requirement">{}</span>', _("仅限本社区居民"))
        )
    ages = age_range(activity)
    if ages:
        parts.append(format_html('<span class="badge badge-requirement">{}</span>', ages))
    return format_html("".join(["{}"] * len(parts)), *parts) if parts else ""


@register.simple_tag
def signup_state(signup, activity: Activity, now=None) -> str:
    """Where a resident's active sign-up stands, before, during and after the activity:
    confirmed / waitlisted (before), in_progress / checked_in (during), attended /
    missed / not_reached (after); "" without a sign-up."""
    if signup is None:
        return ""
    now = now or timezone.now()
    if activity.is_over(now):
        if signup.attended:
            return "attended"
        return "missed" if signup.status == SignUp.Status.CONFIRMED else "not_reached"
    if signup.attended:
        return "checked_in"
    if activity.starts_at <= now and signup.status == SignUp.Status.CONFIRMED:
        return "in_progress"
    return signup.status


_STATE_BADGES = {
    "attended": (gettext_lazy("已参加"), "text-bg-success"),
    "checked_in": (gettext_lazy("已签到"), "text-bg-primary"),
    "missed": (gettext_lazy("未签到"), "text-bg-secondary"),
    "not_reached": (gettext_lazy("候补未轮到"), "text-bg-secondary"),
    "in_progress": (gettext_lazy("已报名"), "text-bg-success"),
}


@register.simple_tag
def project_badge(project: ServiceProject) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        _PROJECT_BADGES.get(project.status, "text-bg-secondary"),
        project.get_status_display(),
    )


@register.simple_tag
def signup_badge(signup, state: str = "") -> str:
    """已报名 / 候补第N位 for a sign-up carrying a `waitlist_position` (see selectors); with
    a `state` from `signup_state`, 已签到 / 已参加 / 未签到 / 候补未轮到 as it applies."""
    if signup is None:
        return ""
    if state in _STATE_BADGES:
        label, css = _STATE_BADGES[state]
        return format_html('<span class="badge {}">{}</span>', css, label)
    if signup.status == SignUp.Status.CONFIRMED:
        return format_html('<span class="badge text-bg-success">{}</span>', _("已报名"))
    if signup.status == SignUp.Status.WAITLISTED:
        position = getattr(signup, "waitlist_position", None)
        label = _("候补第%(position)s位") % {"position": position} if position else _("候补中")
        return format_html('<span class="badge text-bg-warning">{}</span>', label)
    return ""
