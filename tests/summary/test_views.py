"""The summary's pages, month picker and Excel download, through the test client."""

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.periods import add_months
from summary.report import monthly_summary
from tests.factories import ResidentFactory, UserFactory
from tests.summary.factories import build_march_2026
from tests.summary.test_report import _grow

pytestmark = pytest.mark.django_db

MARCH = "/summary/2026/03/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def march(db):
    return build_march_2026()


def _this_month():
    today = timezone.localdate()
    return today.year, today.month


# --- who may read it -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/summary/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('residents:login')}?next=/summary/"
    assert client.get(MARCH).status_code == 302
    assert client.get(MARCH + "export.xlsx").status_code == 302


def test_a_resident_gets_403_with_a_clear_message(resident_client):
    response = resident_client.get(MARCH)
    assert response.status_code == 403
    assert "仅供社区党委书记和社区工作人员查看" in response.content.decode()
    assert resident_client.get(MARCH + "export.xlsx").status_code == 403
    assert resident_client.get("/summary/").status_code == 403


def test_a_staff_flag_without_a_role_is_not_enough(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/summary/").status_code == 403


@pytest.mark.parametrize("who", ["staff_client", "secretary_client", "admin_client"])
def test_staff_the_secretary_and_superusers_read_the_summary(request, who):
    client = request.getfixturevalue(who)
    assert client.get("/summary/").status_code == 200
    assert client.get(MARCH).status_code == 200


def test_both_roles_exist_as_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {"社区工作人员", "党委书记"}


# --- the month page --------------------------------------------------------------------


def _figure_cell(html: str, key: str) -> str:
    match = re.search(
        rf'<tr data-figure="{key}">\s*<th scope="row">[^<]*</th>\s*'
        r'<td class="num fw-semibold">([^<]*)</td>',
        html,
    )
    assert match, key
    return match.group(1)


def test_the_month_page_shows_the_functions_figures(march, secretary_client):
    response = secretary_client.get(MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    s = monthly_summary(year=2026, month=3)
    assert "2026年3月共建工作月度总结" in html
    assert "小西坪社区" in html
    for _group, rows in s.headline_groups():
        for key, _label, figure in rows:
            assert _figure_cell(html, key) == figure.display
    assert _figure_cell(html, "activities_held") == "3"
    assert _figure_cell(html, "attendance_rate") == "75.0%"
    assert "▲ 25.0 个百分点" in html
    assert "消防演练" in html and "亲子健身操" in html
    assert "蓝天救援队" in html and "1/1" in html
    assert "爸妈食堂" in html and "▲ 40%" in html
    assert "徐婕瑜伽 · 徐婕瑜伽入驻协议 · 2026-04-20 到期" in html
    # Published quote with the name masked; nobody's full name or phone on the page.
    assert "王**" in html
    for resident in march.residents:
        assert resident.name not in html or resident.name == "已注销居民"
        assert not resident.phone or resident.phone not in html
    # Chart data for summary.js, and its footnote explaining attendance.
    assert '<script id="summary-data" type="application/json">' in html
    assert "js/summary.js" in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "按活动举办月份计" in html


def test_the_page_keeps_to_the_content_security_policy(march, staff_client):
    html = staff_client.get(MARCH).content.decode()
    assert "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'media="print"' in html and "css/summary-print.css" in html


def test_a_month_with_no_data_reads_zero_and_dashes(staff_client):
    html = staff_client.get("/summary/2025/06/").content.decode()
    assert _figure_cell(html, "activities_held") == "0"
    assert _figure_cell(html, "attendance_rate") == "—"
    assert _figure_cell(html, "household_coverage") == "—"
    assert "这个月还没有活动" in html


def test_previous_and_next_month_links(march, staff_client):
    html = staff_client.get(MARCH).content.decode()
    assert 'href="/summary/2026/02/" rel="prev"' in html
    assert 'href="/summary/2026/04/" rel="next"' in html
    assert 'href="/summary/2026/"' in html
    current = staff_client.get("/summary/").content.decode()
    assert 'rel="next"' not in current  # nothing after the month we are in


def test_single_digit_months_are_accepted(staff_client):
    assert staff_client.get("/summary/2026/3/").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/summary/2026/13/", "/summary/2026/00/", "/summary/1999/12/", "/summary/2026/13/export.xlsx"],
)
def test_months_that_do_not_exist_are_404(staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 404


def test_a_future_month_is_a_friendly_404(staff_client):
    year, month = add_months(*_this_month(), 1)
    response = staff_client.get(f"/summary/{year:04d}/{month:02d}/")
    assert response.status_code == 404
    assert "还没有到" in response.content.decode()
    assert staff_client.get(f"/summary/{year:04d}/{month:02d}/export.xlsx").status_code == 404


def test_the_current_month_says_it_is_still_running(staff_client):
    html = staff_client.get("/summary/").content.decode()
    assert "本月尚未结束" in html


def test_the_summary_works_in_english_too(march, staff_client):
    assert staff_client.get("/en/summary/2026/03/").status_code == 200


def test_post_is_refused(staff_client):
    assert staff_client.post(MARCH).status_code == 405


# --- the month picker ------------------------------------------------------------------


def test_the_month_picker_goes_to_the_month(staff_client):
    response = staff_client.get("/summary/go/", {"month": "2026-03"})
    assert response.status_code == 302
    assert response["Location"] == MARCH


def test_full_width_digits_from_a_chinese_input_method_are_understood(staff_client):
    response = staff_client.get("/summary/go/", {"month": "２０２６-０３"})
    assert response["Location"] == MARCH


@pytest.mark.parametrize(
    "value", ["", "abc", "2026-13", "2026-00", "26-3", "2026-03-01", "1999-12"]
)
def test_bad_picker_input_gives_a_message_not_an_error(staff_client, value):
    response = staff_client.get("/summary/go/", {"month": value}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/summary/"
    assert "请选择一个有效的月份" in response.content.decode()


def test_a_future_month_in_the_picker_says_there_is_no_data_yet(staff_client):
    year, month = add_months(*_this_month(), 2)
    response = staff_client.get("/summary/go/", {"month": f"{year}-{month:02d}"}, follow=True)
    assert response.redirect_chain[-1][0] == "/summary/"
    assert "还没有到，暂无数据" in response.content.decode()


# --- the year so far -------------------------------------------------------------------


def test_the_year_page_lists_the_months_so_far(march, staff_client):
    html = staff_client.get("/summary/2026/").content.decode()
    assert "2026年共建工作累计" in html
    assert 'href="/summary/2026/03/"' in html
    # 5 activities, 7 attended; 4 households over the year (not 1 + 4 + 0).
    assert re.search(
        r"全年（不重复）</th>\s*<td class=\"num\">5</td>\s*<td class=\"num\">7</td>"
        r"\s*<td class=\"num\">4</td>",
        html,
    )
    assert "服务居民（不重复）" in html


def test_a_future_year_is_404(staff_client):
    assert staff_client.get(f"/summary/{_this_month()[0] + 1}/").status_code == 404


# --- Excel -----------------------------------------------------------------------------


def _workbook(response):
    return load_workbook(io.BytesIO(response.content))


def test_the_excel_download_has_the_right_type_and_name(march, staff_client):
    response = staff_client.get(MARCH + "export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="summary-2026-03.xlsx"')
    assert "filename*=UTF-8''" in disposition
    assert "%E5%B0%8F%E8%A5%BF%E5%9D%AA" in disposition  # 小西坪
    assert _workbook(response).sheetnames == [
        "总览",
        "共建单位",
        "活动",
        "服务项目",
        "12个月趋势",
        "党员志愿服务",
    ]


def test_the_excel_numbers_equal_the_functions(march, staff_client):
    s = monthly_summary(year=2026, month=3)
    wb = _workbook(staff_client.get(MARCH + "export.xlsx"))

    overview = {
        (row[0], row[1]): row[2:5]
        for row in wb["总览"].iter_rows(min_row=5, values_only=True)
        if row[0] and row[1]
    }
    for group, rows in s.headline_groups():
        for _key, label, figure in rows:
            assert overview[(str(group), str(label))] == (
                figure.value,
                figure.previous,
                figure.change,
            ), label
    assert overview[("活动类别", "健康运动")] == (2, 1, 1)
    assert overview[("服务项目", "本月完成")][0] == 1

    partners = list(wb["共建单位"].iter_rows(min_row=5, values_only=True))
    assert [r[0] for r in partners] == [p.name for p in s.partners]
    for row, p in zip(partners, s.partners, strict=True):
        assert row[4:10] == (
            p.activities,
            p.attendance,
            p.rating,
            p.ratings,
            p.commitments_met,
            p.commitments_total,
        )

    activities = list(wb["活动"].iter_rows(min_row=5, values_only=True))
    assert [r[1] for r in activities[:-1]] == [a.title for a in s.activities]
    assert activities[0][0].strftime("%Y-%m-%d %H:%M") == "2026-03-10 10:00"  # local time
    assert activities[-1][0] == "合计"
    assert activities[-1][6:9] == (s.confirmed.value, s.attendance.value, s.unmet_demand.value)
    assert sum(r[7] for r in activities[:-1]) == s.attendance.value

    trend = list(wb["12个月趋势"].iter_rows(min_row=4, values_only=True))
    header, rows = trend[0], trend[1:]
    assert [r[0] for r in rows] == [m.key for m in s.trend]
    column = {name: i for i, name in enumerate(header)}
    assert [r[column["参加（人次）"]] for r in rows] == [m.attendance for m in s.trend]
    assert [r[column["服务家庭（户）"]] for r in rows] == [m.households for m in s.trend]
    assert [r[column["健康运动"]] for r in rows] == [m.category_count("health") for m in s.trend]


def test_the_excel_of_an_empty_month_leaves_rates_blank(staff_client):
    wb = _workbook(staff_client.get("/summary/2025/06/export.xlsx"))
    rows = {r[1]: r[2:5] for r in wb["总览"].iter_rows(min_row=5, values_only=True) if r[1]}
    assert rows["到场率"] == (None, None, None)
    assert rows["举办活动（场）"] == (0, 0, 0)


# --- speed -----------------------------------------------------------------------------


def _page_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_page_and_excel_queries_do_not_grow_with_the_data(march, staff_client):
    page, excel = (
        _page_queries(staff_client, MARCH),
        _page_queries(staff_client, MARCH + "export.xlsx"),
    )
    _grow(5)
    ResidentFactory.create_batch(5, user=None)
    assert _page_queries(staff_client, MARCH) == page
    assert _page_queries(staff_client, MARCH + "export.xlsx") == excel


def test_year_zero_is_not_a_summary_url():
    from django.urls import NoReverseMatch, resolve
    from django.urls.exceptions import Resolver404

    with pytest.raises(Resolver404):
        resolve("/summary/0000/01/")
    with pytest.raises(NoReverseMatch):
        reverse("summary:month", kwargs={"year": 0, "month": 1})


# --- the month's activities: the most attended ones, all of them on request -------------


def _activity_titles(html: str) -> list[str]:
    table = html.split('id="month-activities"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">([^<]+)<span class="cell-note">', table)


def test_a_month_with_few_activities_lists_them_all_in_date_order(march, staff_client):
    html = staff_client.get(MARCH).content.decode()
    s = monthly_summary(year=2026, month=3)
    assert _activity_titles(html) == [a.title for a in s.activities]
    assert 'href="?activities=all' not in html


def test_a_busy_month_lists_the_most_attended_and_links_to_all(march, staff_client, monkeypatch):
    monkeypatch.setattr("summary.templatetags.summary_tags.TOP_ACTIVITIES_SHOWN", 2)
    s = monthly_summary(year=2026, month=3)
    ranked = sorted(s.activities, key=lambda a: (-a.attended, a.starts_at, a.pk))

    html = staff_client.get(MARCH).content.decode()
    assert _activity_titles(html) == [a.title for a in ranked[:2]]
    assert "参加人次最多的 2 场" in html
    assert 'href="?activities=all#activities-heading"' in html
    assert "下载Excel（每场活动一行）" in html

    everything = staff_client.get(MARCH, {"activities": "all"}).content.decode()
    assert _activity_titles(everything) == [a.title for a in s.activities]
    assert 'href="?activities=all' not in everything
