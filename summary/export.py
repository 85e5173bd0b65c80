"""The monthly summary as an Excel workbook (openpyxl), from the same `MonthlySummary`.

Sheets: 总览 (the headline figures with last month's and the change), 共建单位 (what each
partner did), 活动 (the activities held in the month), 服务项目, 12个月趋势, and 党员志愿服务
(reported party members who served in the month, by unit and member, from
`summary.party`, which the page shows too). Figures are written as numbers (rates as
fractions with a percent format), so they equal the function's values exactly and can be
summed in Excel.
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.spreadsheets import neutralise_workbook
from volunteering.selectors import PartyService

from .report import COUNT, PERCENT, RATING, MonthlySummary, ratio

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMATS = {COUNT: "#,##0", PERCENT: "0.0%", RATING: "0.0"}
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="FBEAE8")


def filenames(s: MonthlySummary) -> tuple[str, str]:
    """(ASCII fallback, full Chinese name) for Content-Disposition."""
    return (
        f"summary-{s.year:04d}-{s.month:02d}.xlsx",
        _("%(community)s%(month)s月度总结.xlsx")
        % {
            "community": s.community_name,
            "month": s.label,
        },
    )


def _local(value):
    """Excel has no time zones: local wall-clock time, without tzinfo."""
    return timezone.localtime(value).replace(tzinfo=None)


def _header(ws, row: int, titles: list[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def _widths(ws, widths: list[int]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _title(ws, s: MonthlySummary, subtitle: str) -> None:
    ws.cell(row=1, column=1, value=f"{s.community_name} {s.label} {subtitle}").font = _TITLE
    note = _("生成时间：%(time)s") % {"time": _local(s.generated_at).strftime("%Y-%m-%d %H:%M")}
    if s.is_partial:
        note += _("（本月尚未结束，数据截至生成时间）")
    ws.cell(row=2, column=1, value=note)


def _overview(ws, s: MonthlySummary) -> None:
    ws.title = _("总览")
    _title(ws, s, _("月度总结"))
    row = 4
    _header(ws, row, [_("分类"), _("指标"), _("本月"), _("上月"), _("变化")])
    for group, rows in s.headline_groups():
        for _key, label, figure in rows:
            row += 1
            ws.cell(row=row, column=1, value=str(group))
            ws.cell(row=row, column=2, value=str(label))
            for col, value in ((3, figure.value), (4, figure.previous), (5, figure.change)):
                cell = ws.cell(row=row, column=col, value=value)
                cell.number_format = _FORMATS[figure.kind]
    for c in s.activities_by_category:
        row += 1
        ws.cell(row=row, column=1, value=_("活动类别"))
        ws.cell(row=row, column=2, value=c.label)
        ws.cell(row=row, column=3, value=c.figure.value)
        ws.cell(row=row, column=4, value=c.figure.previous)
        ws.cell(row=row, column=5, value=c.figure.change)
    row += 1
    for label, value in (
        (_("进行中"), s.projects_in_progress),
        (_("计划中"), s.projects_planned),
        (_("本月完成"), s.projects_done_this_month),
        (_("累计完成"), s.projects_done_total),
    ):
        row += 1
        ws.cell(row=row, column=1, value=_("服务项目"))
        ws.cell(row=row, column=2, value=label)
        ws.cell(row=row, column=3, value=value)
    row += 1
    ws.cell(row=row, column=1, value=_("小区总户数"))
    ws.cell(row=row, column=3, value=s.household_total)
    if s.quotes:
        row += 2
        ws.cell(row=row, column=1, value=_("居民评价摘录")).font = _BOLD
        for q in s.quotes:
            row += 1
            ws.cell(row=row, column=1, value=q.name)
            ws.cell(row=row, column=2, value=q.activity)
            ws.cell(row=row, column=3, value=q.rating)
            ws.cell(row=row, column=4, value=q.comment)
    _widths(ws, [18, 26, 12, 12, 14])
    ws.freeze_panes = "A5"


def _partners(ws, s: MonthlySummary) -> None:
    _title(ws, s, _("共建单位履约情况"))
    _header(
        ws,
        4,
        [
            _("共建单位"),
            _("类别"),
            _("协议在期"),
            _("协议到期日"),
            _("举办活动（场）"),
            _("参加（人次）"),
            _("平均评分"),
            _("评价（条）"),
            _("已兑现承诺"),
            _("承诺总数"),
            _("承诺明细"),
        ],
    )
    for row, p in enumerate(s.partners, start=5):
        details = "；".join(
            _("%(title)s：%(held)s/%(times)s次")
            % {
                "title": c.title,
                "held": c.held,
                "times": c.times_per_month,
            }
            for c in p.commitments
        )
        values = [
            p.name,
            p.category,
            _("是") if p.has_agreement else _("否"),
            p.agreement_ends_on,
            p.activities,
            p.attendance,
            p.rating,
            p.ratings,
            p.commitments_met,
            p.commitments_total,
            details,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            if col == 4:
                cell.number_format = "yyyy-mm-dd"
            if col == 7:
                cell.number_format = "0.0"
    _widths(ws, [24, 12, 10, 12, 14, 12, 10, 10, 12, 10, 40])
    ws.freeze_panes = "B5"


def _activities(ws, s: MonthlySummary) -> None:
    _title(ws, s, _("活动清单"))
    _header(
        ws,
        4,
        [
            _("开始时间"),
            _("活动"),
            _("类别"),
            _("共建单位"),
            _("地点"),
            _("名额"),
            _("确认报名"),
            _("参加（人次）"),
            _("候补"),
            _("平均评分"),
        ],
    )
    for row, a in enumerate(s.activities, start=5):
        values = [
            _local(a.starts_at),
            a.title,
            a.category,
            a.partners,
            a.place,
            a.capacity,
            a.confirmed,
            a.attended,
            a.waitlisted,
            a.rating,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            if col == 1:
                cell.number_format = "yyyy-mm-dd hh:mm"
            if col == 10:
                cell.number_format = "0.0"
    if s.activities:
        total = 5 + len(s.activities)
        ws.cell(row=total, column=1, value=_("合计")).font = _BOLD
        for col, value in (
            (7, s.confirmed.value),
            (8, s.attendance.value),
            (9, s.unmet_demand.value),
        ):
            ws.cell(row=total, column=col, value=value).font = _BOLD
    _widths(ws, [17, 28, 12, 24, 18, 8, 10, 12, 8, 10])
    ws.freeze_panes = "B5"


def _projects(ws, s: MonthlySummary) -> None:
    _title(ws, s, _("服务项目"))
    _header(
        ws,
        4,
        [
            _("项目"),
            _("承接单位"),
            _("类别"),
            _("月末状态"),
            _("月末进度"),
            _("本月进度变化"),
            _("计划完成日期"),
        ],
    )
    for row, p in enumerate(s.projects, start=5):
        values = [
            p.title,
            p.partner,
            p.category,
            p.status_label,
            p.progress / 100,
            None if p.progress_change is None else p.progress_change / 100,
            p.due_on,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            if col in (5, 6):
                cell.number_format = "0%"
            if col == 7:
                cell.number_format = "yyyy-mm-dd"
    _widths(ws, [26, 20, 12, 10, 10, 14, 14])


def _trend(ws, s: MonthlySummary) -> None:
    _title(ws, s, _("近12个月趋势"))
    categories = s.trend_categories
    _header(
        ws,
        4,
        [
            _("月份"),
            _("举办活动（场）"),
            *[label for _key, label in categories],
            _("参加（人次）"),
            _("服务家庭（户）"),
            _("户覆盖率"),
        ],
    )
    for row, m in enumerate(s.trend, start=5):
        values = [
            m.key,
            m.activities,
            *[m.category_count(key) for key, _label in categories],
            m.attendance,
            m.households,
            ratio(m.households, s.household_total),
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            if col == len(values):
                cell.number_format = "0.0%"
    _widths(ws, [12, 14, *[12] * len(categories), 12, 14, 14])
    ws.freeze_panes = "B5"


def _party(ws, s: MonthlySummary, party: PartyService) -> None:
    """党员志愿服务: the totals the page shows, then by unit, then member by member."""
    _title(ws, s, _("党员志愿服务"))
    _header(ws, 4, [_("指标"), _("本月")])
    totals = (
        (_("报到党员（人）"), party.reported, "#,##0"),
        (_("参加志愿服务的报到党员（人）"), party.members, "#,##0"),
        (_("服务时长（小时）"), float(party.hours), "0.0"),
    )
    for row, (label, value, number_format) in enumerate(totals, start=5):
        ws.cell(row=row, column=1, value=label)
        ws.cell(row=row, column=2, value=value).number_format = number_format
    row = 9
    _header(ws, row, [_("单位"), _("参加服务（人）"), _("服务时长（小时）")])
    for unit in party.by_unit:
        row += 1
        ws.cell(row=row, column=1, value=unit.unit or _("个人报到"))
        ws.cell(row=row, column=2, value=unit.members)
        ws.cell(row=row, column=3, value=float(unit.hours)).number_format = "0.0"
    row += 2
    _header(
        ws, row, [_("姓名"), _("单位"), _("认领岗位"), _("参加活动（场）"), _("服务时长（小时）")]
    )
    for member in party.by_member:
        row += 1
        values = [
            member.name,
            member.unit or _("个人报到"),
            "、".join(member.posts),
            member.activities,
            float(member.hours),
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=value)
        ws.cell(row=row, column=5).number_format = "0.0"
    _widths(ws, [30, 20, 24, 14, 16])


def build_workbook(s: MonthlySummary, party: PartyService | None = None) -> Workbook:
    wb = Workbook()
    _overview(wb.active, s)
    _partners(wb.create_sheet(_("共建单位")), s)
    _activities(wb.create_sheet(_("活动")), s)
    _projects(wb.create_sheet(_("服务项目")), s)
    _trend(wb.create_sheet(_("12个月趋势")), s)
    if party is not None:
        _party(wb.create_sheet(_("党员志愿服务")), s, party)
    wb.properties.title = f"{s.community_name} {s.label}"
    wb.properties.creator = s.community_name
    # Names, titles and comments come from residents and partners: never a live formula.
    neutralise_workbook(wb)
    return wb


def workbook_bytes(s: MonthlySummary, party: PartyService | None = None) -> bytes:
    buffer = io.BytesIO()
    build_workbook(s, party).save(buffer)
    return buffer.getvalue()


# --- the partner scorecard (annual review) -------------------------------------------------


def scorecard_filenames(card) -> tuple[str, str]:
    return (
        f"scorecard-{card.year:04d}-partner-{card.partner.pk}.xlsx",
        _("%(partner)s%(year)s年度共建评议.xlsx")
        % {"partner": card.partner.name, "year": card.year},
    )


def scorecard_workbook_bytes(card) -> bytes:
    """The scorecard as an Excel workbook: 概况, 逐月活动, 资源承诺, 居民评价, 协议与线索."""
    line = card.line
    wb = Workbook()
    ws = wb.active
    ws.title = _("概况")
    ws.cell(row=1, column=1, value=f"{card.partner.name} {card.year}").font = _TITLE
    rows = [
        (_("举办活动（场）"), line.activities, COUNT),
        (_("服务居民（人）"), line.residents, COUNT),
        (_("服务家庭（户）"), line.households, COUNT),
        (_("出席率"), line.attendance_rate, PERCENT),
        (_("平均评分"), line.rating_avg, RATING),
        (_("评价条数"), line.ratings, COUNT),
        (_("资源承诺达标（项）"), line.commitments_met, COUNT),
        (_("资源承诺应兑现（项）"), line.commitments_counted, COUNT),
        (_("解决居民需求（件）"), line.needs, COUNT),
        (_("由居民线索促成"), line.leads, COUNT),
    ]
    _header(ws, 3, [_("指标"), _("数值")])
    for row, (label, value, kind) in enumerate(rows, start=4):
        ws.cell(row=row, column=1, value=str(label))
        cell = ws.cell(row=row, column=2, value=value)
        cell.number_format = _FORMATS[kind]
    _widths(ws, [24, 14])

    ws = wb.create_sheet(_("逐月活动"))
    _header(ws, 1, [_("月份"), _("举办活动（场）")])
    for month, count in enumerate(line.by_month, start=1):
        ws.cell(row=month + 1, column=1, value=f"{card.year}-{month:02d}")
        ws.cell(row=month + 1, column=2, value=count)
    _widths(ws, [12, 16])

    ws = wb.create_sheet(_("资源承诺"))
    _header(ws, 1, [_("协议"), _("资源内容"), _("承诺"), _("应兑现"), _("已举办"), _("已解决需求")])
    row = 2
    for term in card.terms:
        for r in term.rows:
            values = [
                term.agreement.title if term.agreement else "",
                r.commitment.title,
                r.commitment.get_promise_label(),
                r.promised,
                r.delivered,
                r.needs_answered,
            ]
            for col, value in enumerate(values, start=1):
                ws.cell(row=row, column=col, value=value)
            row += 1
    _widths(ws, [28, 28, 16, 10, 10, 12])

    ws = wb.create_sheet(_("居民评价"))
    _header(ws, 1, [_("日期"), _("活动"), _("评分"), _("评价"), _("居民")])
    for row, q in enumerate(card.quotes, start=2):
        for col, value in enumerate([q.day, q.activity, q.rating, q.comment, q.resident], 1):
            ws.cell(row=row, column=col, value=value)
    _widths(ws, [12, 28, 8, 50, 10])

    ws = wb.create_sheet(_("协议与线索"))
    _header(ws, 1, [_("协议"), _("生效日期"), _("到期日期"), _("当前状态")])
    row = 2
    for a in card.agreements:
        for col, value in enumerate(
            [a.title, a.starts_on, a.last_day, a.get_state_display()], start=1
        ):
            ws.cell(row=row, column=col, value=value)
        row += 1
    row += 1
    _header(ws, row, [_("线索"), _("提交时间"), _("进展")])
    for lead in card.lead_list:
        row += 1
        for col, value in enumerate(
            [lead.organisation, _local(lead.created_at), lead.get_stage_display()], start=1
        ):
            ws.cell(row=row, column=col, value=str(value) if col == 3 else value)
    _widths(ws, [30, 14, 14, 12])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the subdistrict's summary ---------------------------------------------------------------


def subdistrict_filenames(sub) -> tuple[str, str]:
    """(ASCII fallback, full Chinese name) of the subdistrict summary's workbook."""
    return (
        f"subdistrict-summary-{sub.year:04d}-{sub.month:02d}.xlsx",
        _("%(subdistrict)s%(month)s各社区月度总结.xlsx")
        % {"subdistrict": sub.subdistrict_name, "month": sub.label},
    )


def build_subdistrict_workbook(sub, columns: list[tuple[str, str]]) -> Workbook:
    """One sheet: a row per community, then the subdistrict's total (counts as numbers,
    coverage as a percentage), written through the formula-safe writer."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("各社区对比")
    title = _("%(subdistrict)s %(month)s 各社区月度总结") % {
        "subdistrict": sub.subdistrict_name,
        "month": sub.label,
    }
    ws.cell(row=1, column=1, value=title).font = _TITLE
    note = _("生成时间：%(time)s") % {"time": _local(sub.generated_at).strftime("%Y-%m-%d %H:%M")}
    if sub.is_partial:
        note += _("（本月尚未结束，数据截至生成时间）")
    ws.cell(row=2, column=1, value=note)
    _header(ws, 4, [_("社区"), *(str(label) for _key, label in columns)])
    row = 4
    for line in (*sub.lines, sub.total):
        row += 1
        name = line.name if line.pk is not None else _("街道合计")
        cell = ws.cell(row=row, column=1, value=name)
        for col, (key, _label) in enumerate(columns, start=2):
            value = line.coverage if key == "coverage" else getattr(line, key)
            cell = ws.cell(row=row, column=col, value=value)
            cell.number_format = _FORMATS[PERCENT if key == "coverage" else COUNT]
            if line.pk is None:
                cell.font = _BOLD
        if line.pk is None:
            ws.cell(row=row, column=1).font = _BOLD
    ws.cell(
        row=row + 2,
        column=1,
        value=_(
            "合计中服务居民、服务家庭和共建单位按街道去重计数（在两个社区参加活动的家庭只计一次），"
            "其余各项为各社区之和。"
        ),
    )
    _widths(ws, [18] + [14] * len(columns))
    wb.properties.title = title
    wb.properties.creator = sub.subdistrict_name
    neutralise_workbook(wb)
    return wb


def subdistrict_workbook_bytes(sub, columns: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    build_subdistrict_workbook(sub, columns).save(buffer)
    return buffer.getvalue()
