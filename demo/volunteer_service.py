"""The demo's 双报到 and volunteer service (load_demo, idempotent): service posts; 中国移动 and
the red-property company (德盛和物业) reported as units; the complex's 36 party members
reported with their posts (some of them in-service members of those units) and four members
of the units living elsewhere; a volunteer role on each held activity with a year of hours;
points earned by the rules; the points shop stocked by 中国移动 and 红色物业 (each item a
resource commitment); a few redemptions; and roles open for sign-up on upcoming activities.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.utils import timezone

from activities.models import Activity, Category
from partners.models import Partner, ResourceCommitment
from residents.models import Resident
from volunteering import services
from volunteering.models import (
    PartyMember,
    PointsEntry,
    PointsRule,
    ReportingUnit,
    RoleSignUp,
    ServicePost,
    ShopItem,
    VolunteerRole,
)

SEED = "gongjian-volunteering"
POSTS = [
    ("楼栋长", "联系本楼住户，收集诉求，通知社区事项"),
    ("助老", "探访独居、高龄老人，陪同就医、代办"),
    ("文明劝导", "劝导乱停车、乱堆放，宣传垃圾分类"),
    ("应急", "参加应急演练，突发情况时协助疏散"),
    ("环境维护", "参加小区清扫、绿化维护"),
]
MOBILE = "中国移动"
PROPERTY = "中铁二十一局德盛和物业"
#: Members of the units who live elsewhere (在职党员到居住地以外的共建社区报到).
MEMBERS_ELSEWHERE = [
    ("高志强", "13809310201", MOBILE),
    ("孙丽萍", "13809310202", MOBILE),
    ("田建军", "13809310203", PROPERTY),
    ("韩雪梅", "13809310204", PROPERTY),
]
RULES = [
    ("每服务 1 小时", PointsRule.Kind.PER_HOUR, "", "", 10),
    ("担任引导员", PointsRule.Kind.PER_ROLE, "引导员", "", 5),
    ("应急安全类活动", PointsRule.Kind.PER_CATEGORY, "", Category.SAFETY, 5),
]
SHOP = [
    (MOBILE, "10GB 通用流量包", 100, 20),
    (MOBILE, "手机贴膜一次", 40, 30),
    (PROPERTY, "免费上门维修一次（水电小修）", 80, 10),
    (PROPERTY, "洗衣液 2kg", 60, 20),
]
SHOP_COMMITMENT = "积分超市兑换商品"
ROLE = "引导员"


def load_volunteering(builder) -> dict:
    """Write the demo's volunteer service (the builder's residents and activities)."""
    from .community import _upsert  # the demo's "write only what changed" (no history on rerun)

    posts = [
        _upsert(ServicePost, {"name": name}, {"description": text, "order": order})
        for order, (name, text) in enumerate(POSTS)
    ]
    partners = {p.name: p for p in Partner.objects.filter(name__in=[MOBILE, PROPERTY])}
    units = {}
    for name, partner in partners.items():
        unit = _upsert(
            ReportingUnit,
            {"name": partner.name},
            {
                "partner": partner,
                "community": builder.community,
                "contact_name": partner.contact_name,
                "contact_phone": partner.contact_phone,
            },
        )
        if not unit.posts.exists():
            unit.posts.set(posts[2:4] if name == MOBILE else posts[:1] + posts[4:])
        units[name] = unit
    rng = random.Random(SEED)
    members = []
    party = sorted(
        Resident.objects.filter(
            pk__in=[r.pk for r in builder.party_members], anonymised_at__isnull=True
        ),
        key=lambda r: r.phone,
    )
    for number, resident in enumerate(party):
        unit = None
        if number % 9 == 0:
            unit = units.get(MOBILE)
        elif number % 9 == 1:
            unit = units.get(PROPERTY)
        member, created = PartyMember.objects.get_or_create(
            resident=resident,
            defaults={"unit": unit, "reported_on": builder.day(-rng.randint(200, 700))},
        )
        if created:
            member.posts.set(rng.sample(posts, rng.randint(1, 2)))
        members.append(member)
    for name, phone, unit_name in MEMBERS_ELSEWHERE:
        member, created = PartyMember.objects.get_or_create(
            name=name,
            resident=None,
            defaults={
                "community": builder.community,
                "phone": phone,
                "unit": units.get(unit_name),
                "reported_on": builder.day(-300),
            },
        )
        if member.community_id is None:  # a demo written before members had a community
            PartyMember.objects.filter(pk=member.pk).update(community=builder.community)
        if created:
            member.posts.set(posts[2:4])
        members.append(member)
    for name, kind, role_name, category, points in RULES:
        _upsert(
            PointsRule,
            {"name": name},
            {"kind": kind, "role_name": role_name, "category": category, "points": points},
        )
    _service_year(builder, members, rng)
    _shop(builder, partners, rng)
    _upcoming_roles(builder)
    return {
        "party_members": PartyMember.objects.count(),
        "service_records": RoleSignUp.objects.served().count(),
        "shop_items": ShopItem.objects.count(),
    }


def _service_year(builder, members: list[PartyMember], rng: random.Random) -> None:
    """A volunteer role at each held activity, served by a few members, with hours and
    points (written once: an activity whose role has volunteers is left as it is)."""
    held = [a for spec, a in builder.activity_plan if a.status == Activity.Status.HELD]
    for activity in held:
        role, _created = VolunteerRole.objects.get_or_create(
            activity=activity,
            name=ROLE,
            defaults={"places": 4, "description": "引导签到、维持秩序"},
        )
        if role.signups.exists():
            continue
        length = Decimal((activity.ends_at - activity.starts_at).total_seconds() / 3600)
        for member in rng.sample(members, min(len(members), rng.randint(2, 4))):
            hours = max(Decimal("0.5"), length - Decimal(rng.choice([0, 0, 0.5])))
            signup = RoleSignUp.objects.create(
                role=role,
                activity=activity,
                resident=member.resident,
                member=member,
                status=RoleSignUp.Status.CONFIRMED,
                created_at=activity.starts_at - (activity.ends_at - activity.starts_at) * 24,
                confirmed_at=activity.starts_at - (activity.ends_at - activity.starts_at) * 24,
                checked_in_at=activity.starts_at,
                checked_out_at=activity.starts_at + (activity.ends_at - activity.starts_at),
                hours=hours.quantize(Decimal("0.1")),
                recorded_by=builder.staff,
            )
            if member.resident_id is not None:
                services.award_points(signup=signup, by=builder.staff)


def _shop(builder, partners: dict, rng: random.Random) -> None:
    items = []
    for partner_name, name, points, stock in SHOP:
        partner = partners.get(partner_name)
        if partner is None:
            continue
        commitment, _created = ResourceCommitment.objects.get_or_create(
            partner=partner,
            title=SHOP_COMMITMENT,
            defaults={"description": "为社区积分超市提供兑换商品", "frequency": "长期"},
        )
        item, created = ShopItem.objects.get_or_create(
            partner=partner,
            name=name,
            defaults={"commitment": commitment, "points": points, "stock": stock},
        )
        if item.community_id is None:  # a demo written before items had a community
            ShopItem.objects.filter(pk=item.pk).update(community=builder.community)
            item.community = builder.community
        items.append(item)
    if not items or PointsEntry.objects.filter(kind=PointsEntry.Kind.REDEEMED).exists():
        return
    balances = {}
    for resident_id, balance in PointsEntry.objects.order_by("resident_id", "seq").values_list(
        "resident_id", "balance"
    ):
        balances[resident_id] = balance
    for resident_id, balance in sorted(balances.items(), key=lambda kv: -kv[1])[:5]:
        affordable = [i for i in items if i.points <= balance]
        if affordable:
            services.redeem(resident=resident_id, item=rng.choice(affordable))


def _upcoming_roles(builder) -> None:
    """ "引导员 × 4" on the upcoming open activities, for residents to sign up in the demo."""
    now = timezone.now()
    upcoming = [
        a
        for spec, a in builder.activity_plan
        if a.status == Activity.Status.OPEN and a.starts_at > now
    ][:3]
    for activity in upcoming:
        VolunteerRole.objects.get_or_create(
            activity=activity,
            name=ROLE,
            defaults={"places": 4, "description": "引导签到、维持秩序"},
        )
