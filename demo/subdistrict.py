"""The rest of the demo subdistrict (西站街道): two smaller invented communities beside
小西坪社区, each with a complex, a few buildings, households, residents without logins and
two upcoming activities; 中国移动 (already 小西坪社区's partner) signs with both; and the
logins that show the scoping (`residents.scoping`): each community's staff, the
subdistrict's staff and its party working committee's secretary.

Idempotent like the rest of the demo (natural keys, updates only when a value differs).
The residents here have no login and are not party members, so 小西坪社区's demo figures
(300 logins, 36 party members) stay as they were.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext

from activities.models import Activity, Category
from core.roles import (
    STAFF_GROUP,
    SUBDISTRICT_SECRETARY_GROUP,
    SUBDISTRICT_STAFF_GROUP,
)
from partners.models import Agreement, Partner
from residents.models import Building, Community, Complex, Household, Resident, StaffScope

SUBDISTRICT_STAFF_USERNAME = "subdistrict"
SUBDISTRICT_SECRETARY_USERNAME = "subdistrict_secretary"
#: The partner that signs with every demo community.
SHARED_PARTNER = "中国移动"


@dataclass(frozen=True)
class Neighbour:
    """An invented community of the subdistrict, small enough to read at a glance."""

    name: str
    party_secretary: str
    phone: str
    address: str
    complex: str
    built_year: int
    buildings: tuple[tuple[str, int], ...]  # (number, households)
    first_phone: int
    staff_username: str
    staff_name: tuple[str, str]  # family name, given name
    surnames: str
    activities: tuple[tuple[str, str, int, int], ...]  # (title, category, in days, capacity)


NEIGHBOURS = (
    Neighbour(
        name="西津社区",
        party_secretary="周文静",
        phone="0931-2650202",
        address="兰州市七里河区西津西路西津社区党群服务中心",
        complex="西津家园小区",
        built_year=2008,
        buildings=(("1号楼", 96), ("2号楼", 96), ("3号楼", 72)),
        first_phone=13910000001,
        staff_username="staff_xijin",
        staff_name=("赵", "丽娟"),
        surnames="孙胡朱高林何郭马罗梁",
        activities=(
            ("社区健康义诊", Category.HEALTH, 6, 40),
            ("手机防诈骗讲座", Category.LEGAL, 12, 30),
        ),
    ),
    Neighbour(
        name="站南社区",
        party_secretary="马建国",
        phone="0931-2650303",
        address="兰州市七里河区站南路站南社区党群服务中心",
        complex="站南花园小区",
        built_year=2016,
        buildings=(("1号楼", 120), ("2号楼", 108)),
        first_phone=13920000001,
        staff_username="staff_zhannan",
        staff_name=("郑", "海燕"),
        surnames="宋郑谢韩唐冯于董程曹",
        activities=(
            ("亲子读书会", Category.CULTURE, 5, 25),
            ("5G智慧生活体验课", Category.DIGITAL, 9, 30),
        ),
    ),
)
#: Who sees and who may join some of the neighbours' activities (the rest: the
#: community's own residents see them, anyone may sign up): one opened to the whole
#: subdistrict, one for its own community's residents only.
ACTIVITY_RULES = {
    "社区健康义诊": {
        "audience": Activity.Audience.SUBDISTRICT,
        "summary": "西津社区的义诊，欢迎全街道居民参加。",
    },
    "亲子读书会": {"residents_only": True, "summary": "站南社区的居民活动，仅限本社区居民报名。"},
}
#: Households registered per building, and the given names of their residents.
HOUSEHOLDS_PER_BUILDING = 4
GIVEN_NAMES = ("秀兰", "建军", "玉梅", "志强", "淑英", "国华", "桂芳", "永红")


def load_neighbours(builder) -> None:
    """Write the two neighbouring communities and place every demo login (see above)."""
    from .community import _upsert

    today = builder.today
    shared = Partner.objects.filter(name=SHARED_PARTNER).first()
    for n, neighbour in enumerate(NEIGHBOURS):
        community = _upsert(
            Community,
            {"name": neighbour.name},
            {
                "subdistrict": builder.subdistrict,
                "city": "兰州",
                "party_secretary": neighbour.party_secretary,
                "phone": neighbour.phone,
                "address": neighbour.address,
            },
        )
        households = sum(count for _number, count in neighbour.buildings)
        complex_ = _upsert(
            Complex,
            {"community": community, "name": neighbour.complex},
            {
                "built_year": neighbour.built_year,
                "household_count": households,
                "resident_count": households * 2,
                "service_site_name": "小区党群服务站",
            },
        )
        phone = neighbour.first_phone
        for b, (number, count) in enumerate(neighbour.buildings):
            building = _upsert(
                Building,
                {"complex": complex_, "number": number},
                {"unit_count": 2, "household_count": count},
            )
            for h in range(HOUSEHOLDS_PER_BUILDING):
                household = _upsert(
                    Household,
                    {"building": building, "unit": str(h % 2 + 1), "room": f"{h // 2 + 1}01"},
                    {"size": 2},
                )
                for p in range(2):
                    surname = neighbour.surnames[(b * HOUSEHOLDS_PER_BUILDING + h) % 10]
                    given = GIVEN_NAMES[(h * 2 + p + n) % len(GIVEN_NAMES)]
                    _upsert(
                        Resident,
                        {"phone": str(phone)},
                        {
                            "household": household,
                            "name": surname + given,
                            "birth_year": 1950 + (phone % 40),
                            "birth_year_confirmed": True,
                            "is_verified": True,
                            "consent_version": settings.PRIVACY_POLICY_VERSION,
                            "consent_at": timezone.make_aware(
                                dt.datetime.combine(today - dt.timedelta(days=90), dt.time(10))
                            ),
                        },
                    )
                    phone += 1
        for title, category, days, capacity in neighbour.activities:
            starts = timezone.make_aware(
                dt.datetime.combine(today + dt.timedelta(days=days), dt.time(9, 30))
            )
            activity = _upsert(
                Activity,
                {"complex": complex_, "title": title},
                {
                    "category": category,
                    "place": "小区党群服务站",
                    "starts_at": starts,
                    "ends_at": starts + dt.timedelta(hours=2),
                    "capacity": capacity,
                    "status": Activity.Status.OPEN,
                    "summary": f"{neighbour.name}的居民活动。",
                    **ACTIVITY_RULES.get(title, {}),
                },
            )
            if shared is not None and "5G" in title and not activity.partners.exists():
                activity.partners.add(shared)
        if shared is not None:
            _upsert(
                Agreement,
                {"partner": shared, "complex": complex_},
                {
                    "title": f"{SHARED_PARTNER}入驻{neighbour.complex}协议",
                    "status": Agreement.Status.ACTIVE,
                    "signed_on": today - dt.timedelta(days=120),
                    "starts_on": today - dt.timedelta(days=120),
                    "ends_on": today + dt.timedelta(days=245),
                },
            )
        staff = _login(builder, neighbour.staff_username, STAFF_GROUP, *neighbour.staff_name)
        _place(staff, community=community)
        builder.users_by_name[neighbour.staff_username] = staff

    # 小西坪社区's own logins stay its own; the subdistrict's see all three.
    from .community import SECRETARY_USERNAME, STAFF_USERNAME

    for username in (STAFF_USERNAME, SECRETARY_USERNAME):
        _place(builder.users_by_name[username], community=builder.community)
    for username, group, family, given in (
        (SUBDISTRICT_STAFF_USERNAME, SUBDISTRICT_STAFF_GROUP, "李", "思远"),
        (SUBDISTRICT_SECRETARY_USERNAME, SUBDISTRICT_SECRETARY_GROUP, "陈", "志明"),
    ):
        user = _login(builder, username, group, family, given)
        _place(user, subdistrict=builder.subdistrict)
        builder.users_by_name[username] = user


def _login(builder, username, group_name, family, given):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(
            username=username,
            password=builder.password_hash,
            is_staff=True,
            last_name=family,
            first_name=given,
        )
    # Made by residents/migrations/0009_subdistrict_roles (got or made here for tests whose
    # transactions flushed the migrations' rows).
    group, _created = Group.objects.get_or_create(name=group_name)
    user.groups.add(group)
    return user


def _place(user, *, community=None, subdistrict=None) -> None:
    scope = StaffScope.objects.filter(user=user).first()
    if scope is None:
        StaffScope.objects.create(user=user, community=community, subdistrict=subdistrict)
    elif (scope.community_id, scope.subdistrict_id) != (
        getattr(community, "pk", None),
        getattr(subdistrict, "pk", None),
    ):
        scope.community, scope.subdistrict = community, subdistrict
        scope.save(update_fields=["community", "subdistrict"])


def logins() -> list[tuple[str, str]]:
    """The logins `load_demo` lists after 小西坪社区's: (who, username)."""
    return [
        *(
            (gettext("%(community)s工作人员") % {"community": n.name}, n.staff_username)
            for n in NEIGHBOURS
        ),
        (gettext("街道工作人员（三个社区都能看到和办理）"), SUBDISTRICT_STAFF_USERNAME),
        (gettext("街道党工委书记（三个社区都能看到，只读）"), SUBDISTRICT_SECRETARY_USERNAME),
    ]
