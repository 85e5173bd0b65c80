"""Template helpers for activities and projects: time ranges, seats, badges."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

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


@register.simple_tag
def activity_badge(activity: Activity, now=None) -> str:
    """A coloured label for where the activity stands (报名中, 已结束, 已取消…)."""
    now = now or timezone.now()
    status = activity.status
    if status == Activity.Status.CANCELLED:
        label, css = activity.get_status_display(), _ACTIVITY_BADGES[status]
    elif activity.is_over(now):
        label, css = _("已结束"), _ACTIVITY_BADGES[Activity.Status.HELD]
    elif activity.starts_at <= now:
        label, css = _("进行中"), "text-bg-info"
    else:
        label, css = activity.get_status_display(), _ACTIVITY_BADGES[status]
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.simple_tag
def project_badge(project: ServiceProject) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        _PROJECT_BADGES.get(project.status, "text-bg-secondary"),
        project.get_status_display(),
    )


@register.simple_tag
def signup_badge(signup) -> str:
    """已报名 / 候补第N位 for a sign-up carrying a `waitlist_position` (see selectors)."""
    if signup is None:
        return ""
    if signup.status == SignUp.Status.CONFIRMED:
        return format_html('<span class="badge text-bg-success">{}</span>', _("已报名"))
    if signup.status == SignUp.Status.WAITLISTED:
        position = getattr(signup, "waitlist_position", None)
        label = _("候补第%(position)s位") % {"position": position} if position else _("候补中")
        return format_html('<span class="badge text-bg-warning">{}</span>', label)
    return ""
