"""The partner scorecard for the annual review: known-answer figures, the year page
(sortable, queries flat), print and Excel, who may read it."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity, Need, SignUp
from partners.models import Lead, ResourceCommitment
from summary.scorecard import partner_scorecard, year_lines
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    FeedbackFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    ServiceProjectFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2025


def _at(month, day, hour=9, minute=0, year=YEAR):
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def _activity(partners, starts, *, hours=2, status=Activity.Status.HELD, commitment=None):
    return ActivityFactory(
        partners=partners,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
        status=status,
        commitment=commitment,
        capacity=None,
    )


@pytest.fixture
def yoga():
    """徐婕瑜伽 in 2025, with known counts:

    - held: 10 Jan, 10 Feb, 10 Feb (joint with 蓝天), 31 Dec 23:00–23:30 local (ends in 2025);
      not counted: a cancelled one in March, one ending 00:30 on 1 Jan 2026, one in 2024.
    - sign-ups on held ones: 王 (attended twice, same household as 李), 李 (attended once),
      张 (confirmed, absent), 赵 (waitlisted): confirmed 4 → attended 3 → rate 75%,
      residents 2, households 1.
    - ratings 5 (published, comment) and 3 (not published): average 4.0.
    - a monthly commitment, once a month, in an agreement for 2025: 12 promised, 3 linked
      held → not met; a one-off talk, held → met: 1/2.
    - needs: one resolved by its project in 2025, one in 2026, one still in the project.
    - one lead converted to it.
    """
    partner = PartnerFactory(name="徐婕瑜伽")
    other = PartnerFactory(name="蓝天救援队")
    agreement = AgreementFactory(
        partner=partner,
        signed_on=dt.date(2024, 12, 20),
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    monthly = ResourceCommitmentFactory(
        partner=partner, agreement=agreement, title="公益瑜伽课", times_per_month=1
    )
    talk = ResourceCommitmentFactory(
        partner=partner,
        agreement=agreement,
        title="健康讲座",
        times_per_month=None,
        promise=ResourceCommitment.Promise.ONCE,
    )
    jan = _activity([partner], _at(1, 10), commitment=monthly)
    feb = _activity([partner], _at(2, 10), commitment=monthly)
    _activity([partner, other], _at(2, 10, 14), commitment=talk)
    _activity([partner], _at(12, 31, 23), hours=0.5, commitment=monthly)
    _activity([partner], _at(3, 10), status=Activity.Status.CANCELLED, commitment=monthly)
    _activity([partner], _at(12, 31, 23, 59), hours=0.6)  # ends in 2026
    _activity([partner], _at(6, 1, year=2024))

    wang = ResidentFactory(name="王秀英")
    li = ResidentFactory(name="李建国", household=wang.household)
    zhang = ResidentFactory(name="张伟")
    zhao = ResidentFactory(name="赵敏")
    attended = {"attended": True, "checked_in_at": _at(1, 10, 9, 5)}
    w1 = SignUpFactory(activity=jan, resident=wang, **attended)
    SignUpFactory(activity=feb, resident=wang, **attended)
    SignUpFactory(activity=jan, resident=li, **attended)
    SignUpFactory(activity=feb, resident=zhang)
    SignUpFactory(activity=feb, resident=zhao, status=SignUp.Status.WAITLISTED)
    FeedbackFactory(signup=w1, rating=5, comment="老师很耐心", may_publish=True, is_published=True)
    li_signup = SignUp.objects.get(activity=jan, resident=li)
    FeedbackFactory(signup=li_signup, rating=3, comment="还行")

    project = ServiceProjectFactory(partner=partner)
    NeedFactory(project=project, status=Need.Status.RESOLVED, resolved_at=_at(5, 1))
    NeedFactory(project=project, status=Need.Status.RESOLVED, resolved_at=_at(1, 5, year=2026))
    NeedFactory(project=project, status=Need.Status.IN_PROJECT)

    lead = LeadFactory(organisation="徐婕瑜伽")
    lead.stage, lead.partner, lead.closed_at = Lead.Stage.SIGNED, partner, _at(1, 1)
    lead.save()
    return partner


def test_scorecard_known_answers(yoga):
    card = partner_scorecard(partner=yoga, year=YEAR)
    line = card.line
    assert line.by_month == [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert line.activities == 4
    assert (line.residents, line.households) == (2, 1)
    assert (line.confirmed, line.attended, line.attendance_rate) == (4, 3, 0.75)
    assert (line.ratings, line.rating_avg) == (2, 4.0)
    assert [(q.rating, q.comment, q.resident) for q in card.quotes] == [(5, "老师很耐心", "王**")]
    assert (line.commitments_met, line.commitments_counted) == (1, 2)
    [term] = card.terms
    rows = {r.commitment.title: (r.promised, r.delivered) for r in term.rows}
    assert rows == {"公益瑜伽课": (12, 3), "健康讲座": (1, 1)}
    assert line.needs == 1
    assert line.leads == 1
    assert [a.title for a in card.agreements] == ["徐婕瑜伽入驻协议"]


def test_the_year_page_lists_every_partner_and_sorts(yoga, staff_client):
    lines = year_lines(year=YEAR, sort="activities", descending=True)
    assert [(line.name, line.activities) for line in lines] == [("徐婕瑜伽", 4), ("蓝天救援队", 1)]
    assert [line.name for line in year_lines(year=YEAR, sort="rating", descending=True)] == [
        "徐婕瑜伽",
        "蓝天救援队",  # no rating: last either way
    ]
    assert [line.name for line in year_lines(year=YEAR, sort="rating")] == [
        "徐婕瑜伽",
        "蓝天救援队",
    ]

    response = staff_client.get(
        reverse("summary:scorecards", args=[YEAR]), {"sort": "activities", "dir": "desc"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("徐婕瑜伽") < html.index("蓝天救援队")
    assert 'aria-sort="descending"' in html


def test_the_year_page_takes_the_same_queries_for_more_partners(
    yoga, staff_client, django_assert_max_num_queries
):
    url = reverse("summary:scorecards", args=[YEAR])
    staff_client.get(url)
    with django_assert_max_num_queries(20) as first:
        staff_client.get(url)
    for i in range(5):
        partner = PartnerFactory(name=f"新单位{i}")
        _activity([partner], _at(4, 1 + i))
        ResourceCommitmentFactory(partner=partner)
    with django_assert_max_num_queries(len(first.captured_queries)):
        staff_client.get(url)


def test_the_scorecard_page_prints_and_downloads(yoga, secretary_client):
    page = secretary_client.get(reverse("summary:scorecard", args=[YEAR, yoga.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-summary-print" in html and "老师很耐心" in html and "75.0%" in html

    response = secretary_client.get(reverse("summary:scorecard_export", args=[YEAR, yoga.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    overview = book.worksheets[0]
    figures = {
        overview.cell(row=r, column=1).value: overview.cell(row=r, column=2).value
        for r in range(4, 14)
    }
    assert figures["举办活动（场）"] == 4
    assert figures["出席率"] == 0.75


def test_residents_cannot_read_scorecards(yoga, resident_client):
    response = resident_client.get(reverse("summary:scorecard", args=[YEAR, yoga.pk]))
    assert response.status_code == 403
