"""The partner directory (百宝箱) and a partner's public page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.models import Agreement
from tests.activities.factories_site import populate
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    FeedbackFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
)

pytestmark = pytest.mark.django_db


def test_directory_groups_active_partners_by_category(client):
    PartnerFactory(name="蓝天救援队", category="rescue")
    PartnerFactory(name="甘肃锐诚律师事务所", category="legal")
    PartnerFactory(name="已退出的单位", category="legal", is_active=False)
    response = client.get(reverse("activities:partners"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "蓝天救援队" in html and "甘肃锐诚律师事务所" in html
    assert "已退出的单位" not in html
    # Sections in the order categories are declared: rescue (应急救援) before legal (法律服务).
    rescue, legal = html.index('id="cat-rescue"'), html.index('id="cat-legal"')
    assert rescue < html.index("蓝天救援队") < legal < html.index("甘肃锐诚律师事务所")


def test_directory_shows_what_partners_offer(client):
    partner = PartnerFactory(name="徐婕瑜伽", category="fitness")
    ResourceCommitmentFactory(partner=partner, title="公益瑜伽课", frequency="每月两次")
    ResourceCommitmentFactory(partner=partner, title="已停止的课", is_active=False)
    html = client.get(reverse("activities:partners")).content.decode()
    assert "公益瑜伽课" in html and "每月两次" in html
    assert "已停止的课" not in html


def test_partner_page_shows_offers_agreement_term_activities_and_contact(client):
    partner = PartnerFactory(
        name="蓝天救援队", description="专业应急救援志愿队伍。", contact_phone="0931-1234567"
    )
    ResourceCommitmentFactory(partner=partner, title="每季度一次消防演练")
    today = timezone.localdate()
    AgreementFactory(
        partner=partner,
        status=Agreement.Status.EXPIRED,
        starts_on=today - dt.timedelta(days=800),
        ends_on=today - dt.timedelta(days=400),
    )
    AgreementFactory(
        partner=partner,
        starts_on=dt.date(today.year - 1, 4, 1),
        ends_on=dt.date(today.year + 1, 3, 31),
    )
    ActivityFactory(title="电梯困人救援演练", partners=[partner])
    start = timezone.now() - dt.timedelta(days=30)
    ActivityFactory(
        title="消防演练", partners=[partner], starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    ActivityFactory(title="别家的活动")
    response = client.get(reverse("activities:partner", args=[partner.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "专业应急救援志愿队伍。" in html
    assert "每季度一次消防演练" in html
    assert f"{today.year - 1}-04-01 至 {today.year + 1}-03-31" in html
    assert "电梯困人救援演练" in html and "消防演练" in html
    assert html.index("电梯困人救援演练") < html.index("往期活动") < html.index(">消防演练<")
    assert "别家的活动" not in html
    assert "0931-1234567" in html  # an organisation's phone is public


def test_partner_page_without_an_agreement_in_force_says_so(client):
    partner = PartnerFactory()
    AgreementFactory(partner=partner, status=Agreement.Status.DRAFT, signed_on=None)
    html = client.get(reverse("activities:partner", args=[partner.pk])).content.decode()
    assert "暂无生效中的协议。" in html


def test_partner_page_shows_published_feedback_with_masked_names(client):
    partner = PartnerFactory()
    start = timezone.now() - dt.timedelta(days=3)
    activity = ActivityFactory(
        partners=[partner], starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    author = ResidentFactory(name="欧阳娜娜", phone="13900000002")
    FeedbackFactory(
        signup__activity=activity,
        signup__resident=author,
        comment="受益匪浅",
        may_publish=True,
        is_published=True,
    )
    html = client.get(reverse("activities:partner", args=[partner.pk])).content.decode()
    assert "受益匪浅" in html and "欧***" in html
    assert "欧阳娜娜" not in html and "13900000002" not in html


def test_partner_page_hides_private_plans(client):
    partner = PartnerFactory()
    ActivityFactory(title="内部筹备", partners=[partner], status="planned", is_public=False)
    html = client.get(reverse("activities:partner", args=[partner.pk])).content.decode()
    assert "内部筹备" not in html


def test_unknown_partner_is_not_found(client):
    assert client.get(reverse("activities:partner", args=[999999])).status_code == 404


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("logged_in", [True, False], ids=["resident", "anonymous"])
def test_partner_pages_query_counts_do_not_grow_with_data(client, logged_in):
    resident = ResidentFactory()
    if logged_in:
        client.force_login(resident.user)
    partner = PartnerFactory()
    AgreementFactory(partner=partner)
    ResourceCommitmentFactory(partner=partner)
    urls = [reverse("activities:partners"), reverse("activities:partner", args=[partner.pk])]
    populate(5, resident=resident, partner=partner)
    small = [_count(client, url) for url in urls]
    populate(195, resident=resident, partner=partner, start=5)
    large = [_count(client, url) for url in urls]
    assert small == large


def test_a_partner_that_has_left_keeps_its_page_but_not_its_contact_person(client):
    partner = PartnerFactory(
        name="已撤离的单位", is_active=False, contact_name="李联系", contact_phone="0931-1234567"
    )
    page = client.get(reverse("activities:partner", args=[partner.pk])).content.decode()
    assert "已撤离的单位" in page and "已不在驻" in page
    assert "李联系" not in page and "0931-1234567" not in page
