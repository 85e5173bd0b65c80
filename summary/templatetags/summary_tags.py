"""Template tags of the summary's pages."""

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()

#: Activities the month page lists unless asked for all of them: the most attended ones.
#: A district holds 400+ activities a month; every row stays in the Excel and on
#: `?activities=all`.
TOP_ACTIVITIES_SHOWN = 20

_ROW = (
    '<tr><td class="text-nowrap">{}</td><th scope="row">{}<span class="cell-note">{}</span></th>'
    '<td>{}</td><td class="num">{}/{}</td><td class="num">{}</td><td class="num">{}</td>'
    '<td class="num">{}</td></tr>'
)


@register.simple_tag
def activity_rows(activities):
    """The month's activities as table rows: one line of Python per row instead of a
    template loop (a district holds 400+ activities a month; the loop was most of the
    page's time)."""
    unlimited = _("不限")
    number = formats.localize

    def cells(a):
        day = timezone.localtime(a.starts_at)
        capacity = unlimited if a.capacity is None else number(a.capacity)
        return (
            f"{day.month}/{day.day}",
            a.title,
            a.category,
            a.partners or "—",
            number(a.confirmed),
            capacity,
            number(a.attended),
            number(a.waitlisted),
            a.rating_display,
        )

    return format_html_join("\n", _ROW, (cells(a) for a in activities)) or format_html("")


@register.simple_tag
def month_activities(activities, show=""):
    """{"rows": the activities to list, "total", "top": whether they are the most attended
    ones only}: all of them in date order when `show` is "all" or they are few, else the
    `TOP_ACTIVITIES_SHOWN` most attended (ties: the earlier first), in that order."""
    activities = list(activities)
    if show == "all" or len(activities) <= TOP_ACTIVITIES_SHOWN:
        return {"rows": activities, "total": len(activities), "top": False}
    ranked = sorted(activities, key=lambda a: (-a.attended, a.starts_at, a.pk))
    return {"rows": ranked[:TOP_ACTIVITIES_SHOWN], "total": len(activities), "top": True}


@register.filter
def subdistrict_cell(line, column: str) -> str:
    """A figure of a community's line of the subdistrict summary, as the page shows it."""
    return line.display(column)
