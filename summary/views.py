"""The monthly summary's pages and its Excel download: thin views over `report.py`.

Only the party secretary (group 党委书记), community staff (group 社区工作人员) and
superusers may read them; anonymous visitors are sent to the login page, other users get
a 403 page saying who may read the summary.
"""

import re
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.http import attachment
from core.pagecache import cache_private_page
from core.periods import add_months, month_label
from core.roles import reads_summary
from partners.models import Partner

from . import export as summary_export, scorecard as partner_scorecards
from .apps import SUMMARY_SCOPE
from .party import party_members_service
from .report import monthly_summary, year_summary

#: The first year the month picker offers and the URLs accept.
FIRST_YEAR = 2000

_MONTH_INPUT = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def can_read_summary(user) -> bool:
    """The secretary, staff and superusers read the summary; residents do not."""
    return reads_summary(user)


def summary_access(view):
    """Login required (to settings.LOGIN_URL), then the summary's readers only (else 403)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_read_summary(request.user):
            return render(request, "summary/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return never_cache(require_safe(login_required(wrapped)))


def _summary_scopes(request, *args, **kwargs) -> list[str]:
    """A summary page is rendered again after any write to what it sums up."""
    return [SUMMARY_SCOPE]


def _this_month() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, today.month


def _unavailable(request, *, year, month=None, future=False):
    """404 in the site's words: a month that does not exist, or one that has not come yet."""
    return render(
        request,
        "summary/unavailable.html",
        {
            "future": future,
            "label": month_label(year, month) if month and 1 <= month <= 12 else None,
            "year": year,
        },
        status=404,
    )


def _check_month(request, year, month):
    """None if the month can be summarised, else the 404 response to give."""
    if not 1 <= month <= 12 or year < FIRST_YEAR:
        return _unavailable(request, year=year, month=month)
    if (year, month) > _this_month():
        return _unavailable(request, year=year, month=month, future=True)
    return None


def _render_month(request, year, month):
    s = monthly_summary(year=year, month=month)
    current = _this_month()
    prev, nxt = add_months(year, month, -1), add_months(year, month, 1)
    context = {
        "s": s,
        "chart_data": s.chart_data(),
        "is_current": (year, month) == current,
        "prev_url": reverse("summary:month", args=prev) if prev[0] >= FIRST_YEAR else None,
        "prev_label": month_label(*prev),
        "next_url": reverse("summary:month", args=nxt) if nxt <= current else None,
        "next_label": month_label(*nxt),
        "year_url": reverse("summary:year", args=[year]),
        "export_url": reverse("summary:export", args=[year, month]),
        "picker_value": f"{year:04d}-{month:02d}",
        "picker_min": f"{FIRST_YEAR:04d}-01",
        "picker_max": f"{current[0]:04d}-{current[1]:02d}",
        "party_service": party_members_service(year=year, month=month),
    }
    return render(request, "summary/month.html", context)


@summary_access
@cache_private_page(scopes=_summary_scopes)
def current(request):
    """/summary/: the month we are in, so far."""
    return _render_month(request, *_this_month())


@summary_access
@cache_private_page(scopes=_summary_scopes)
def month(request, year, month):
    """/summary/2026/11/"""
    return _check_month(request, year, month) or _render_month(request, year, month)


@summary_access
def pick(request):
    """The month picker's GET form (?month=2026-11): on to that month's page."""
    value = request.GET.get("month", "")
    match = _MONTH_INPUT.match(value)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < FIRST_YEAR:
        messages.error(request, _("请选择一个有效的月份，例如 2026-11。"))
        return redirect("summary:current")
    year, month = int(match[1]), int(match[2])
    if (year, month) > _this_month():
        messages.warning(
            request,
            _("%(month)s还没有到，暂无数据；下面是本月的总结。")
            % {"month": month_label(year, month)},
        )
        return redirect("summary:current")
    return redirect("summary:month", year=year, month=month)


@summary_access
def year(request, year):
    """/summary/2026/: the year so far, month by month."""
    this_year = timezone.localdate().year
    if year < FIRST_YEAR:
        return _unavailable(request, year=year)
    if year > this_year:
        return _unavailable(request, year=year, future=True)
    y = year_summary(year=year)
    context = {
        "y": y,
        "prev_url": reverse("summary:year", args=[year - 1]) if year > FIRST_YEAR else None,
        "next_url": reverse("summary:year", args=[year + 1]) if year < this_year else None,
        "last_month_url": reverse("summary:month", args=[year, y.last_month]),
    }
    return render(request, "summary/year.html", context)


@summary_access
def export(request, year, month):
    """/summary/2026/11/export.xlsx: the same figures as the page, as an Excel workbook."""
    refused = _check_month(request, year, month)
    if refused:
        return refused
    s = monthly_summary(year=year, month=month)
    ascii_name, full_name = summary_export.filenames(s)
    return attachment(
        summary_export.workbook_bytes(s, party=party_members_service(year=year, month=month)),
        content_type=summary_export.CONTENT_TYPE,
        ascii_name=ascii_name,
        full_name=full_name,
    )


# --- the partner scorecard (annual review) ---------------------------------------------


def _check_year(request, year):
    if year < FIRST_YEAR:
        return _unavailable(request, year=year)
    if year > timezone.localdate().year:
        return _unavailable(request, year=year, future=True)
    return None


@summary_access
def scorecards(request, year):
    """/summary/2026/partners/: every partner's line for the annual review, sortable
    (?sort=activities&dir=desc)."""
    refused = _check_year(request, year)
    if refused:
        return refused
    sort = request.GET.get("sort", "name")
    sort = sort if sort in partner_scorecards.SORTS else "name"
    descending = request.GET.get("dir") == "desc"
    lines = partner_scorecards.year_lines(year=year, sort=sort, descending=descending)
    this_year = timezone.localdate().year
    return render(
        request,
        "summary/scorecards.html",
        {
            "year": year,
            "lines": lines,
            "sort": sort,
            "descending": descending,
            "columns": [
                ("name", _("共建单位")),
                ("activities", _("活动（场）")),
                ("residents", _("服务居民（人）")),
                ("households", _("服务家庭（户）")),
                ("attendance_rate", _("出席率")),
                ("rating", _("平均评分")),
                ("commitments", _("承诺达标")),
                ("needs", _("解决需求")),
                ("leads", _("线索促成")),
            ],
            "prev_url": reverse("summary:scorecards", args=[year - 1])
            if year > FIRST_YEAR
            else None,
            "next_url": reverse("summary:scorecards", args=[year + 1])
            if year < this_year
            else None,
        },
    )


@summary_access
def scorecard(request, year, pk):
    """/summary/2026/partners/3/: one partner's scorecard, on screen and printed on A4."""
    refused = _check_year(request, year)
    if refused:
        return refused
    partner = get_object_or_404(Partner, pk=pk)
    card = partner_scorecards.partner_scorecard(partner=partner, year=year)
    return render(
        request,
        "summary/scorecard.html",
        {
            "card": card,
            "line": card.line,
            "months": list(enumerate(card.line.by_month, start=1)),
            "export_url": reverse("summary:scorecard_export", args=[year, pk]),
            "year_url": reverse("summary:scorecards", args=[year]),
        },
    )


@summary_access
def scorecard_export(request, year, pk):
    """/summary/2026/partners/3/export.xlsx"""
    refused = _check_year(request, year)
    if refused:
        return refused
    partner = get_object_or_404(Partner, pk=pk)
    card = partner_scorecards.partner_scorecard(partner=partner, year=year)
    ascii_name, full_name = summary_export.scorecard_filenames(card)
    return attachment(
        summary_export.scorecard_workbook_bytes(card),
        content_type=summary_export.CONTENT_TYPE,
        ascii_name=ascii_name,
        full_name=full_name,
    )
