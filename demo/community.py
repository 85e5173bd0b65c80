"""The demo community loaded by `manage.py load_demo` (issue 2).

小西坪社区 → 铁建丽苑小区 as the Lanzhou Daily report tells it (see seed/FACTS.md): six
buildings, 1,149 households, 36 party members, ten signed partners, the article's projects
and activities; plus 300 invented residents with logins, a year of activity history, and
several upcoming activities open for sign-up.

How it stays idempotent and fast:
- every row has a natural key (a name, a title, a phone number, an address); rows are
  created when missing and updated only when a value differs, so a second run on the same
  day writes nothing (and adds no audit-history rows);
- activities that recur under one title (公益瑜伽课 twice a month…) are matched to the
  stored ones of that title in creation order;
- every date is an offset from `timezone.localdate()` at a fixed time of day, so the pages
  look alive whenever the command runs, and a rerun on the same day computes the same
  values;
- invented people come from a seeded `random.Random`, never from the clock;
- the password is hashed once and the hash reused for every login.

Sign-ups for past activities are history and are written directly; sign-ups for upcoming
activities go through `activities.services.sign_up`, like a resident's own.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from activities import rollups, services
from activities.models import (
    Activity,
    CallListEntry,
    Category,
    Feedback,
    Milestone,
    Need,
    ServiceProject,
    SignUp,
)
from core.roles import SECRETARY_GROUP, STAFF_GROUP
from partners.models import Agreement, Lead, Partner, ResourceCommitment
from residents.models import Building, Community, Complex, Household, Resident, Subdistrict

from .subdistrict import load_neighbours
from .volunteer_service import load_volunteering

SEED = 2013
PASSWORD = "demo12345"
RESIDENT_COUNT = 300
PARTY_MEMBER_COUNT = 36
FIRST_PHONE = 13900000001
STAFF_USERNAME = "staff"
SECRETARY_USERNAME = "secretary"
SITE_URL = "http://127.0.0.1:8000"

SUBDISTRICT = "西站街道"
COMMUNITY = "小西坪社区"
COMPLEX = "铁建丽苑小区"
SERVICE_SITE = "小区党员阵地"

# --- places ---------------------------------------------------------------------------

#: (number, units, households): six buildings, 1,149 households in all.
BUILDINGS = [
    ("1号楼", 3, 198),
    ("2号楼", 3, 198),
    ("3号楼", 3, 192),
    ("4号楼", 3, 187),
    ("5号楼", 3, 187),
    ("6号楼", 3, 187),
]
BUILDING_NUMBERS = [number for number, _units, _households in BUILDINGS]

SUBDISTRICT_VALUES = {
    "city": "兰州",
    "phone": "0931-2650100",
    "address": "兰州市七里河区西站街道办事处",
}
COMMUNITY_VALUES = {
    "city": "兰州",
    "party_secretary": "刘建华",
    "phone": "0931-2650101",
    "address": "兰州市七里河区建西东路小西坪社区党群服务中心",
}
COMPLEX_VALUES = {
    "built_year": 2013,
    "household_count": 1149,
    "resident_count": 2300,
    "party_member_count": 36,
    "service_site_name": SERVICE_SITE,
    "service_site_address": "兰州市七里河区建西东路铁建丽苑小区3号楼底商",
    "description": (
        "铁建丽苑小区建成于2013年，共6栋楼，常住1149户2300余人，党员36人。小区北依兰新铁路，"
        "南靠建西东路，周边服务设施较少。社区党委发出招募令，引入社会资源入驻小区党员阵地，"
        "让阵地成为居民身边的“百宝箱”。"
    ),
}

PLACE_ROOM = "小区党员阵地活动室"
PLACE_HALL = "小区党员阵地多功能厅"
PLACE_SQUARE = "小区中心广场"

# --- invented people ------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许沈曾彭吕苏卢蒋蔡贾"
    "丁魏薛叶闫余潘杜戴夏钟汪田任姜范方石姚谭廖邹金陆孔白崔康毛秦江史顾侯邵孟段雷钱汤常武乔"
    "贺龚文牛包祁"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官")


def _words(text: str) -> list[str]:
    return text.split()


GIVEN = {
    ("old", "m"): _words(
        "建国 建华 国庆 国强 志刚 卫东 永庆 德胜 振华 福生 保国 树林 长生 金山 海东 "
        "有才 玉明 建军 明德 新民 学文 世荣 兴旺 占魁 忠 林 明 刚 全福 万里"
    ),
    ("old", "f"): _words(
        "秀英 桂兰 玉兰 淑珍 秀兰 凤英 桂英 淑芬 玉珍 丽华 美兰 春梅 冬梅 桂芳 素芬 "
        "慧敏 红梅 雪梅 玉梅 兰英 金凤 霞 芳 敏 秀珍 月娥 翠英 玉芬"
    ),
    ("mid", "m"): _words(
        "伟 磊 军 强 斌 涛 勇 鹏 海涛 志勇 建平 晓东 立新 卫国 宏伟 俊杰 文博 永刚 亮 "
        "峰 继红 国栋 文斌 海军"
    ),
    ("mid", "f"): _words(
        "丽 静 燕 娟 艳 晓燕 丽娟 海燕 红霞 晓红 雪莲 婷 慧 琳 晓梅 丽萍 春燕 彩霞 "
        "小琴 文静 亚萍 玉洁"
    ),
    ("young", "m"): _words(
        "浩 宇 博 子豪 浩然 宇航 鑫 晨阳 一鸣 嘉诚 天佑 梓轩 思远 昊天 文轩 瑞 泽宇 子健"
    ),
    ("young", "f"): _words(
        "欣怡 雨涵 思琪 佳怡 梦瑶 诗涵 雅婷 子涵 欣然 晓雪 梓涵 可欣 雨欣 紫萱 佳琪 一诺"
    ),
    ("child", "m"): _words("梓睿 子墨 沐宸 浩宇 奕辰 俊宇 锦程 睿泽 宇轩 皓轩"),
    ("child", "f"): _words("一诺 诗琪 雨桐 欣妍 梓萱 若汐 语桐 可馨 嘉懿 依依"),
}

#: (kind, weight): the make-up of the households of the demo residents.
HOUSEHOLD_KINDS = [
    ("elderly_single", 15),
    ("elderly_couple", 30),
    ("middle_couple", 15),
    ("young_family", 20),
    ("three_generations", 12),
    ("young_single", 8),
]


@dataclass
class PersonPlan:
    """One invented resident: with a login (phone set) or a child without one."""

    name: str
    birth_year: int
    gender: str
    phone: str = ""
    email: str = ""
    is_party_member: bool = False
    is_verified: bool = True
    registered: dt.datetime | None = None


@dataclass
class HouseholdPlan:
    building: str
    unit: str
    room: str
    size: int
    adults: list[PersonPlan] = field(default_factory=list)
    children: list[PersonPlan] = field(default_factory=list)


def _era(birth_year: int) -> str:
    if birth_year <= 1962:
        return "old"
    if birth_year <= 1985:
        return "mid"
    return "young"


def _name(rng: random.Random, surname: str, era: str, gender: str) -> str:
    return surname + rng.choice(GIVEN[(era, gender)])


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(COMPOUND_SURNAMES)
    return rng.choice(SURNAMES)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """`day` at the given local time, aware (Asia/Shanghai)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def _address_plan(rng: random.Random, taken: set) -> tuple[str, str, str]:
    """A free (building, unit, room) address, e.g. ("3号楼", "2", "1502")."""
    weights = [households for _number, _units, households in BUILDINGS]
    while True:
        number, units, households = rng.choices(BUILDINGS, weights=weights)[0]
        floors = -(-households // (units * 2))
        address = (
            number,
            str(rng.randint(1, units)),
            f"{rng.randint(1, floors)}{rng.randint(1, 2):02d}",
        )
        if address not in taken:
            taken.add(address)
            return address


def plan_households(today: dt.date) -> list[HouseholdPlan]:
    """The demo residents and their households; the same every time for the same year.

    300 residents with logins (phones 13900000001 …), many of them elderly, exactly 36
    party members; some households have a school-age child without a login.
    """
    rng = random.Random(SEED)
    taken: set = set()
    households: list[HouseholdPlan] = []
    adults: list[PersonPlan] = []
    kinds = [kind for kind, _weight in HOUSEHOLD_KINDS]
    weights = [weight for _kind, weight in HOUSEHOLD_KINDS]

    def adult(surname: str, born: int, gender: str) -> PersonPlan:
        born = min(max(born, 1940), 2005)
        return PersonPlan(
            name=_name(rng, surname, _era(born), gender), birth_year=born, gender=gender
        )

    def child(surname: str) -> PersonPlan:
        gender = rng.choice("mf")
        return PersonPlan(
            name=_name(rng, surname, "child", gender),
            birth_year=today.year - rng.randint(8, 12),
            gender=gender,
        )

    while len(adults) < RESIDENT_COUNT:
        kind = rng.choices(kinds, weights=weights)[0]
        husband, wife = _surname(rng), _surname(rng)
        members: list[PersonPlan] = []
        kids: list[PersonPlan] = []
        if kind == "elderly_single":
            members.append(adult(husband, rng.randint(1940, 1958), rng.choice("mff")))
        elif kind == "elderly_couple":
            born = rng.randint(1940, 1962)
            members += [adult(husband, born, "m"), adult(wife, born + rng.randint(-1, 4), "f")]
        elif kind == "middle_couple":
            born = rng.randint(1963, 1979)
            members += [adult(husband, born, "m"), adult(wife, born + rng.randint(-1, 4), "f")]
        elif kind == "young_family":
            born = rng.randint(1982, 1994)
            members.append(adult(husband, born, "m"))
            if rng.random() < 0.7:
                members.append(adult(wife, born + rng.randint(-1, 3), "f"))
            if rng.random() < 0.7:
                kids.append(child(husband))
        elif kind == "three_generations":
            born = rng.randint(1945, 1960)
            members.append(adult(husband, born, rng.choice("mf")))
            members.append(adult(husband, born + rng.randint(25, 32), rng.choice("mf")))
            if rng.random() < 0.6:
                kids.append(child(husband))
        else:  # young_single
            members.append(adult(husband, rng.randint(1995, 2005), rng.choice("mf")))
        members = members[: RESIDENT_COUNT - len(adults)]
        adults += members
        building, unit, room = _address_plan(rng, taken)
        size = len(members) + len(kids) + rng.choice((0, 0, 0, 1, 1, 2))
        households.append(HouseholdPlan(building, unit, room, size, members, kids))

    # Logins, registration dates, e-mail, verification.
    for index, person in enumerate(adults, start=1):
        person.phone = str(FIRST_PHONE + index - 1)
        person.is_verified = rng.random() < 0.85
        person.registered = _at(
            today - dt.timedelta(days=rng.randint(20, 420)), rng.randint(8, 20), rng.randint(0, 59)
        )
        if index % 37 == 5:
            person.email = f"xxp{index:03d}@example.com"
    for household in households:
        first = household.adults[0]
        if household.children:
            # Staff have verified the guardian's address: they may sign their children up.
            first.is_verified = True
        for kid in household.children:
            kid.registered = first.registered
            kid.is_verified = True

    # Exactly 36 party members, most of them elderly (weighted sampling without replacement).
    keyed = sorted(
        adults,
        key=lambda p: rng.random() ** (1 / (3.0 if p.birth_year <= 1962 else 1.0)),
        reverse=True,
    )
    for person in keyed[:PARTY_MEMBER_COUNT]:
        person.is_party_member = True
    return households


# --- partners -------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentSpec:
    title: str
    frequency: str
    times_per_month: int | None
    description: str


@dataclass(frozen=True)
class PartnerSpec:
    name: str
    short_name: str
    category: str
    contact_name: str
    contact_phone: str
    address: str
    description: str
    joined: int  # days before today
    years: int  # length of the agreement
    commitments: tuple[CommitmentSpec, ...]


C = Partner.Category
PARTNERS = [
    PartnerSpec(
        "蓝天救援队",
        "蓝天救援",
        C.RESCUE,
        "马志勇",
        "13709310101",
        "兰州市七里河区",
        "专业公益应急救援队伍。队党支部与小区党员阵地联建微型救援站，配备急救箱、灭火器和"
        "破拆工具，定期开展消防演练、电梯困人救援演练和应急救护培训。",
        300,
        2,
        (
            CommitmentSpec(
                "联建微型救援站",
                "常年",
                None,
                "在小区党员阵地设微型救援站，配备急救箱、AED、灭火器，队员就近响应。",
            ),
            CommitmentSpec(
                "每季度一次应急救护培训",
                "每季度一次",
                None,
                "心肺复苏、AED使用、海姆立克急救法，培训后可参加考核。",
            ),
            CommitmentSpec(
                "每年两次消防与电梯救援演练",
                "每半年一次",
                None,
                "与物业联合组织，全体居民可观摩、参与。",
            ),
        ),
    ),
    PartnerSpec(
        "甘肃兴邦社会工作服务中心",
        "兴邦社工",
        C.SOCIAL_WORK,
        "杨晓燕",
        "13709310102",
        "兰州市七里河区西站街道",
        "专业社会工作服务机构，为小区老年人、困境家庭和青少年提供个案、小组和社区服务，"
        "承接“爸妈食堂”项目的运营与志愿者培训。",
        280,
        2,
        (
            CommitmentSpec(
                "每月一次长者生日会",
                "每月一次",
                1,
                "为当月过生日的老人集体庆生，社工带领手工、游戏和健康小讲堂。",
            ),
            CommitmentSpec(
                "爸妈食堂运营与志愿者培训",
                "常年",
                None,
                "协助食堂制定老人就餐登记、送餐上门和志愿者排班制度。",
            ),
        ),
    ),
    PartnerSpec(
        "徐婕瑜伽",
        "徐婕瑜伽",
        C.FITNESS,
        "徐婕",
        "13709310103",
        "兰州市七里河区建西东路",
        "社区周边的瑜伽工作室，老师每月两次到小区党员阵地开设公益瑜伽课，动作温和，"
        "适合中老年居民，自带瑜伽垫即可。",
        380,
        2,
        (
            CommitmentSpec(
                "每月两次公益瑜伽课",
                "每月两次",
                2,
                "每次60分钟，零基础可参加，阵地提供部分瑜伽垫。",
            ),
            CommitmentSpec(
                "体态评估与运动建议",
                "每季度一次",
                None,
                "为报名居民做简单体态评估，给出居家锻炼建议。",
            ),
        ),
    ),
    PartnerSpec(
        "中国移动",
        "中国移动",
        C.TELECOM,
        "张丽娟",
        "13709310104",
        "兰州市七里河区西站营业厅",
        "中国移动营业厅的党员服务队走进小区，手把手教老年人使用智能手机：视频通话、"
        "健康码、网上缴费和防范电信诈骗。",
        340,
        2,
        (
            CommitmentSpec(
                "每月一次老年人智能手机使用课",
                "每月一次",
                1,
                "小班教学，每次一个主题，请带上自己的手机。",
            ),
            CommitmentSpec(
                "话费与宽带业务上门咨询",
                "每季度一次",
                None,
                "在阵地设咨询台，办理业务、检测家庭宽带。",
            ),
        ),
    ),
    PartnerSpec(
        "甘肃锐诚律师事务所",
        "锐诚律所",
        C.LEGAL,
        "陈立新",
        "13709310105",
        "兰州市七里河区",
        "律师事务所的律师定期到小区党员阵地坐班，为居民免费解答婚姻家庭、房屋买卖、"
        "劳动争议、遗嘱继承等法律问题，符合条件的转介法律援助。",
        60,
        1,
        (
            CommitmentSpec(
                "每月一次法律咨询日", "每月一次", 1, "律师到阵地坐班半天，现场免费咨询。"
            ),
            CommitmentSpec(
                "法律援助案件转介", "按需", None, "对符合法律援助条件的居民，协助申请并跟进。"
            ),
        ),
    ),
    PartnerSpec(
        "中铁二十一局德盛和物业",
        "德盛和物业",
        C.PROPERTY,
        "赵国栋",
        "13709310106",
        "兰州市七里河区建西东路铁建丽苑小区物业服务中心",
        "小区物业服务企业。物业党支部与社区党委联建“红色物业”，党员楼长与物业联合巡查，"
        "承接供水管网更换、枯树枝修剪等项目。",
        420,
        2,
        (
            CommitmentSpec(
                "红色物业：党员楼长与物业联合巡查",
                "每周一次",
                4,
                "每周巡查楼道、消防通道和电梯，发现问题当周处理。",
            ),
            CommitmentSpec(
                "小区公共设施维修",
                "常年",
                None,
                "楼道灯、单元门、健身器材等公共设施报修48小时内处理。",
            ),
        ),
    ),
    PartnerSpec(
        "兰州高校大学生社会实践基地",
        "大学生实践基地",
        C.EDUCATION,
        "孙文博",
        "13709310107",
        "设在铁建丽苑小区党员阵地",
        "小区居民、高校教师牵线，学校把大学生社会实践基地设在小区党员阵地。大学生志愿者"
        "带领小区孩子做科学小实验，寒暑假开展课业辅导。",
        200,
        2,
        (
            CommitmentSpec(
                "每两周一次青少年科学兴趣小组", "每月两次", 2, "面向8至14岁的孩子，由家长代为报名。"
            ),
            CommitmentSpec(
                "寒暑假大学生志愿服务", "每年两次", None, "假期课业辅导、陪伴独居老人。"
            ),
        ),
    ),
    PartnerSpec(
        "西站社区卫生服务站",
        "卫生服务站",
        C.HEALTH,
        "郭慧敏",
        "13709310108",
        "兰州市七里河区西站街道",
        "社区卫生服务站的家庭医生团队每月到小区党员阵地义诊，为老年人测血压、测血糖，"
        "解答慢病用药问题，办理家庭医生签约。",
        250,
        2,
        (
            CommitmentSpec(
                "每月一次免费测血压与健康义诊",
                "每月一次",
                1,
                "测血压、测血糖，家庭医生现场解答慢病用药问题。",
            ),
            CommitmentSpec(
                "家庭医生签约咨询", "常年", None, "为65岁以上老人建立健康档案，办理家庭医生签约。"
            ),
        ),
    ),
    PartnerSpec(
        "铁建丽苑退休职工协会",
        "退休职工协会",
        C.CULTURE,
        "何建军",
        "13709310109",
        "铁建丽苑小区党员阵地",
        "小区里住着许多同一单位的退休职工。退休职工代表牵头成立协会，组织合唱团，"
        "带动老同事参与小区志愿服务，协助筹办小区音乐节。",
        230,
        2,
        (
            CommitmentSpec(
                "每月一次合唱团排练", "每月一次", 1, "欢迎喜欢唱歌的居民加入，不限年龄。"
            ),
            CommitmentSpec("协助筹办小区音乐节", "每年一次", None, "组织节目、邀请居民报名演出。"),
        ),
    ),
    PartnerSpec(
        "建西东路惠民大药房",
        "惠民大药房",
        C.HEALTH,
        "罗海燕",
        "13709310110",
        "兰州市七里河区建西东路",
        "小区南门外的便民药房，执业药师定期到阵地开展用药咨询和过期药品回收。",
        345,
        1,
        (
            CommitmentSpec(
                "过期药品回收与家庭药箱整理",
                "每半年一次",
                None,
                "回收过期药品，指导居民整理家庭药箱。",
            ),
            CommitmentSpec("慢病用药咨询", "每月一次", 1, "执业药师解答降压药、降糖药的服用问题。"),
        ),
    ),
    PartnerSpec(
        "西站街道便民家政服务社",
        "便民家政",
        C.OTHER,
        "田秀珍",
        "13709310111",
        "兰州市七里河区西站街道",
        "街道里的家政服务社，为独居和高龄老人上门打扫、清洗油烟机，"
        "每月在小区党员阵地开展一次便民服务日。",
        160,
        1,
        (
            CommitmentSpec(
                "每月一次便民服务日", "每月一次", 1, "磨刀、修伞、清洗油烟机，独居老人优先。"
            ),
        ),
    ),
]
#: The partner whose first agreement has expired and been renewed by a newer one.
RENEWED_PARTNER = "徐婕瑜伽"


PARTNERS_BY_NAME = {spec.name: spec for spec in PARTNERS}


# --- projects, leads, needs -----------------------------------------------------------


@dataclass(frozen=True)
class ProjectSpec:
    title: str
    category: str
    partner: str
    buildings: tuple[str, ...]
    status: str
    progress: int
    starts: int  # offset from today
    due: int
    finished: int | None
    description: str
    milestones: tuple[tuple[str, int, int | None], ...]  # (title, due offset, done offset)


P = ServiceProject.Status
PROJECTS = [
    ProjectSpec(
        "供水管网更换",
        Category.LIVING,
        "中铁二十一局德盛和物业",
        tuple(BUILDING_NUMBERS),
        P.DONE,
        100,
        -260,
        -150,
        -158,
        "小区建成十余年，供水主管老化锈蚀，高层住户水压低、水发黄。红色物业联建后，"
        "物业与供水公司分楼栋更换供水主管和入户阀门，解决了居民反映最多的供水不畅问题。",
        (
            ("管网勘察与更换方案公示", -240, -238),
            ("1—3号楼供水主管更换", -200, -196),
            ("4—6号楼供水主管更换", -165, -166),
            ("通水验收、入户回访", -150, -158),
        ),
    ),
    ProjectSpec(
        "小区枯树枝修剪",
        Category.LIVING,
        "中铁二十一局德盛和物业",
        ("2号楼", "4号楼", "6号楼"),
        P.DONE,
        100,
        -75,
        -55,
        -57,
        "对小区内枯死、断裂的树枝进行修剪清运，消除大风天坠落伤人、砸车的隐患。",
        (
            ("排查枯树枝并划定作业区域", -72, -72),
            ("修剪与清运", -55, -57),
        ),
    ),
    ProjectSpec(
        "爸妈食堂",
        Category.ELDERLY,
        "甘肃兴邦社会工作服务中心",
        tuple(BUILDING_NUMBERS),
        P.IN_PROGRESS,
        60,
        -120,
        60,
        None,
        "为小区独居、高龄老人提供午餐，子女上班的家庭不再担心老人吃饭问题。"
        "社工负责就餐登记和志愿者排班，行动不便的老人可以送餐上门。",
        (
            ("老人就餐需求入户调查", -110, -105),
            ("阵地厨房与餐厅改造", -60, -52),
            ("试运营（每周三天）", -20, -18),
            ("正式运营、开通送餐上门", 45, None),
        ),
    ),
    ProjectSpec(
        "正能量小区风气建设",
        Category.VOLUNTEER,
        "铁建丽苑退休职工协会",
        tuple(BUILDING_NUMBERS),
        P.IN_PROGRESS,
        30,
        -50,
        90,
        None,
        "征集小区文明公约，评选“好邻居”“最美楼道”，建设楼道文化墙，倡导邻里互助、"
        "不乱堆杂物、文明养犬。",
        (
            ("征集小区文明公约", -35, -30),
            ("“好邻居”评选", 20, None),
            ("楼道文化墙建设", 50, None),
        ),
    ),
]
PROJECTS_BY_TITLE = {spec.title: spec for spec in PROJECTS}

L = Lead.Stage
#: (organisation, stage, offer, relationship, contact, created offset, partner or None)
LEADS = [
    (
        "蓝天救援队",
        L.SIGNED,
        "我在救援队工作，可以向救援队党支部申请在小区里联建微型救援站。",
        "救援队队员",
        "队部办公室",
        -330,
        "蓝天救援队",
    ),
    (
        "兰州高校大学生社会实践基地",
        L.SIGNED,
        "我是高校老师，想联系学校把大学生社会实践基地设立在我们小区党员阵地。",
        "学校教师",
        "学院团委",
        -230,
        "兰州高校大学生社会实践基地",
    ),
    (
        "铁建丽苑退休职工协会",
        L.SIGNED,
        "我虽然退休了，但还是单位的退休职工代表，小区里好多居民是我以前的同事，能为阵地发挥余热。",
        "退休职工代表",
        "本人",
        -260,
        "铁建丽苑退休职工协会",
    ),
    (
        "七彩阳光书画培训中心",
        L.AGREEMENT_DRAFTED,
        "我孩子在这家书画班学习，老板愿意每月来小区开一次少儿书法公益课。",
        "学生家长",
        "前台",
        -45,
        None,
    ),
    (
        "建西东路社区养老服务中心",
        L.MEETING,
        "养老服务中心可以为小区高龄老人提供助浴、助餐和短期托养。",
        "亲戚在中心工作",
        "院长办公室",
        -30,
        None,
    ),
    (
        "惠民家电维修部",
        L.CONTACTED,
        "师傅愿意每月来一次，免费给老人修小家电。",
        "老邻居",
        "店主",
        -21,
        None,
    ),
    (
        "金城眼镜店",
        L.CONTACTED,
        "可以给老年人免费验光，配老花镜打折。",
        "朋友开的店",
        "店主",
        -14,
        None,
    ),
    (
        "德康口腔诊所",
        L.NEW,
        "诊所可以到小区做一次免费口腔检查和刷牙指导。",
        "我在诊所做护士",
        "诊所前台",
        -5,
        None,
    ),
    (
        "兰州市少年宫",
        L.NEW,
        "暑假可以请少年宫老师来小区开设兴趣体验课。",
        "孩子的老师",
        "",
        -2,
        None,
    ),
    (
        "某健身器材公司",
        L.DROPPED,
        "公司愿意捐赠一套室外健身器材。",
        "同学在公司工作",
        "销售经理",
        -150,
        None,
    ),
]

N = Need.Status
U = Need.Urgency
#: (title, status, urgency, category, location, created offset, project, reply, description)
NEEDS = [
    (
        "高层供水不畅，水压低、水发黄",
        N.RESOLVED,
        U.URGENT,
        Category.LIVING,
        "3号楼",
        -280,
        "供水管网更换",
        "供水主管已全部更换，通水验收合格，请居民放心用水。",
        "家住3号楼高层，早晚用水高峰水压很低，热水器打不着火，水还发黄。",
    ),
    (
        "枯树枝有坠落危险",
        N.RESOLVED,
        U.NORMAL,
        Category.LIVING,
        "4号楼南侧",
        -80,
        "小区枯树枝修剪",
        "物业已完成修剪清运。",
        "刮风时枯树枝掉下来，差点砸到楼下停的车。",
    ),
    (
        "希望小区有老年食堂",
        N.IN_PROJECT,
        U.NORMAL,
        Category.ELDERLY,
        "",
        -130,
        "爸妈食堂",
        "已纳入“爸妈食堂”项目，目前试运营中。",
        "孩子们都上班，中午老两口做饭不方便，希望小区里能有个老年食堂。",
    ),
    (
        "楼道乱堆杂物，希望倡导文明",
        N.IN_PROJECT,
        U.LOW,
        Category.VOLUNTEER,
        "5号楼2单元",
        -55,
        "正能量小区风气建设",
        "已纳入“正能量小区风气建设”项目。",
        "楼道里堆了纸箱和旧家具，影响通行，也有消防隐患。",
    ),
    (
        "希望开设防电信诈骗讲座",
        N.ACCEPTED,
        U.NORMAL,
        Category.DIGITAL,
        "",
        -25,
        None,
        "已请中国移动在智能手机课中增加防诈骗内容。",
        "老人接到冒充客服的电话，差点被骗，希望多讲讲怎么识别。",
    ),
    (
        "小区里缺少休息座椅",
        N.ACCEPTED,
        U.LOW,
        Category.LIVING,
        "小区中心广场",
        -18,
        None,
        "已与物业商量增设座椅的位置。",
        "老人散步走累了没地方坐。",
    ),
    (
        "6号楼1单元楼道灯不亮",
        N.NEW,
        U.NORMAL,
        Category.LIVING,
        "6号楼1单元",
        -3,
        None,
        "",
        "10楼到12楼的声控灯坏了一个星期了，晚上上下楼很黑。",
    ),
    (
        "希望增加儿童课后托管",
        N.NEW,
        U.NORMAL,
        Category.YOUTH,
        "",
        -6,
        None,
        "",
        "双职工家庭，孩子放学后没人照看。",
    ),
    (
        "希望在小区内增设停车位",
        N.DECLINED,
        U.LOW,
        Category.LIVING,
        "",
        -90,
        None,
        "小区场地有限，增设车位会占用消防通道和绿地，暂不具备条件。",
        "晚上回来经常找不到车位。",
    ),
]


# --- activities -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActivitySpec:
    title: str
    category: str
    partners: tuple[str, ...]
    commitment: str | None
    place: str
    summary: str
    description: str
    day: int  # offset from today
    hour: int
    minute: int
    minutes: int  # duration
    capacity: int | None
    status: str
    audience: str = "all"  # who signs up: all, elderly, children, party
    turnout: tuple[int, int] = (0, 0)  # past: sign-ups; upcoming: sign-ups made through services
    min_age: int | None = None
    max_age: int | None = None
    party_members_only: bool = False
    is_public: bool = True
    closes_day_before: bool = False


A = Activity.Status


def _series(days, **kwargs) -> list[ActivitySpec]:
    """One ActivitySpec per day offset; held in the past, open for sign-up in the future."""
    specs = []
    for day in days:
        status = A.HELD if day < 0 else kwargs.get("upcoming_status", A.OPEN)
        values = {k: v for k, v in kwargs.items() if k not in ("upcoming_status", "upcoming")}
        if day >= 0 and "upcoming" in kwargs:
            values.update(kwargs["upcoming"])
        specs.append(ActivitySpec(day=day, status=status, **values))
    return specs


def activity_specs() -> list[ActivitySpec]:
    """Every demo activity, past and upcoming, in a fixed order."""
    yoga = _series(
        [-5 - 14 * k for k in range(26)] + [9],
        title="公益瑜伽课",
        category=Category.HEALTH,
        partners=("徐婕瑜伽",),
        commitment="每月两次公益瑜伽课",
        place=PLACE_HALL,
        summary="徐婕老师带练，零基础、中老年居民都能跟上",
        description="每月两次的公益瑜伽课，每次60分钟。动作温和，以拉伸、呼吸和平衡练习为主，"
        "请穿宽松衣服，自带瑜伽垫（阵地有少量备用）。",
        hour=9,
        minute=30,
        minutes=60,
        capacity=30,
        turnout=(14, 28),
        upcoming={"turnout": (12, 12)},
    )
    phone = _series(
        [-12 - 30 * k for k in range(11)] + [6],
        title="智能手机使用课",
        category=Category.DIGITAL,
        partners=("中国移动",),
        commitment="每月一次老年人智能手机使用课",
        place=PLACE_ROOM,
        summary="手把手教老年人用智能手机：视频通话、扫码、防诈骗",
        description="中国移动党员服务队的老师一对一辅导，每次一个主题：微信视频通话、"
        "扫码乘车、网上缴水电费、识别诈骗电话。请带上自己的手机和充电宝。",
        hour=15,
        minute=0,
        minutes=90,
        capacity=25,
        audience="elderly",
        turnout=(12, 22),
        upcoming={"turnout": (23, 23)},
    )
    birthday = _series(
        [-8 - 30 * k for k in range(9)] + [13],
        title="长者生日会",
        category=Category.ELDERLY,
        partners=("甘肃兴邦社会工作服务中心",),
        commitment="每月一次长者生日会",
        place=PLACE_HALL,
        summary="为当月过生日的老人集体庆生",
        description="社工带领老人做手工、做游戏、分享长寿面，家属可以陪同参加。",
        hour=14,
        minute=30,
        minutes=120,
        capacity=None,
        audience="elderly",
        turnout=(15, 30),
        upcoming={"turnout": (15, 15)},
    )
    cpr = _series(
        [-240, -150, -60, 10],
        title="应急救护培训（心肺复苏与AED）",
        category=Category.SAFETY,
        partners=("蓝天救援队",),
        commitment="每季度一次应急救护培训",
        place=PLACE_HALL,
        summary="学会心肺复苏、AED和海姆立克急救法",
        description="蓝天救援队教官讲解并带领每位学员在模拟人上练习心肺复苏，学习AED使用和"
        "海姆立克急救法。名额有限，满员后可排队候补。",
        hour=9,
        minute=0,
        minutes=150,
        capacity=20,
        turnout=(16, 20),
        upcoming={"turnout": (24, 24)},
    )
    fire = _series(
        [-200, -16],
        title="消防演练",
        category=Category.SAFETY,
        partners=("蓝天救援队", "中铁二十一局德盛和物业"),
        commitment="每年两次消防与电梯救援演练",
        place=PLACE_SQUARE,
        summary="灭火器使用、楼道疏散，全体居民都可参加",
        description="蓝天救援队与物业联合组织：模拟楼道起火，演练报警、疏散和灭火器使用，"
        "居民可以亲手使用灭火器扑灭油盆火。",
        hour=10,
        minute=0,
        minutes=90,
        capacity=None,
        turnout=(30, 45),
    )
    elevator = _series(
        [-23],
        title="电梯困人救援演练",
        category=Category.SAFETY,
        partners=("蓝天救援队", "中铁二十一局德盛和物业"),
        commitment="每年两次消防与电梯救援演练",
        place="2号楼1单元电梯厅",
        summary="被困电梯怎么办？救援队和物业现场演示",
        description="模拟电梯故障困人，讲解被困时的正确做法，演示物业与救援队的联合救援流程。",
        hour=10,
        minute=0,
        minutes=60,
        capacity=None,
        turnout=(20, 30),
    )
    youth = _series(
        [-6 - 14 * k for k in range(8)] + [8],
        title="青少年科学兴趣小组",
        category=Category.YOUTH,
        partners=("兰州高校大学生社会实践基地",),
        commitment="每两周一次青少年科学兴趣小组",
        place=PLACE_ROOM,
        summary="大学生志愿者带孩子做科学小实验",
        description="每两周一次，大学生志愿者带领8至14岁的孩子动手做实验：水火箭、简易电路、"
        "植物观察。孩子没有手机的，请家长登录后代为报名。",
        hour=15,
        minute=0,
        minutes=90,
        capacity=20,
        audience="children",
        turnout=(6, 12),
        min_age=8,
        max_age=14,
        upcoming={"turnout": (8, 8)},
    )
    health = _series(
        [-10 - 30 * k for k in range(8)] + [15],
        title="免费测血压与健康义诊",
        category=Category.HEALTH,
        partners=("西站社区卫生服务站",),
        commitment="每月一次免费测血压与健康义诊",
        place=PLACE_ROOM,
        summary="家庭医生测血压、测血糖，解答用药问题",
        description="西站社区卫生服务站的家庭医生到阵地义诊。请带上正在服用的药品或药盒，"
        "空腹测血糖请在上午九点前到。",
        hour=8,
        minute=30,
        minutes=150,
        capacity=None,
        audience="elderly",
        turnout=(18, 35),
        upcoming={"turnout": (6, 6)},
    )
    party = _series(
        [-4 - 30 * k for k in range(6)] + [5],
        title="党员志愿服务",
        category=Category.VOLUNTEER,
        partners=(),
        commitment=None,
        place=PLACE_SQUARE,
        summary="党员清扫楼道、看望独居老人",
        description="小区党员每月一次集中志愿服务：清理楼道杂物、看望独居和高龄老人、"
        "协助物业巡查消防通道。本活动仅限党员报名。",
        hour=9,
        minute=0,
        minutes=120,
        capacity=None,
        audience="party",
        turnout=(12, 24),
        party_members_only=True,
        upcoming={"turnout": (12, 12)},
    )
    choir = _series(
        # Tomorrow's rehearsal keeps "this week" on the home page from being empty.
        [-20 - 30 * k for k in range(7)] + [1],
        title="合唱团排练",
        category=Category.CULTURE,
        partners=("铁建丽苑退休职工协会",),
        commitment="每月一次合唱团排练",
        place=PLACE_HALL,
        summary="退休职工合唱团排练，欢迎新成员",
        description="排练红歌和经典老歌，为小区音乐节准备节目。喜欢唱歌的居民都可以来。",
        hour=15,
        minute=0,
        minutes=120,
        capacity=40,
        audience="elderly",
        turnout=(15, 28),
        upcoming={"turnout": (10, 10)},
    )
    medicine = _series(
        [-200, -30],
        title="过期药品回收与家庭药箱整理",
        category=Category.HEALTH,
        partners=("建西东路惠民大药房",),
        commitment="过期药品回收与家庭药箱整理",
        place=PLACE_SQUARE,
        summary="带上家里的过期药，药师帮你整理药箱",
        description="执业药师现场回收过期药品，检查家庭药箱，讲解药品保存方法。",
        hour=9,
        minute=30,
        minutes=120,
        capacity=None,
        turnout=(15, 30),
    )
    legal = _series(
        [12],
        title="法律援助进小区",
        category=Category.LEGAL,
        partners=("甘肃锐诚律师事务所",),
        commitment="每月一次法律咨询日",
        place=PLACE_ROOM,
        summary="正在筹备：律师现场免费咨询，符合条件的转介法律援助",
        description="甘肃锐诚律师事务所律师到小区党员阵地坐班，免费解答婚姻家庭、房屋买卖、"
        "劳动争议、遗嘱继承等问题。请提前报名，方便律师准备；可带上相关材料。",
        hour=9,
        minute=0,
        minutes=180,
        capacity=40,
        closes_day_before=True,
        # The article: legal aid in the community is still being planned.
        upcoming_status=A.PLANNED,
    )
    festival = _series(
        [35],
        title="小区音乐节",
        category=Category.CULTURE,
        partners=("铁建丽苑退休职工协会", "甘肃兴邦社会工作服务中心"),
        commitment=None,
        place=PLACE_SQUARE,
        summary="正在筹备：欢迎居民报名表演节目",
        description="退休职工协会和兴邦社工正在筹备小区第一届音乐节，合唱、器乐、舞蹈都欢迎。"
        "节目单确定后开放观众报名。",
        hour=18,
        minute=30,
        minutes=150,
        capacity=None,
        upcoming_status=A.PLANNED,
    )
    return (
        yoga
        + phone
        + birthday
        + cpr
        + fire
        + elevator
        + youth
        + health
        + party
        + choir
        + medicine
        + legal
        + festival
    )


#: What attendees wrote, by activity: each quote belongs to its activity and is used once
#: (later raters of the same activity leave a rating without words).
COMMENTS = {
    "公益瑜伽课": [
        "徐老师很耐心，动作讲得很细。",
        "练了几次，腰不那么僵了。",
        "在家门口就能练瑜伽，太方便了。",
        "跟着老师练呼吸，晚上睡得踏实了。",
    ],
    "智能手机使用课": [
        "终于学会和孙子视频通话了！",
        "老师一步一步教，讲得慢，听得懂。",
        "学会了识别诈骗电话，很实用。",
        "会用手机交水电费了，不用跑营业厅。",
    ],
    "长者生日会": [
        "社工们像家人一样，很温暖。",
        "生日会办得热闹，谢谢大家。",
        "好多年没这样过生日了，很感动。",
    ],
    "应急救护培训（心肺复苏与AED）": [
        "心肺复苏练了好几遍，很有收获。",
        "第一次知道AED怎么用，心里有底了。",
        "救援队老师手把手教，讲得清楚。",
    ],
    "消防演练": [
        "第一次亲手用灭火器，心里有底了。",
        "知道了着火时往哪里跑、怎么捂口鼻。",
        "演练很真实，建议每年多搞几次。",
    ],
    "电梯困人救援演练": [
        "知道被困电梯时该怎么做了，不慌了。",
        "物业和救援队配合得好，住高层放心了。",
        "原来按警铃等救援比扒门安全。",
    ],
    "青少年科学兴趣小组": [
        "孩子回家还在讲水火箭，很喜欢。",
        "大学生哥哥姐姐很有耐心。",
        "孩子说下次还要来做实验。",
    ],
    "免费测血压与健康义诊": [
        "医生讲得清楚，血压也量了，放心了。",
        "不用去医院排队，在楼下就看了。",
        "医生提醒我按时吃药，很细心。",
    ],
    "党员志愿服务": ["能为邻居做点事，很有意义。", "老党员们一起干活，劲头很足。"],
    "合唱团排练": [
        "唱歌让人心情好，老同事们又聚在一起了。",
        "指挥老师很专业，我们进步很大。",
    ],
    "过期药品回收与家庭药箱整理": [
        "家里的过期药终于清理干净了。",
        "药师教我怎么存药，很有用。",
    ],
}
#: What a resident in her sixties wrote on WeChat Moments (seed/FACTS.md), as her feedback.
AUNTIE_COMMENT = (
    "紧急救援学了、公益瑜伽课参加了、烦人的供水不畅问题解决了，这就是我们贴心的小区党员阵地！"
)


# --- the builder ----------------------------------------------------------------------


def _upsert(model, lookup: dict, values: dict):
    """Get the row by its natural key and update what differs, or create it.

    Saves only when something changed, so a rerun adds no audit-history rows.
    """
    obj = model.objects.filter(**lookup).order_by("pk").first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        return obj
    _update(obj, values)
    return obj


def _apply(obj, values: dict) -> list[str]:
    """Set the values that differ on `obj` (foreign keys compared by id); return their names."""
    changed = []
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        if model_field.is_relation:
            differs = getattr(obj, model_field.attname) != (value.pk if value else None)
        else:
            differs = getattr(obj, name) != value
        if differs:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _update(obj, values: dict) -> None:
    """Save `obj` with the given values, only if one of them differs."""
    changed = _apply(obj, values)
    if changed:
        obj.save(update_fields=changed)


@dataclass
class DemoReport:
    """What the demo database holds after loading."""

    counts: dict[str, int]


class DemoBuilder:
    """Writes the demo community; `build()` runs everything in one transaction."""

    def __init__(self, *, today: dt.date | None = None):
        self.today = today or timezone.localdate()
        self._password_hash = None

    @property
    def password_hash(self) -> str:
        """The demo password, hashed once (hashing is slow by design) for every new login."""
        if self._password_hash is None:
            self._password_hash = make_password(PASSWORD)
        return self._password_hash

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def build(self) -> DemoReport:
        with transaction.atomic():
            self.places()
            self.staff_users()
            self.residents()
            self.partners()
            self.projects()
            self.needs()
            self.leads()
            self.activities()
            self.past_signups()
            self.upcoming_signups()
            self.elders_without_smartphones()
            load_volunteering(self)
            load_neighbours(self)
            # Past sign-ups are written directly: the summary's roll-ups recount them.
            rollups.rebuild()
        return self.report()

    # places ---------------------------------------------------------------------------

    def places(self) -> None:
        self.subdistrict = _upsert(Subdistrict, {"name": SUBDISTRICT}, SUBDISTRICT_VALUES)
        self.community = _upsert(
            Community, {"name": COMMUNITY}, {**COMMUNITY_VALUES, "subdistrict": self.subdistrict}
        )
        self.complex = _upsert(
            Complex, {"community": self.community, "name": COMPLEX}, COMPLEX_VALUES
        )
        self.buildings = {
            number: _upsert(
                Building,
                {"complex": self.complex, "number": number},
                {"unit_count": units, "household_count": households},
            )
            for number, units, households in BUILDINGS
        }

    # users ----------------------------------------------------------------------------

    def staff_users(self) -> None:
        User = get_user_model()
        people = [
            (STAFF_USERNAME, STAFF_GROUP, "王", "晓燕"),
            (SECRETARY_USERNAME, SECRETARY_GROUP, "刘", "建华"),
        ]
        self.users_by_name = {}
        for username, group_name, last_name, first_name in people:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username,
                    password=self.password_hash,
                    is_staff=True,
                    last_name=last_name,
                    first_name=first_name,
                )
            _update(user, {"is_staff": True, "is_active": True})
            group = Group.objects.get(name=group_name)
            user.groups.add(group)
            self.users_by_name[username] = user
        self.staff = self.users_by_name[STAFF_USERNAME]

    # residents ------------------------------------------------------------------------

    def residents(self) -> None:
        User = get_user_model()
        plans = plan_households(self.today)
        consent_version = settings.PRIVACY_POLICY_VERSION

        # Households, by address.
        existing = {
            (h.building_id, h.unit, h.room): h
            for h in Household.objects.filter(building__complex=self.complex)
        }
        new, changed = [], []
        for plan in plans:
            building = self.buildings[plan.building]
            household = existing.get((building.pk, plan.unit, plan.room))
            if household is None:
                household = Household(
                    building=building, unit=plan.unit, room=plan.room, size=plan.size
                )
                new.append(household)
                existing[(building.pk, plan.unit, plan.room)] = household
            elif household.size != plan.size:
                household.size = plan.size
                changed.append(household)
        Household.objects.bulk_create(new)
        Household.objects.bulk_update(changed, ["size"])
        existing = {
            (h.building_id, h.unit, h.room): h
            for h in Household.objects.filter(building__complex=self.complex)
        }

        # Logins: username = phone, one password hash for all.
        adults = [(plan, person) for plan in plans for person in plan.adults]
        phones = [person.phone for _plan, person in adults]
        users = {u.username: u for u in User.objects.filter(username__in=phones)}
        User.objects.bulk_create(
            [
                User(username=person.phone, password=self.password_hash, email=person.email)
                for _plan, person in adults
                if person.phone not in users
            ]
        )
        users = {u.username: u for u in User.objects.filter(username__in=phones)}
        # A login already tied to another resident (one who deleted their data) stays so.
        linked_users = set(
            Resident.objects.filter(user__in=users.values()).values_list("user_id", flat=True)
        )

        fields = [
            "name",
            "household",
            "birth_year",
            "is_party_member",
            "is_verified",
            "birth_year_confirmed",
            "party_member_confirmed",
            "email",
            "consent_version",
            "consent_at",
            "created_at",
        ]
        by_phone = {r.phone: r for r in Resident.objects.filter(phone__in=phones)}
        new, changed = [], []
        for plan, person in adults:
            household = existing[(self.buildings[plan.building].pk, plan.unit, plan.room)]
            values = {
                "name": person.name,
                "household": household,
                "birth_year": person.birth_year,
                "is_party_member": person.is_party_member,
                "is_verified": person.is_verified,
                # The demo's facts are as staff confirmed them (restricted activities work).
                "birth_year_confirmed": True,
                "party_member_confirmed": person.is_party_member,
                "email": person.email,
                "consent_version": consent_version,
                "consent_at": person.registered,
                "created_at": person.registered,
            }
            resident = by_phone.get(person.phone)
            user = users[person.phone]
            if resident is None:
                new.append(
                    Resident(
                        phone=person.phone,
                        user=None if user.pk in linked_users else user,
                        **values,
                    )
                )
            elif _apply(resident, values):
                changed.append(resident)
        Resident.objects.bulk_create(new)
        Resident.objects.bulk_update(changed, fields)

        # Children, no login: known by household and name.
        kids = {
            (r.household_id, r.name): r
            for r in Resident.objects.filter(
                household__building__complex=self.complex, user__isnull=True, phone=""
            )
        }
        new, changed = [], []
        for plan in plans:
            household = existing[(self.buildings[plan.building].pk, plan.unit, plan.room)]
            for person in plan.children:
                values = {
                    "birth_year": person.birth_year,
                    "is_verified": True,
                    "birth_year_confirmed": True,
                    "consent_version": consent_version,
                    "consent_at": person.registered,
                    "created_at": person.registered,
                }
                resident = kids.get((household.pk, person.name))
                if resident is None:
                    new.append(Resident(household=household, name=person.name, **values))
                elif _apply(resident, values):
                    changed.append(resident)
        Resident.objects.bulk_create(new)
        Resident.objects.bulk_update(
            changed,
            [
                "birth_year",
                "is_verified",
                "birth_year_confirmed",
                "consent_version",
                "consent_at",
                "created_at",
            ],
        )

        # What the activities need: adults, the elderly, party members, children and guardians.
        self.adults = list(
            Resident.objects.filter(phone__in=phones).select_related("user").order_by("phone")
        )
        self.elderly = [r for r in self.adults if r.birth_year and r.birth_year <= 1962]
        self.party_members = [r for r in self.adults if r.is_party_member]
        first_adult = {}
        for r in self.adults:
            first_adult.setdefault(r.household_id, r)
        self.children = list(
            Resident.objects.filter(
                household__building__complex=self.complex, user__isnull=True, phone=""
            ).order_by("household__pk", "name", "pk")
        )
        self.guardian = {c.pk: first_adult.get(c.household_id) for c in self.children}
        # The resident in her sixties who posted on WeChat Moments (see seed/FACTS.md).
        auntie_phone = next(
            (
                person.phone
                for _plan, person in adults
                if person.gender == "f" and 60 <= self.today.year - person.birth_year <= 69
            ),
            phones[0],
        )
        self.auntie = next(r for r in self.adults if r.phone == auntie_phone)

    # partners -------------------------------------------------------------------------

    def partners(self) -> None:
        self.partner = {}
        self.commitment = {}
        for index, spec in enumerate(PARTNERS, start=1):
            joined = self.day(-spec.joined)
            partner = _upsert(
                Partner,
                {"name": spec.name},
                {
                    "short_name": spec.short_name,
                    "category": spec.category,
                    "description": spec.description,
                    "contact_name": spec.contact_name,
                    "contact_phone": spec.contact_phone,
                    "address": spec.address,
                    "is_active": True,
                    "joined_on": joined,
                },
            )
            self.partner[spec.name] = partner
            number = f"TJLY-GJ-{index:02d}"
            if spec.name == RENEWED_PARTNER:
                first = _upsert(
                    Agreement,
                    {"partner": partner, "number": number},
                    self._agreement_values(
                        spec,
                        signed=joined,
                        starts=joined,
                        ends=self.day(-15),
                        status=Agreement.Status.EXPIRED,
                        renews=None,
                    ),
                )
                agreement = _upsert(
                    Agreement,
                    {"partner": partner, "number": f"{number}-续"},
                    self._agreement_values(
                        spec,
                        signed=self.day(-20),
                        starts=self.day(-14),
                        ends=self.day(-14) + dt.timedelta(days=730),
                        status=Agreement.Status.ACTIVE,
                        renews=first,
                        title=f"{spec.name}入驻小区党员阵地协议（续签）",
                    ),
                )
            else:
                agreement = _upsert(
                    Agreement,
                    {"partner": partner, "number": number},
                    self._agreement_values(
                        spec,
                        signed=joined - dt.timedelta(days=3),
                        starts=joined,
                        ends=joined + dt.timedelta(days=365 * spec.years),
                        status=Agreement.Status.ACTIVE,
                        renews=None,
                    ),
                )
            for commitment in spec.commitments:
                self.commitment[commitment.title] = _upsert(
                    ResourceCommitment,
                    {"partner": partner, "title": commitment.title},
                    {
                        "agreement": agreement,
                        "description": commitment.description,
                        "frequency": commitment.frequency,
                        # A monthly promise (资源清单 measured), or not measured.
                        "promise": ResourceCommitment.Promise.MONTHLY
                        if commitment.times_per_month
                        else "",
                        "times": commitment.times_per_month or None,
                        "is_active": True,
                    },
                )

    def _agreement_values(self, spec, *, signed, starts, ends, status, renews, title=None):
        if spec.category == Partner.Category.PROPERTY:
            default_title = "红色物业联建协议"
            note = "与中铁二十一局德盛和物业党支部联建红色物业。"
        else:
            default_title = f"{spec.name}入驻小区党员阵地协议"
            note = ""
        return {
            "complex": self.complex,
            "title": title or default_title,
            "status": status,
            "signed_on": signed,
            "starts_on": starts,
            "ends_on": ends,
            "renews": renews,
            "note": note,
        }

    # projects, needs, leads -----------------------------------------------------------

    def projects(self) -> None:
        self.project = {}
        for spec in PROJECTS:
            project = _upsert(
                ServiceProject,
                {"complex": self.complex, "title": spec.title},
                {
                    "category": spec.category,
                    "partner": self.partner[spec.partner],
                    "description": spec.description,
                    "status": spec.status,
                    "progress": spec.progress,
                    "starts_on": self.day(spec.starts),
                    "due_on": self.day(spec.due),
                    "finished_on": self.day(spec.finished) if spec.finished is not None else None,
                },
            )
            project.buildings.set([self.buildings[number] for number in spec.buildings])
            for title, due, done in spec.milestones:
                _upsert(
                    Milestone,
                    {"project": project, "title": title},
                    {
                        "due_on": self.day(due),
                        "done_on": self.day(done) if done is not None else None,
                    },
                )
            self.project[spec.title] = project

    def needs(self) -> None:
        rng = random.Random(f"{SEED}:needs")
        for (
            title,
            status,
            urgency,
            category,
            location,
            created,
            project,
            reply,
            description,
        ) in NEEDS:
            created_at = _at(self.day(created), rng.randint(8, 20), rng.randint(0, 59))
            resolved_at = (
                _at(self.day(PROJECTS_BY_TITLE[project].finished), 17)
                if status == Need.Status.RESOLVED
                else None
            )
            _upsert(
                Need,
                {"complex": self.complex, "title": title},
                {
                    "resident": rng.choice(self.adults),
                    "description": description,
                    "location": location,
                    "urgency": urgency,
                    "category": category,
                    "status": status,
                    "project": self.project[project] if project else None,
                    "staff_reply": reply,
                    "created_at": created_at,
                    "resolved_at": resolved_at,
                },
            )

    def leads(self) -> None:
        rng = random.Random(f"{SEED}:leads")
        for organisation, stage, offer, relationship, contact, created, partner in LEADS:
            # Most connections came from party members answering the recruitment call.
            offered_by = rng.choice(
                self.party_members if stage == Lead.Stage.SIGNED else self.adults
            )
            created_at = _at(self.day(created), rng.randint(8, 20), rng.randint(0, 59))
            closed = stage in (Lead.Stage.SIGNED, Lead.Stage.DROPPED)
            if partner:
                closed_at = _at(self.day(-PARTNERS_BY_NAME[partner].joined), 16)
            elif closed:
                closed_at = created_at + dt.timedelta(days=20)
            else:
                closed_at = None
            _upsert(
                Lead,
                {"organisation": organisation},
                {
                    "offered_by": offered_by,
                    "offer": offer,
                    "relationship": relationship,
                    "contact": contact,
                    "stage": stage,
                    "follow_up_on": None if closed else self.day(rng.randint(2, 14)),
                    "assigned_to": self.staff,
                    "partner": self.partner[partner] if partner else None,
                    "note": "已签订入驻协议。" if partner else "",
                    "created_at": created_at,
                    "closed_at": closed_at,
                },
            )

    # activities -----------------------------------------------------------------------

    def activities(self) -> None:
        """Create or update every activity; same-title ones are matched in creation order."""
        specs = activity_specs()
        titles = list(dict.fromkeys(spec.title for spec in specs))
        stored: dict[str, list[Activity]] = {title: [] for title in titles}
        for activity in Activity.objects.filter(complex=self.complex, title__in=titles).order_by(
            "pk"
        ):
            stored[activity.title].append(activity)
        seen: dict[str, int] = {}
        self.activity_plan: list[tuple[ActivitySpec, Activity]] = []
        for spec in specs:
            index = seen.get(spec.title, 0)
            seen[spec.title] = index + 1
            values = self._activity_values(spec)
            if index < len(stored[spec.title]):
                activity = stored[spec.title][index]
                _update(activity, values)
            else:
                activity = Activity(complex=self.complex, title=spec.title, **values)
                activity.save()
            activity.partners.set([self.partner[name] for name in spec.partners])
            self.activity_plan.append((spec, activity))

    def _activity_values(self, spec: ActivitySpec) -> dict:
        day = self.day(spec.day)
        starts = _at(day, spec.hour, spec.minute)
        # Open activities have been open for sign-up for a few days at least.
        opens_day = min(spec.day - 14, -3) if spec.status == A.OPEN else spec.day - 14
        opens = _at(self.day(opens_day), 8)
        closes = _at(self.day(spec.day - 1), 18) if spec.closes_day_before else None
        return {
            "category": spec.category,
            "commitment": self.commitment[spec.commitment] if spec.commitment else None,
            "place": spec.place,
            "summary": spec.summary,
            "description": spec.description,
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(minutes=spec.minutes),
            "capacity": spec.capacity,
            "signup_opens_at": opens,
            "signup_closes_at": closes,
            "status": spec.status,
            "is_public": spec.is_public,
            "min_age": spec.min_age,
            "max_age": spec.max_age,
            "party_members_only": spec.party_members_only,
        }

    def _pool(self, spec: ActivitySpec) -> list[Resident]:
        return {
            "all": self.adults,
            "elderly": self.elderly,
            "party": self.party_members,
            "children": self.children,
        }[spec.audience]

    def past_signups(self) -> None:
        """Sign-ups, attendance and feedback of held activities, written as history."""
        past = [(spec, a) for spec, a in self.activity_plan if spec.status == A.HELD]
        existing: set[tuple[int, int]] = set()
        codes: dict[int, set[str]] = {a.pk: set() for _spec, a in past}
        stored = SignUp.objects.filter(activity__in=[a for _spec, a in past]).values_list(
            "activity_id", "resident_id", "check_in_code"
        )
        for activity_id, resident_id, code in stored:
            existing.add((activity_id, resident_id))
            codes[activity_id].add(code)
        self.latest_yoga = max(
            (a for spec, a in past if spec.title == "公益瑜伽课"), key=lambda a: a.starts_at
        )

        new_signups: list[SignUp] = []
        feedback_plan: dict[tuple[int, int], Feedback] = {}
        for number, (spec, activity) in enumerate(past):
            rng = random.Random(f"{SEED}:past:{spec.title}:{number}")
            pool = self._pool(spec)
            low, high = spec.turnout
            count = min(rng.randint(low, high), len(pool))
            chosen = rng.sample(pool, count)
            if activity.pk == self.latest_yoga.pk and self.auntie not in chosen:
                chosen[0] = self.auntie
            planned_codes = iter(rng.sample(range(1_000_000), count))
            confirmed = 0
            for resident in chosen:
                created_at = activity.signup_opens_at + dt.timedelta(
                    minutes=rng.randint(10, 60 * 24 * 12)
                )
                cancelled = rng.random() < 0.07 and resident is not self.auntie
                if spec.capacity is not None and confirmed >= spec.capacity:
                    cancelled = True
                attended = not cancelled and (rng.random() < 0.88 or resident is self.auntie)
                confirmed += 0 if cancelled else 1
                if resident.user_id:
                    by = (
                        self.staff
                        if resident.birth_year <= 1950 and rng.random() < 0.3
                        else resident.user
                    )
                else:
                    guardian = self.guardian.get(resident.pk)
                    by = guardian.user if guardian else self.staff
                code = f"{next(planned_codes):06d}"
                feedback = None
                if attended and (rng.random() < 0.35 or resident is self.auntie):
                    feedback = self._feedback(rng, spec, activity, resident)
                if (activity.pk, resident.pk) in existing:
                    continue
                if code in codes[activity.pk]:  # taken by a sign-up made some other way
                    code = self._free_code(codes[activity.pk])
                codes[activity.pk].add(code)
                signup = SignUp(
                    activity=activity,
                    resident=resident,
                    household_id=resident.household_id,
                    status=SignUp.Status.CANCELLED if cancelled else SignUp.Status.CONFIRMED,
                    signed_up_by=by,
                    check_in_code=code,
                    created_at=created_at,
                    confirmed_at=created_at,
                    cancelled_at=(
                        activity.starts_at - dt.timedelta(hours=rng.randint(2, 30))
                        if cancelled
                        else None
                    ),
                    attended=attended,
                    checked_in_at=(
                        activity.starts_at - dt.timedelta(minutes=rng.randint(0, 20))
                        if attended
                        else None
                    ),
                )
                new_signups.append(signup)
                if feedback is not None:
                    feedback_plan[(activity.pk, resident.pk)] = feedback
        SignUp.objects.bulk_create(new_signups, batch_size=500)

        if feedback_plan:
            ids = {
                (s.activity_id, s.resident_id): s.pk
                for s in SignUp.objects.filter(
                    activity__in=[a for _spec, a in past], feedback__isnull=True
                ).only("pk", "activity_id", "resident_id")
            }
            for key, feedback in feedback_plan.items():
                feedback.signup_id = ids[key]
            Feedback.objects.bulk_create(feedback_plan.values(), batch_size=500)

    def _next_comment(self, rng, title: str) -> str:
        """A quote written for this activity, each one used once ("" when none is left)."""
        if not hasattr(self, "_comments_left"):
            self._comments_left = {}
        if title not in self._comments_left:
            quotes = list(COMMENTS.get(title, []))
            rng.shuffle(quotes)
            self._comments_left[title] = quotes
        left = self._comments_left[title]
        return left.pop() if left else ""

    def _feedback(self, rng, spec, activity, resident) -> Feedback:
        created_at = activity.ends_at + dt.timedelta(hours=rng.randint(1, 30))
        if resident is self.auntie and activity.pk == self.latest_yoga.pk:
            return Feedback(
                rating=5,
                comment=AUNTIE_COMMENT,
                may_publish=True,
                is_published=True,
                created_at=created_at,
            )
        rating = rng.choices((5, 4, 3, 2), weights=(60, 28, 10, 2))[0]
        comment = ""
        if rng.random() < 0.6:
            comment = self._next_comment(rng, spec.title)
        may_publish = bool(comment) and rng.random() < 0.6
        return Feedback(
            rating=rating,
            comment=comment,
            may_publish=may_publish,
            is_published=may_publish and rng.random() < 0.6,
            created_at=created_at,
        )

    @staticmethod
    def _free_code(taken: set[str]) -> str:
        return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)

    def upcoming_signups(self) -> None:
        """Residents' sign-ups for open activities, through the sign-up service.

        A second run finds each sign-up already there (the service returns it unchanged).
        """
        planned = [
            (n, spec, a)
            for n, (spec, a) in enumerate(self.activity_plan)
            if spec.status == A.OPEN and spec.turnout[0]
        ]
        # Cancelled ones count too: a resident who gave their seat back stays so.
        signed_up = set(
            SignUp.objects.filter(activity__in=[a for _n, _spec, a in planned]).values_list(
                "activity_id", "resident_id"
            )
        )
        for number, spec, activity in planned:
            rng = random.Random(f"{SEED}:upcoming:{spec.title}:{number}")
            pool = self._pool(spec)
            for resident in rng.sample(pool, min(spec.turnout[0], len(pool))):
                if (activity.pk, resident.pk) in signed_up:
                    continue
                if resident.user_id:
                    by = resident.user
                else:
                    guardian = self.guardian.get(resident.pk)
                    by = guardian.user if guardian else self.staff
                services.sign_up(activity=activity, resident=resident, by=by)

    # elderly residents without a smartphone --------------------------------------------

    def elders_without_smartphones(self) -> None:
        """Elderly residents with a feature phone (老人机) and no login, registered by staff
        and signed up by staff for the smartphone class, where they wait for a seat; two
        seats are given back so that the first two of them are promoted and land on the
        call list (电话通知名单). A second run finds all of it there and changes nothing."""
        households = list(
            Household.objects.filter(building__complex=self.complex).order_by("pk")[
                : len(ELDERS_WITHOUT_SMARTPHONES) * 7 : 7
            ]
        )
        elders = []
        for (name, birth_year, phone), household in zip(
            ELDERS_WITHOUT_SMARTPHONES, households, strict=False
        ):
            elder, _created = Resident.objects.get_or_create(
                phone=phone,
                defaults={
                    "name": name,
                    "birth_year": birth_year,
                    "household": household,
                    "is_verified": True,
                    "consent_version": settings.PRIVACY_POLICY_VERSION,
                    "consent_at": timezone.now(),
                },
            )
            elders.append(elder)
        class_ = next(
            (
                a
                for spec, a in self.activity_plan
                if spec.title == SMARTPHONE_CLASS and spec.status == A.OPEN
            ),
            None,
        )
        if class_ is None or not elders:
            return
        # Fill the class (a confirmed seat for every elderly resident with a login first).
        seated = class_.signups.filter(status=SignUp.Status.CONFIRMED)
        for resident in self.elderly:
            if class_.capacity is None or seated.count() >= class_.capacity:
                break
            services.sign_up(activity=class_, resident=resident, by=resident.user)
        for elder in elders:
            services.sign_up(activity=class_, resident=elder, by=self.staff)
        if not CallListEntry.objects.filter(activity=class_).exists():
            # Two residents with a login cannot come after all: the first two elders on the
            # waiting list get their seats, and staff must phone them.
            leaving = list(
                seated.filter(resident__user__isnull=False).order_by("-created_at", "-pk")[
                    :SEATS_GIVEN_BACK
                ]
            )
            for signup in leaving:
                services.cancel(signup=signup, by=signup.resident.user)

    # report ---------------------------------------------------------------------------

    def report(self) -> DemoReport:
        return DemoReport(
            counts={
                "buildings": Building.objects.filter(complex=self.complex).count(),
                "households": Household.objects.filter(building__complex=self.complex).count(),
                "residents": Resident.objects.filter(
                    household__building__complex=self.complex
                ).count(),
                "partners": Partner.objects.filter(name__in=PARTNERS_BY_NAME).count(),
                "activities": Activity.objects.filter(complex=self.complex).count(),
                "signups": SignUp.objects.filter(activity__complex=self.complex).count(),
                "projects": ServiceProject.objects.filter(complex=self.complex).count(),
            }
        )


#: Elderly residents with a feature phone (老人机) and no login: name, birth year, phone.
ELDERS_WITHOUT_SMARTPHONES = [
    ("马兰英", 1941, "13700000001"),
    ("杨守业", 1939, "13700000002"),
    ("何桂珍", 1944, "13700000003"),
    ("魏德福", 1946, "13700000004"),
    ("牛秀芳", 1948, "13700000005"),
    ("冯玉兰", 1943, "13700000006"),
]
#: The class they wait for a seat in, and how many seats are given back to them.
SMARTPHONE_CLASS = "智能手机使用课"
SEATS_GIVEN_BACK = 2


def load_demo(*, today: dt.date | None = None) -> DemoReport:
    """Load (or refresh) the demo community; idempotent, in one transaction."""
    return DemoBuilder(today=today).build()


def resident_phones() -> tuple[str, str]:
    """The first and last demo residents' phone numbers (their login names)."""
    return str(FIRST_PHONE), str(FIRST_PHONE + RESIDENT_COUNT - 1)
