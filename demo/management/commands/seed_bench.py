"""seed_bench: large synthetic data for the summary's benchmark (bench/summary.py).

    python manage.py seed_bench --residents 100000 --activities 10000 \\
        --signups 1000000 --months 24

Adds, in one transaction, to whatever is there: a complex of its own (压测小区) with
buildings and households, a dozen partners with agreements and commitments, residents
without logins (phones 150xxxxxxxx), activities spread over the last N months (a few
upcoming), sign-ups with realistic shares of confirmed / waitlisted / cancelled and
attended, ratings, needs, leads and service projects. Rows are bulk-inserted: PostgreSQL
COPY (psycopg2 `copy_expert`), elsewhere `bulk_create` in batches. Every database
constraint holds: one active sign-up per resident and activity (residents are drawn
without replacement), check-in codes unique within an activity, check-in times for every
attended sign-up. The same --seed gives the same data.

`--communities N` spreads it over N communities of the subdistrict (the first is
settings.COMMUNITY_NAME, the others 压测社区02…): each has its own 压测小区 with buildings,
the households, activities and agreements go round them in turn (sign-ups draw residents
from the whole subdistrict, so some attend another community's activities).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import time
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from activities import rollups
from activities.models import (
    Activity,
    Audience,
    Category,
    Feedback,
    Need,
    ServiceProject,
    SignUp,
)
from core.periods import add_months, month_start
from partners.models import Agreement, Lead, Partner, ResourceCommitment
from residents.models import Building, Community, Complex, Household, Resident, Subdistrict

BENCH_COMPLEX = "压测小区"
BENCH_PARTNER_PREFIX = "压测共建单位"
PHONE_PREFIX = "150"
PARTNERS = 12
BUILDINGS = 30
UNITS = 4
RESIDENTS_PER_HOUSEHOLD = 2.4

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静秀英丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉珍凤红梅志海波辉鹏宇浩然子涵欣怡佳琪思雨晨阳博文一诺"
TITLES = {
    Category.SAFETY: ["消防演练", "电梯困人救援演练", "应急救护培训", "防诈骗讲座"],
    Category.HEALTH: ["公益瑜伽课", "免费测血压", "健康讲座", "广场舞教学"],
    Category.YOUTH: ["青少年科学兴趣小组", "暑期托管", "亲子阅读", "大学生实践课堂"],
    Category.CULTURE: ["小区音乐节", "书法班", "合唱团排练", "电影放映"],
    Category.LEGAL: ["法律援助进小区", "遗嘱与继承咨询", "物业纠纷调解"],
    Category.DIGITAL: ["智能手机使用课", "防电信诈骗", "线上挂号教学"],
    Category.ELDERLY: ["爸妈食堂开放日", "长者生日会", "助浴服务"],
    Category.LIVING: ["垃圾分类宣传", "楼道清理", "绿化养护"],
    Category.VOLUNTEER: ["党员志愿服务", "义务理发", "家电义修"],
    Category.OTHER: ["居民议事会"],
}
COMMENTS = [
    "老师很耐心，学到了很多。",
    "时间安排合适，希望多办。",
    "场地有点小。",
    "很实用，下次还来。",
    "工作人员热情周到。",
    "内容丰富，孩子很喜欢。",
]


class Command(BaseCommand):
    help = _("批量生成用于性能测试的大量模拟数据（居民、活动、报名）。")

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=1000)
        parser.add_argument("--activities", type=int, default=100)
        parser.add_argument("--signups", type=int, default=10000)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--seed", type=int, default=20261127)
        parser.add_argument("--batch-size", type=int, default=10000)
        parser.add_argument("--communities", type=int, default=1)

    def handle(self, *args, **options):
        residents, activities = options["residents"], options["activities"]
        signups, months = options["signups"], options["months"]
        self.batch_size = max(1, options["batch_size"])
        self.communities = options["communities"]
        if residents < 1 or activities < 1 or months < 1 or signups < 0 or self.communities < 1:
            raise CommandError(_("居民、活动和月数至少为1，报名数不能为负数。"))
        if signups > residents * activities:
            raise CommandError(_("报名数不能超过居民数 × 活动数（每位居民每个活动只能报名一次）。"))
        self.rng = random.Random(options["seed"])
        self.copy = connection.vendor == "postgresql"
        started = time.monotonic()
        with transaction.atomic():
            complexes, households = self._complexes(residents)
            complex_ = complexes[0]
            partners = self._partners(complexes)
            resident_ids, household_of = self._residents(residents, households)
            activity_rows = self._activities(activities, months, complexes, partners)
            n_signups, n_feedback = self._signups(
                signups, activity_rows, resident_ids, household_of
            )
            self._needs_leads_projects(months, complex_, partners, resident_ids)
            self._reset_sequences()
            # Loaded with COPY, past the services: the summary's roll-ups recount it all.
            rollups.rebuild()
        self.stdout.write(
            _("已生成 %(r)s 名居民、%(a)s 场活动、%(s)s 条报名、%(f)s 条评价，用时 %(t).1f 秒。")
            % {
                "r": residents,
                "a": activities,
                "s": n_signups,
                "f": n_feedback,
                "t": time.monotonic() - started,
            }
        )

    # --- bulk insert ------------------------------------------------------------------

    def _insert(
        self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]
    ) -> int:
        """Insert rows (values in `fields` order, attnames) in batches; return the count."""
        n, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_size:
                n += self._flush(model, fields, batch)
                batch = []
        if batch:
            n += self._flush(model, fields, batch)
        return n

    def _flush(self, model, fields, batch) -> int:
        if self.copy:
            columns = [model._meta.get_field(f).column for f in fields]
            buffer = io.StringIO()
            for row in batch:
                buffer.write("\t".join(_copy_value(v) for v in row))
                buffer.write("\n")
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.copy_expert(
                    f'COPY "{model._meta.db_table}" ({", ".join(f"{c}" for c in columns)}) '
                    "FROM STDIN",
                    buffer,
                )
        else:
            model.objects.bulk_create(
                [model(**dict(zip(fields, row, strict=True))) for row in batch],
                batch_size=self.batch_size,
            )
        return len(batch)

    def _next_id(self, model) -> int:
        return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def _reset_sequences(self) -> None:
        sql = connection.ops.sequence_reset_sql(no_style(), [Household, Resident, Activity, SignUp])
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)

    # --- the community ----------------------------------------------------------------

    def _complexes(self, residents: int):
        """压测小区 in each community (the communities made as needed); the households
        spread over all their buildings. Returns the complexes and the new households."""
        subdistrict, _created = Subdistrict.objects.get_or_create(
            name=settings.SUBDISTRICT_NAME, defaults={"city": "兰州"}
        )
        names = [settings.COMMUNITY_NAME] + [
            f"压测社区{i:02d}" for i in range(2, self.communities + 1)
        ]
        complexes, buildings = [], []
        for name in names:
            community, _created = Community.objects.get_or_create(
                name=name, defaults={"subdistrict": subdistrict, "city": "兰州"}
            )
            complex_, _created = Complex.objects.get_or_create(
                community=community,
                name=BENCH_COMPLEX,
                defaults={"built_year": 2013, "service_site_name": "压测服务阵地"},
            )
            complexes.append(complex_)
            for i in range(1, BUILDINGS + 1):
                building, _created = Building.objects.get_or_create(
                    complex=complex_, number=f"{i}号楼", defaults={"unit_count": UNITS}
                )
                buildings.append(building)
        wanted = max(1, math.ceil(residents / RESIDENTS_PER_HOUSEHOLD))
        existing = Household.objects.filter(building__complex__in=complexes).count()
        first_id = self._next_id(Household)
        now = timezone.now()

        def rows():
            for j in range(wanted):
                n = existing + j
                building = buildings[n % len(buildings)]
                per_building = n // len(buildings)
                unit = str(per_building % UNITS + 1)
                room = f"{per_building // UNITS + 101}"
                yield (first_id + j, building.pk, unit, room, 3, "", now)

        self._insert(
            Household, ["id", "building_id", "unit", "room", "size", "note", "created_at"], rows()
        )
        for complex_ in complexes:
            complex_.household_count = Household.objects.filter(building__complex=complex_).count()
            complex_.resident_count = max(complex_.resident_count, residents // len(complexes))
            complex_.save(update_fields=["household_count", "resident_count"])
        self.stdout.write(_("住户：%(n)s") % {"n": wanted})
        return complexes, list(range(first_id, first_id + wanted))

    def _partners(self, complexes):
        partners = []
        today = timezone.localdate()
        categories = list(Partner.Category.values)
        for i in range(1, PARTNERS + 1):
            partner, created = Partner.objects.get_or_create(
                name=f"{BENCH_PARTNER_PREFIX}{i:02d}",
                defaults={"category": categories[i % len(categories)], "is_active": True},
            )
            if created:
                Agreement.objects.create(
                    partner=partner,
                    complex=complexes[i % len(complexes)],
                    title=f"{partner.name}入驻协议",
                    status=Agreement.Status.ACTIVE,
                    signed_on=today - dt.timedelta(days=900),
                    starts_on=today - dt.timedelta(days=900),
                    ends_on=today + dt.timedelta(days=30 * (i % 12) + 20),
                )
                ResourceCommitment.objects.create(
                    partner=partner,
                    title=_("每月两次公益活动"),
                    frequency=_("每月两次"),
                    promise=ResourceCommitment.Promise.MONTHLY,
                    times=2,
                )
            partners.append(partner)
        commitments = {}
        for c in ResourceCommitment.objects.filter(partner__in=partners):
            commitments.setdefault(c.partner_id, c.pk)
        return [(p.pk, commitments.get(p.pk)) for p in partners]

    # --- people -----------------------------------------------------------------------

    def _residents(self, n: int, households: list[int]) -> tuple[list[int], dict]:
        """Insert the residents; return their ids and {resident id: household id}."""
        rng = self.rng
        household_of: dict[int, int | None] = {}
        used = Resident.objects.filter(phone__startswith=PHONE_PREFIX).aggregate(m=Max("phone"))[
            "m"
        ]
        first_phone = int(used[3:]) + 1 if used else 0
        if first_phone + n > 10**8:
            raise CommandError(_("150 号段的模拟手机号码已用完。"))
        first_id = self._next_id(Resident)
        now = timezone.now()
        this_year = timezone.localdate().year

        def rows():
            for i in range(n):
                name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
                household = households[i % len(households)] if rng.random() < 0.97 else None
                household_of[first_id + i] = household
                yield (
                    first_id + i,
                    household,
                    name,
                    f"{PHONE_PREFIX}{first_phone + i:08d}",
                    "",
                    rng.randint(1935, this_year - 3),
                    rng.random() < 0.08,
                    rng.random() < 0.6,
                    True,  # birth year confirmed by staff
                    True,  # party membership (where there is one) confirmed
                    "2026-11",
                    now,
                    now - dt.timedelta(days=rng.randint(0, 1500)),
                    None,
                    None,
                )

        started = time.monotonic()
        self._insert(
            Resident,
            [
                "id",
                "household_id",
                "name",
                "phone",
                "email",
                "birth_year",
                "is_party_member",
                "is_verified",
                "birth_year_confirmed",
                "party_member_confirmed",
                "consent_version",
                "consent_at",
                "created_at",
                "anonymised_at",
                "user_id",
            ],
            rows(),
        )
        self.stdout.write(
            _("居民：%(n)s（%(t).1f 秒）") % {"n": n, "t": time.monotonic() - started}
        )
        return list(range(first_id, first_id + n)), household_of

    # --- activities -------------------------------------------------------------------

    def _activities(self, n: int, months: int, complexes, partners):
        """Activities over the last `months` months (3% in the coming two weeks)."""
        rng = self.rng
        now = timezone.now()
        today = timezone.localdate()
        first = month_start(*add_months(today.year, today.month, 1 - months))
        span = (now - first).total_seconds()
        first_id = self._next_id(Activity)
        categories = list(TITLES)
        weights = [3, 4, 3, 3, 1, 2, 3, 1, 2, 1]
        rows, links = [], []
        for i in range(n):
            if rng.random() < 0.03:
                starts = now + dt.timedelta(seconds=rng.uniform(3600, 14 * 86400))
            else:
                starts = first + dt.timedelta(seconds=rng.uniform(0, span - 3 * 3600))
            starts = starts.replace(minute=0, second=0, microsecond=0)
            ends = starts + dt.timedelta(hours=rng.choice((1, 2, 2, 3)))
            category = rng.choices(categories, weights)[0]
            partner_id, commitment_id = rng.choice(partners)
            if ends > now:
                status = Activity.Status.OPEN
            else:
                status = Activity.Status.CANCELLED if rng.random() < 0.04 else Activity.Status.HELD
            pk = first_id + i
            rows.append(
                {
                    "id": pk,
                    "title": rng.choice(TITLES[category]),
                    "category": category,
                    "commitment_id": commitment_id if rng.random() < 0.3 else None,
                    "complex_id": complexes[i % len(complexes)].pk,
                    "place": "压测服务阵地",
                    "summary": "",
                    "description": "",
                    "starts_at": starts,
                    "ends_at": ends,
                    "capacity": None,
                    "signup_opens_at": None,
                    "signup_closes_at": None,
                    "status": status,
                    "is_public": True,
                    "min_age": None,
                    "max_age": None,
                    "party_members_only": False,
                    "audience": Audience.COMMUNITY,
                    "residents_only": False,
                    "created_at": starts - dt.timedelta(days=20),
                    "updated_at": starts - dt.timedelta(days=20),
                }
            )
            links.append((pk, partner_id))
            if rng.random() < 0.15:  # a joint activity with a second partner
                other = rng.choice(partners)[0]
                if other != partner_id:
                    links.append((pk, other))
        return {"rows": rows, "links": links}

    # --- sign-ups ---------------------------------------------------------------------

    def _signups(
        self,
        total: int,
        activity_data,
        resident_ids: list[int],
        household_of: dict[int, int | None],
    ):
        """Spread `total` sign-ups over the activities; then write activities and sign-ups.

        Each sign-up records its resident's household, as `services.sign_up` does."""
        rng = self.rng
        rows = activity_data["rows"]
        weights = [rng.uniform(0.3, 1.7) for _row in rows]
        scale = total / sum(weights)
        counts = [min(len(resident_ids), int(w * scale)) for w in weights]
        short = total - sum(counts)
        i = 0
        while short > 0:  # hand out the rounding remainder
            if counts[i % len(counts)] < len(resident_ids):
                counts[i % len(counts)] += 1
                short -= 1
            i += 1
        for row, k in zip(rows, counts, strict=True):
            if rng.random() < 0.7:  # most activities have a capacity near the demand
                row["capacity"] = max(5, round(k * rng.uniform(0.75, 1.3)))

        activity_fields = list(rows[0]) if rows else []
        self._insert(Activity, activity_fields, (tuple(r.values()) for r in rows))
        self._insert(
            Activity.partners.through, ["activity_id", "partner_id"], activity_data["links"]
        )

        now = timezone.now()
        first_id = self._next_id(SignUp)
        feedback: list[tuple] = []
        signup_fields = [
            "id",
            "activity_id",
            "resident_id",
            "household_id",
            "status",
            "signed_up_by_id",
            "check_in_code",
            "created_at",
            "confirmed_at",
            "promoted_at",
            "promotion_unseen",
            "cancelled_at",
            "attended",
            "checked_in_at",
            "walk_in",
        ]
        next_id = first_id

        def signup_rows():
            nonlocal next_id
            for row, k in zip(rows, counts, strict=True):
                if not k:
                    continue
                starts, capacity = row["starts_at"], row["capacity"]
                held = row["status"] == Activity.Status.HELD
                people = rng.sample(resident_ids, k)
                codes = rng.sample(range(1_000_000), k)
                created = sorted(
                    starts - dt.timedelta(seconds=rng.uniform(3600, 14 * 86400)) for _j in range(k)
                )
                confirmed = 0
                for resident_id, code, created_at in zip(people, codes, created, strict=True):
                    created_at = min(created_at, now)
                    cancelled_at = confirmed_at = checked_in_at = None
                    attended = False
                    if rng.random() < 0.08:
                        status = SignUp.Status.CANCELLED
                        cancelled_at = created_at + dt.timedelta(hours=rng.uniform(1, 48))
                    elif capacity is None or confirmed < capacity:
                        status = SignUp.Status.CONFIRMED
                        confirmed += 1
                        confirmed_at = created_at
                        if held and rng.random() < 0.82:
                            attended = True
                            checked_in_at = starts + dt.timedelta(minutes=rng.uniform(-15, 30))
                    else:
                        status = SignUp.Status.WAITLISTED
                    if attended and rng.random() < 0.35:
                        comment = rng.choice(COMMENTS) if rng.random() < 0.3 else ""
                        may_publish = bool(comment) and rng.random() < 0.5
                        feedback.append(
                            (
                                next_id,
                                rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0],
                                comment,
                                may_publish,
                                may_publish and rng.random() < 0.5,
                                min(now, row["ends_at"] + dt.timedelta(hours=rng.uniform(1, 72))),
                            )
                        )
                    yield (
                        next_id,
                        row["id"],
                        resident_id,
                        household_of[resident_id],
                        status,
                        None,
                        f"{code:06d}",
                        created_at,
                        confirmed_at,
                        None,
                        False,
                        cancelled_at,
                        attended,
                        checked_in_at,
                        False,
                    )
                    next_id += 1

        started = time.monotonic()
        n = self._insert(SignUp, signup_fields, signup_rows())
        self.stdout.write(
            _("报名：%(n)s（%(t).1f 秒）") % {"n": n, "t": time.monotonic() - started}
        )
        n_feedback = self._insert(
            Feedback,
            ["signup_id", "rating", "comment", "may_publish", "is_published", "created_at"],
            feedback,
        )
        self.stdout.write(_("活动：%(n)s") % {"n": len(rows)})
        return n, n_feedback

    # --- needs, leads, projects -------------------------------------------------------

    def _needs_leads_projects(self, months, complex_, partners, resident_ids):
        rng = self.rng
        now = timezone.now()
        today = timezone.localdate()
        needs, leads = [], []
        for m in range(months):
            y, mo = add_months(today.year, today.month, -m)
            start = month_start(y, mo)
            limit = min(
                (month_start(*add_months(y, mo, 1)) - start).total_seconds(),
                (now - start).total_seconds(),
            )
            for _i in range(15):
                created = start + dt.timedelta(seconds=rng.uniform(0, limit))
                status = rng.choices(list(Need.Status.values), (2, 2, 1, 5, 1))[0]
                resolved = (
                    min(now, created + dt.timedelta(days=rng.uniform(1, 20)))
                    if status == Need.Status.RESOLVED
                    else None
                )
                needs.append(
                    Need(
                        resident_id=rng.choice(resident_ids),
                        complex=complex_,
                        title=rng.choice(
                            ["楼道灯坏了", "下水道堵塞", "希望增加健身器材", "电梯异响"]
                        ),
                        category=rng.choice(Category.values),
                        status=Need.Status.ACCEPTED if status == Need.Status.IN_PROJECT else status,
                        created_at=created,
                        resolved_at=resolved,
                    )
                )
            for _i in range(4):
                created = start + dt.timedelta(seconds=rng.uniform(0, limit))
                signed = rng.random() < 0.2
                leads.append(
                    Lead(
                        offered_by_id=rng.choice(resident_ids),
                        organisation=_("压测线索单位"),
                        offer=_("可以来小区开展公益活动"),
                        stage=Lead.Stage.SIGNED if signed else Lead.Stage.CONTACTED,
                        partner_id=rng.choice(partners)[0] if signed else None,
                        created_at=created,
                        closed_at=min(now, created + dt.timedelta(days=10)) if signed else None,
                    )
                )
        Need.objects.bulk_create(needs, batch_size=self.batch_size)
        Lead.objects.bulk_create(leads, batch_size=self.batch_size)
        if not ServiceProject.objects.filter(complex=complex_).exists():
            for i, (partner_id, _c) in enumerate(partners[:6]):
                done = i < 2
                ServiceProject.objects.create(
                    title=_("压测服务项目%(n)s") % {"n": i + 1},
                    complex=complex_,
                    partner_id=partner_id,
                    category=Category.LIVING,
                    status=ServiceProject.Status.DONE
                    if done
                    else ServiceProject.Status.IN_PROGRESS,
                    progress=100 if done else 20 * (i - 1),
                    starts_on=today - dt.timedelta(days=120),
                    finished_on=today - dt.timedelta(days=10) if done else None,
                )


def _copy_value(value) -> str:
    """A value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
