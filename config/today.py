"""Today's work (今日工作): what the back office's index shows staff and the secretary.

It composes every app, so it lives here, at the top; each item's rule is a QuerySet method
of the app that owns it (`Activity.objects.starting_between()`, `.without_check_ins()`,
`Agreement.objects.in_state(AgreementState.ENDING)`, `Lead.objects.follow_up_due()`,
`Need.objects.untriaged()`), and each item links to the filtered admin list that resolves
it (the same filters, see the list filters named below).

Items are registered in `ITEMS`, in the order shown. An item returns None when it does not
apply (the user may not view its model, or its model is not installed: the call list of
residents without smartphones is optional). Each item costs a fixed number of queries
(a count and at most `ROWS` rows), so the page does not grow with the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.admin import NeedStatusFilter, WhenFilter, local_day_start, this_week
from activities.models import Activity, Need
from core.periods import month_label
from core.roles import reads_summary
from partners.admin import AgreementStateFilter
from partners.models import ENDING_WINDOW_DAYS, Agreement, AgreementState, Lead
from residents.scoping import scoped

#: Rows listed per item; the link leads to all of them.
ROWS = 8


@dataclass
class Item:
    """One item of today's work: a heading, how many, the first rows, the list to open."""

    key: str
    title: str
    count: int
    rows: list
    url: str
    empty: str
    template: str
    extra: dict = field(default_factory=dict)

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


@dataclass(frozen=True)
class Today:
    """What the items are computed for: one user, at one moment."""

    user: object
    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def may_view(self, model) -> bool:
        opts = model._meta
        return self.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

    def may_change(self, model) -> bool:
        opts = model._meta
        return self.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


def _changelist(model, **params) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url


def _item(ctx: Today, key, title, queryset, *, url, empty, template, **extra) -> Item:
    # Only the rows of the user's communities (`residents.scoping`).
    queryset = scoped(queryset, ctx.user)
    return Item(
        key=key,
        title=title,
        count=queryset.count(),
        rows=list(queryset[:ROWS]),
        url=url,
        empty=empty,
        template=template,
        extra=extra,
    )


def _activities(ctx: Today, queryset):
    return (
        queryset.not_cancelled().with_seat_counts().with_check_in_counts().select_related("complex")
    )


def todays_activities(ctx: Today) -> Item | None:
    if not ctx.may_view(Activity):
        return None
    start = local_day_start(ctx.today)
    queryset = Activity.objects.starting_between(start, start + dt.timedelta(days=1))
    return _item(
        ctx,
        "today",
        _("今天的活动"),
        _activities(ctx, queryset),
        url=_changelist(Activity, **{WhenFilter.parameter_name: "today"}),
        empty=_("今天没有活动。"),
        template="admin/includes/today_activities.html",
        desk=ctx.may_change(Activity),
    )


def this_weeks_activities(ctx: Today) -> Item | None:
    """The rest of the week (from tomorrow to Sunday)."""
    if not ctx.may_view(Activity):
        return None
    tomorrow = local_day_start(ctx.today + dt.timedelta(days=1))
    _monday, next_monday = this_week(ctx.today)
    queryset = Activity.objects.starting_between(tomorrow, max(tomorrow, next_monday))
    return _item(
        ctx,
        "week",
        _("本周接下来的活动"),
        _activities(ctx, queryset),
        url=_changelist(Activity, **{WhenFilter.parameter_name: "week"}),
        empty=_("本周接下来没有活动。"),
        template="admin/includes/today_activities.html",
        desk=ctx.may_change(Activity),
    )


def yesterday_without_check_ins(ctx: Today) -> Item | None:
    if not ctx.may_view(Activity):
        return None
    today = local_day_start(ctx.today)
    queryset = (
        Activity.objects.held(start=today - dt.timedelta(days=1), end=today, now=ctx.now)
        .without_check_ins()
        .order_by("starts_at", "pk")
    )
    return _item(
        ctx,
        "yesterday",
        _("昨天的活动没有签到记录"),
        _activities(ctx, queryset),
        url=_changelist(Activity, when="yesterday", check_ins="none"),
        empty=_("昨天的活动都有签到记录。"),
        template="admin/includes/today_activities.html",
        desk=ctx.may_change(Activity),
        hint=_("请补录签到，或确认活动是否举办。"),
    )


def residents_to_call(ctx: Today) -> Item | None:
    """Residents without a smartphone to phone (候补转正、活动变更或取消): shown only when
    the call list (`activities.CallListEntry`, with `called_at` and `created_at`) is
    installed. Looked up by name, not imported, so that this page works without it."""
    try:
        model = apps.get_model("activities", "CallListEntry")
    except LookupError:
        return None
    if not ctx.may_view(model):
        return None
    # Still to call: nobody has ticked "called" (`called_at`) yet.
    queryset = (
        model._default_manager.filter(called_at__isnull=True)
        .select_related("resident", "activity")
        .order_by("created_at", "pk")
    )
    return _item(
        ctx,
        "call",
        _("需要电话通知的居民"),
        queryset,
        url=_changelist(model, called="no"),
        empty=_("没有需要电话通知的居民。"),
        template="admin/includes/today_rows.html",
    )


def agreements_to_renew(ctx: Today) -> Item | None:
    """In force and ending within 60 days, with no signed renewal (`AgreementState.ENDING`)."""
    if not ctx.may_view(Agreement):
        return None
    queryset = (
        Agreement.objects.in_state(AgreementState.ENDING, ctx.today)
        .select_related("partner")
        .order_by("ends_on", "pk")
    )
    return _item(
        ctx,
        "agreements",
        _("%(days)d天内到期、尚未续签的协议") % {"days": ENDING_WINDOW_DAYS},
        queryset,
        url=_changelist(Agreement, **{AgreementStateFilter.parameter_name: AgreementState.ENDING}),
        empty=_("近期没有需要续签的协议。"),
        template="admin/includes/today_agreements.html",
    )


def leads_to_follow_up(ctx: Today) -> Item | None:
    if not ctx.may_view(Lead):
        return None
    queryset = Lead.objects.follow_up_due(ctx.today).select_related("assigned_to")
    return _item(
        ctx,
        "leads",
        _("今天该跟进或已逾期的线索"),
        queryset,
        url=_changelist(Lead, follow_up="due"),
        empty=_("没有到期的线索跟进。"),
        template="admin/includes/today_leads.html",
        today=ctx.today,
    )


def needs_waiting(ctx: Today) -> Item | None:
    if not ctx.may_view(Need):
        return None
    days = NeedStatusFilter.LATE_AFTER_DAYS
    queryset = (
        Need.objects.untriaged(for_days=days, now=ctx.now)
        .select_related("complex")
        .order_by("created_at", "pk")
    )
    return _item(
        ctx,
        "needs",
        _("超过%(days)d天未处理的居民需求") % {"days": days},
        queryset,
        url=_changelist(Need, **{NeedStatusFilter.parameter_name: "late"}),
        empty=_("没有积压的居民需求。"),
        template="admin/includes/today_needs.html",
    )


#: The items of today's work, in the order shown.
ITEMS: list[Callable[[Today], Item | None]] = [
    todays_activities,
    this_weeks_activities,
    yesterday_without_check_ins,
    residents_to_call,
    agreements_to_renew,
    leads_to_follow_up,
    needs_waiting,
]


def todays_work(*, user, now=None) -> dict:
    """The index's context: the items that apply to `user`, and this month's summary."""
    ctx = Today(user=user, now=now or timezone.now())
    items = [item for build in ITEMS if (item := build(ctx)) is not None]
    summary_url = None
    summary_month = month_label(ctx.today.year, ctx.today.month)
    if reads_summary(user):
        summary_url = reverse(
            "summary:month", kwargs={"year": ctx.today.year, "month": ctx.today.month}
        )
    return {
        "today_items": items,
        "summary_url": summary_url,
        "summary_month": summary_month,
        "today": ctx.today,
    }
