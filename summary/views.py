"""The monthly summary's pages and its Excel download: thin views over `report.py`.

Only the party secretary (group 党委书记), community staff (group 社区工作人员), the
subdistrict's staff and secretary and superusers may read them; anonymous visitors are
sent to the login page, other users get a 403 page saying who may read the summary.

Whose summary (`_reader`): a community's staff and secretary read their community's at
/summary/, /summary/<yyyy>/<mm>/ and its export (another community's, ?community=<id>,
is 404); the subdistrict's read the subdistrict summary there (every community side by
side, `subdistrict.py`) and each community's with ?community=<id> (the page, its
export, print and year page alike). On a one-community installation nothing changes.
"""

import dataclasses
import re
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.http import attachment, id_param
from core.pagecache import cache_private_page
from core.periods import add_months, month_label
from core.roles import reads_summary
from partners.models import Partner
from residents.models import Community
from residents.scoping import communities_for

from . import export as summary_export, scorecard as partner_scorecards
from .apps import SUMMARY_SCOPE
from .party import party_members_service
from .report import monthly_summary, year_summary
from .subdistrict import COLUMNS, communities_of, subdistrict_summary

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


@dataclass(frozen=True)
class Reader:
    """Whose summary a request reads: one `community`, the subdistrict of `communities`
    (several ids), or the whole installation (neither)."""

    community: Community | None = None
    communities: tuple[int, ...] = ()

    @property
    def is_subdistrict(self) -> bool:
        return self.community is None and len(self.communities) > 1

    @property
    def query(self) -> str:
        """What the summary's links carry: ?community=<id> for a chosen community."""
        return f"?community={self.community.pk}" if self.community else ""

    @property
    def ids(self) -> list[int] | None:
        """The communities counted: one, the subdistrict's, or None (all)."""
        if self.community is not None:
            return [self.community.pk]
        return list(self.communities) or None


def _reader(request) -> Reader:
    """Whose summary this request reads (see the module docstring); 404 for a community
    outside the reader's, and for a user placed nowhere on an installation of several
    communities."""
    cached = getattr(request, "_summary_reader", None)
    if cached is not None:
        return cached
    ids = communities_for(request.user)
    wanted = request.GET.get("community")
    everything = ids is None
    if everything and (request.user.is_superuser or wanted is not None):
        # A superuser reads the subdistrict's side-by-side page on an installation of
        # several communities; anyone reading all may open one of them.
        ids = frozenset(Community.objects.values_list("pk", flat=True))
    elif everything:
        ids = frozenset()  # one community (or none yet), unplaced: the summary as always
    if wanted is not None:
        if id_param(wanted) not in ids:
            raise Http404
        reader = Reader(community=Community.objects.get(pk=id_param(wanted)), communities=())
    elif len(ids) > 1:
        reader = Reader(communities=tuple(sorted(ids)))
    elif everything:
        reader = Reader()  # the whole installation, of one community: as always
    elif not ids:
        raise Http404  # placed nowhere on an installation of several communities
    else:
        reader = Reader(community=Community.objects.get(pk=next(iter(ids))))
    request._summary_reader = reader
    return reader


def _reader_variant(request) -> str:
    """The page cache's variant: the community asked for, or the reader's own (the private
    key holds the login, and any change of a `StaffScope` bumps the summary's scope, so a
    login's own community cannot change under a kept page). No query."""
    return "community-" + request.GET.get("community", "own")[:12]


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


def _month_nav(reader: Reader, year: int, month: int) -> dict:
    """Previous / next month, the picker and the year page, for this reader's summary."""
    current = _this_month()
    prev, nxt = add_months(year, month, -1), add_months(year, month, 1)
    q = reader.query
    return {
        "is_current": (year, month) == current,
        "prev_url": reverse("summary:month", args=prev) + q if prev[0] >= FIRST_YEAR else None,
        "prev_label": month_label(*prev),
        "next_url": reverse("summary:month", args=nxt) + q if nxt <= current else None,
        "next_label": month_label(*nxt),
        "year_url": reverse("summary:year", args=[year]) + q,
        "current_url": reverse("summary:current") + q,
        "export_url": reverse("summary:export", args=[year, month]) + q,
        "picker_value": f"{year:04d}-{month:02d}",
        "picker_min": f"{FIRST_YEAR:04d}-01",
        "picker_max": f"{current[0]:04d}-{current[1]:02d}",
        "picker_community": reader.community.pk if reader.community else None,
        "query": q,
    }


def _subdistrict_of(reader: Reader):
    """The subdistrict the reader's communities belong to (the first one's)."""
    community = communities_of(reader.communities[:1])
    return community[0].subdistrict if community else None


def _subdistrict_report(reader: Reader, year: int, month: int):
    communities = communities_of(reader.communities)
    return subdistrict_summary(
        year=year,
        month=month,
        communities=communities,
        subdistrict=communities[0].subdistrict if communities else None,
    )


def _render_month(request, year, month):
    reader = _reader(request)
    context = _month_nav(reader, year, month)
    if reader.is_subdistrict:
        sub = _subdistrict_report(reader, year, month)
        context |= {
            "s": sub,
            "columns": _subdistrict_columns(),
            "community_url": reverse("summary:month", args=[year, month]) + "?community=",
        }
        return render(request, "summary/subdistrict.html", context)
    s = monthly_summary(year=year, month=month, community=reader.community)
    readable = communities_for(request.user)
    context |= {
        "s": s,
        "chart_data": s.chart_data(),
        "party_service": party_members_service(year=year, month=month, community=reader.community),
        # A subdistrict reader looking at one community: the way back to all of them.
        "subdistrict_url": reverse("summary:month", args=[year, month])
        if reader.community is not None and (readable is None or len(readable) > 1)
        else None,
    }
    return render(request, "summary/month.html", context)


def _subdistrict_columns():
    labels = {
        "activities": _("举办活动（场）"),
        "attendance": _("参加（人次）"),
        "residents": _("服务居民（人）"),
        "households": _("服务家庭（户）"),
        "household_total": _("辖区户数"),
        "coverage": _("户覆盖率"),
        "partners": _("协议在期的共建单位"),
        "needs_resolved": _("已解决需求"),
        "leads_signed": _("线索签约"),
    }
    return [(key, labels[key]) for key in COLUMNS]


@summary_access
@cache_private_page(scopes=_summary_scopes, vary=_reader_variant)
def current(request):
    """/summary/: the month we are in, so far."""
    return _render_month(request, *_this_month())


@summary_access
@cache_private_page(scopes=_summary_scopes, vary=_reader_variant)
def month(request, year, month):
    """/summary/2026/11/"""
    return _check_month(request, year, month) or _render_month(request, year, month)


@summary_access
def pick(request):
    """The month picker's GET form (?month=2026-11): on to that month's page."""
    q = _reader(request).query
    value = request.GET.get("month", "")
    match = _MONTH_INPUT.match(value)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < FIRST_YEAR:
        messages.error(request, _("请选择一个有效的月份，例如 2026-11。"))
        return redirect(reverse("summary:current") + q)
    year, month = int(match[1]), int(match[2])
    if (year, month) > _this_month():
        messages.warning(
            request,
            _("%(month)s还没有到，暂无数据；下面是本月的总结。")
            % {"month": month_label(year, month)},
        )
        return redirect(reverse("summary:current") + q)
    return redirect(reverse("summary:month", args=[year, month]) + q)


@summary_access
def year(request, year):
    """/summary/2026/: the year so far, month by month."""
    this_year = timezone.localdate().year
    if year < FIRST_YEAR:
        return _unavailable(request, year=year)
    if year > this_year:
        return _unavailable(request, year=year, future=True)
    reader = _reader(request)
    q = reader.query
    y = year_summary(
        year=year,
        community=reader.community or (reader.communities if reader.is_subdistrict else None),
    )
    if reader.is_subdistrict:
        subdistrict = _subdistrict_of(reader)
        y = dataclasses.replace(y, community_name=subdistrict.name if subdistrict else "")
    context = {
        "y": y,
        "query": q,
        "prev_url": reverse("summary:year", args=[year - 1]) + q if year > FIRST_YEAR else None,
        "next_url": reverse("summary:year", args=[year + 1]) + q if year < this_year else None,
        "last_month_url": reverse("summary:month", args=[year, y.last_month]) + q,
    }
    return render(request, "summary/year.html", context)


@summary_access
def export(request, year, month):
    """/summary/2026/11/export.xlsx: the same figures as the page, as an Excel workbook."""
    refused = _check_month(request, year, month)
    if refused:
        return refused
    reader = _reader(request)
    if reader.is_subdistrict:
        sub = _subdistrict_report(reader, year, month)
        ascii_name, full_name = summary_export.subdistrict_filenames(sub)
        return attachment(
            summary_export.subdistrict_workbook_bytes(sub, _subdistrict_columns()),
            content_type=summary_export.CONTENT_TYPE,
            ascii_name=ascii_name,
            full_name=full_name,
        )
    s = monthly_summary(year=year, month=month, community=reader.community)
    ascii_name, full_name = summary_export.filenames(s)
    party = party_members_service(year=year, month=month, community=reader.community)
    return attachment(
        summary_export.workbook_bytes(s, party=party),
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


def _partners_of(reader: Reader):
    """The partners whose scorecard the reader may open: those of their communities."""
    ids = reader.ids
    return (
        Partner.objects.all() if ids is None else Partner.objects.filter(Partner.community_q(ids))
    )


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
    reader = _reader(request)
    q = reader.query
    lines = partner_scorecards.year_lines(
        year=year, sort=sort, descending=descending, communities=reader.ids
    )
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
            "query": q,
            "sort_prefix": f"{q}&" if q else "?",
            "prev_url": reverse("summary:scorecards", args=[year - 1]) + q
            if year > FIRST_YEAR
            else None,
            "next_url": reverse("summary:scorecards", args=[year + 1]) + q
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
    reader = _reader(request)
    partner = get_object_or_404(_partners_of(reader), pk=pk)
    card = partner_scorecards.partner_scorecard(partner=partner, year=year, communities=reader.ids)
    return render(
        request,
        "summary/scorecard.html",
        {
            "card": card,
            "line": card.line,
            "months": list(enumerate(card.line.by_month, start=1)),
            "export_url": reverse("summary:scorecard_export", args=[year, pk]) + reader.query,
            "year_url": reverse("summary:scorecards", args=[year]) + reader.query,
        },
    )


@summary_access
def scorecard_export(request, year, pk):
    """/summary/2026/partners/3/export.xlsx"""
    refused = _check_year(request, year)
    if refused:
        return refused
    reader = _reader(request)
    partner = get_object_or_404(_partners_of(reader), pk=pk)
    card = partner_scorecards.partner_scorecard(partner=partner, year=year, communities=reader.ids)
    ascii_name, full_name = summary_export.scorecard_filenames(card)
    return attachment(
        summary_export.scorecard_workbook_bytes(card),
        content_type=summary_export.CONTENT_TYPE,
        ascii_name=ascii_name,
        full_name=full_name,
    )
