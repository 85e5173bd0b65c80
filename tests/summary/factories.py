"""A small community month with known answers, shared by the summary's tests.

March 2026 (and February before it) in 小西坪社区. Every figure the summary should give for
March is written out in tests/activities/test_summary.py.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from activities.models import Activity, Category, ServiceProject, SignUp
from partners.models import Agreement, Lead
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    ComplexFactory,
    FeedbackFactory,
    HouseholdFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    ServiceProjectFactory,
    SignUpFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10, minute=0):
    """An aware datetime in Shanghai local time."""
    return dt.datetime(y, m, d, h, minute, tzinfo=SHANGHAI)


def signup(activity, resident, created, status=SignUp.Status.CONFIRMED, attended=False):
    return SignUpFactory(
        activity=activity,
        resident=resident,
        status=status,
        created_at=created,
        confirmed_at=created if status == SignUp.Status.CONFIRMED else None,
        cancelled_at=created if status == SignUp.Status.CANCELLED else None,
        attended=attended,
        checked_in_at=activity.starts_at if attended else None,
    )


def held_activity(
    title,
    category,
    starts,
    *,
    hours=2,
    capacity=10,
    partners=(),
    status=Activity.Status.HELD,
    commitment=None,
):
    return ActivityFactory(
        title=title,
        category=category,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
        capacity=capacity,
        status=status,
        partners=list(partners),
        commitment=commitment,
    )


def build_march_2026():
    """Build the fixture; return a namespace of the objects tests refer to."""
    ns = type("Fixture", (), {})()
    complex_ = ComplexFactory()  # 1,149 households
    building = BuildingFactory(complex=complex_, number="1号楼")
    h1, h2, h3, h4, h5 = (HouseholdFactory(building=building, room=f"10{i}") for i in range(1, 6))
    r1 = ResidentFactory(name="王秀英", household=h1)
    r2 = ResidentFactory(name="李建国", household=h1)
    r3 = ResidentFactory(name="张伟", household=h2, user=None)
    r4 = ResidentFactory(name="刘芳", household=h3)
    r5 = ResidentFactory(name="陈军", household=h4, is_party_member=True)
    r6 = ResidentFactory(name="赵敏", household=h5, is_party_member=True)
    ns.residents = (r1, r2, r3, r4, r5, r6)

    # Partners and agreements.
    p1 = PartnerFactory(name="蓝天救援队")
    p2 = PartnerFactory(name="徐婕瑜伽")
    p3 = PartnerFactory(name="甘肃兴邦社会工作服务中心", short_name="兴邦社工")
    p4 = PartnerFactory(name="已退出单位", is_active=False)
    p5 = PartnerFactory(name="中国移动")
    ns.partners = (p1, p2, p3, p4, p5)
    AgreementFactory(
        partner=p1,
        complex=complex_,
        signed_on=dt.date(2025, 1, 1),
        starts_on=dt.date(2025, 1, 1),
        ends_on=None,
    )
    AgreementFactory(
        partner=p2,
        complex=complex_,
        signed_on=dt.date(2026, 3, 5),
        starts_on=dt.date(2026, 3, 5),
        ends_on=dt.date(2026, 4, 20),
    )
    a3 = AgreementFactory(
        partner=p3,
        complex=complex_,
        status=Agreement.Status.EXPIRED,
        signed_on=dt.date(2025, 3, 1),
        starts_on=dt.date(2025, 3, 16),
        ends_on=dt.date(2026, 3, 15),
    )
    AgreementFactory(
        partner=p3,
        complex=complex_,
        renews=a3,
        signed_on=dt.date(2026, 3, 10),
        starts_on=dt.date(2026, 3, 16),
        ends_on=dt.date(2027, 3, 15),
    )
    AgreementFactory(
        partner=p4,
        complex=complex_,
        status=Agreement.Status.TERMINATED,
        signed_on=dt.date(2025, 6, 1),
        starts_on=dt.date(2025, 6, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    AgreementFactory(
        partner=p5,
        complex=complex_,
        status=Agreement.Status.DRAFT,
        signed_on=None,
        starts_on=dt.date(2026, 3, 1),
        ends_on=None,
    )
    c1 = ResourceCommitmentFactory(partner=p1, title="每月一次应急演练", times_per_month=1)
    c2 = ResourceCommitmentFactory(partner=p2, title="每月两次公益瑜伽课", times_per_month=2)

    # March: three activities held, one cancelled, one just after midnight on 1 April.
    x1 = held_activity("消防演练", Category.SAFETY, at(2026, 3, 10), partners=[p1], commitment=c1)
    x2 = held_activity(
        "公益瑜伽课",
        Category.HEALTH,
        at(2026, 3, 31, 21, 30),
        capacity=None,
        partners=[p2],
        commitment=c2,
    )  # ends 23:30 local
    x3 = held_activity(
        "亲子健身操",
        Category.HEALTH,
        at(2026, 3, 20),
        capacity=4,
        partners=[p2, p1],
        status=Activity.Status.OPEN,
    )  # over, not marked
    x4 = held_activity(
        "小区音乐节",
        Category.CULTURE,
        at(2026, 3, 25),
        partners=[p5],
        status=Activity.Status.CANCELLED,
    )
    x5 = held_activity(
        "法律援助进小区", Category.LEGAL, at(2026, 3, 31, 22, 30), partners=[p3]
    )  # ends 00:30 on 1 April local (still 31 March in UTC)
    # February: one activity.
    x6 = held_activity(
        "电梯困人救援演练", Category.HEALTH, at(2026, 2, 15), capacity=5, partners=[p1]
    )
    ns.activities = (x1, x2, x3, x4, x5, x6)

    feb28 = at(2026, 2, 28, 20)
    s = {}
    s["x1r1"] = signup(x1, r1, feb28, attended=True)
    s["x1r2"] = signup(x1, r2, feb28, attended=True)
    signup(x1, r3, feb28)
    signup(x1, r4, feb28, SignUp.Status.WAITLISTED)
    signup(x1, r5, feb28, SignUp.Status.CANCELLED)
    mar1 = at(2026, 3, 1, 0, 10)  # 28 February 16:10 in UTC
    s["x2r1"] = signup(x2, r1, mar1, attended=True)
    s["x2r5"] = signup(x2, r5, mar1, attended=True)
    signup(x2, r6, mar1)
    mar15 = at(2026, 3, 15)
    s["x3r3"] = signup(x3, r3, mar15, attended=True)
    s["x3r4"] = signup(x3, r4, mar15, attended=True)
    signup(x3, r6, mar15, SignUp.Status.WAITLISTED)
    signup(x4, r1, at(2026, 3, 2))
    signup(x5, r2, at(2026, 3, 31, 23, 30))
    s["x6r1"] = signup(x6, r1, at(2026, 2, 1), attended=True)
    signup(x6, r2, at(2026, 2, 1))
    ns.signups = s

    FeedbackFactory(
        signup=s["x1r1"],
        rating=5,
        comment="学会了心肺复苏，很实用。",
        may_publish=True,
        is_published=True,
    )
    FeedbackFactory(
        signup=s["x1r2"], rating=4, comment="演练很真实。", may_publish=True, is_published=True
    )
    FeedbackFactory(signup=s["x2r5"], rating=4, comment="老师耐心。", may_publish=True)
    FeedbackFactory(signup=s["x3r3"], rating=4, comment="")
    FeedbackFactory(
        signup=s["x6r1"], rating=2, comment="时间太短。", may_publish=True, is_published=True
    )

    # r2 later deleted their data: anonymised, no login, no phone.
    r2.name = "已注销居民"
    r2.phone = ""
    r2.user = None
    r2.anonymised_at = at(2026, 6, 1)
    r2.save()

    # Leads.
    LeadFactory(offered_by=r1, created_at=at(2026, 3, 3))
    LeadFactory(
        offered_by=r5,
        created_at=at(2026, 2, 10),
        stage=Lead.Stage.SIGNED,
        partner=p2,
        closed_at=at(2026, 3, 5),
    )
    LeadFactory(
        offered_by=r5,
        created_at=at(2026, 1, 5),
        stage=Lead.Stage.DROPPED,
        closed_at=at(2026, 2, 20),
    )
    LeadFactory(offered_by=r4, created_at=at(2026, 3, 20), stage=Lead.Stage.CONTACTED)

    # Needs.
    NeedFactory(resident=r1, created_at=at(2026, 3, 2))
    NeedFactory(
        resident=r3, created_at=at(2026, 2, 20), status="resolved", resolved_at=at(2026, 3, 10)
    )
    NeedFactory(resident=r4, created_at=at(2026, 3, 5), status="accepted")
    NeedFactory(
        resident=r4, created_at=at(2026, 1, 10), status="resolved", resolved_at=at(2026, 2, 5)
    )

    # Service projects.
    ServiceProjectFactory(
        title="供水管网更换",
        complex=complex_,
        partner=p5,
        status=ServiceProject.Status.DONE,
        progress=100,
        starts_on=dt.date(2026, 1, 10),
        due_on=dt.date(2026, 3, 31),
        finished_on=dt.date(2026, 3, 20),
    )
    canteen = ServiceProjectFactory(
        title="爸妈食堂",
        complex=complex_,
        partner=p3,
        status=ServiceProject.Status.IN_PROGRESS,
        progress=20,
        starts_on=dt.date(2026, 2, 1),
        due_on=dt.date(2026, 9, 30),
    )
    canteen.history.update(history_date=at(2026, 2, 10))
    canteen.progress = 60
    canteen.save()
    canteen.history.filter(progress=60).update(history_date=at(2026, 3, 18))
    canteen.progress = 70  # April's progress: not March's
    canteen.save()
    canteen.history.filter(progress=70).update(history_date=at(2026, 4, 18))
    ServiceProjectFactory(
        title="小区枯树枝修剪",
        complex=complex_,
        status=ServiceProject.Status.DONE,
        progress=100,
        starts_on=dt.date(2025, 12, 1),
        due_on=dt.date(2026, 1, 31),
        finished_on=dt.date(2026, 1, 15),
    )
    ServiceProjectFactory(
        title="小区音乐节筹备",
        complex=complex_,
        status=ServiceProject.Status.PLANNED,
        progress=0,
        starts_on=dt.date(2026, 6, 1),
        due_on=dt.date(2026, 7, 1),
    )
    return ns
