"""What partners do for residents: activities with sign-ups, service projects, needs, feedback."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from simple_history.models import HistoricalRecords

from residents.models import Resident


class Category(models.TextChoices):
    """What an activity or project is about; shared by activities, projects and the summary."""

    SAFETY = "safety", _("应急安全")
    HEALTH = "health", _("健康运动")
    YOUTH = "youth", _("青少年与教育")
    CULTURE = "culture", _("文化娱乐")
    LEGAL = "legal", _("法律服务")
    DIGITAL = "digital", _("数字助老")
    ELDERLY = "elderly", _("为老服务")
    LIVING = "living", _("居住环境")
    VOLUNTEER = "volunteer", _("志愿服务")
    OTHER = "other", _("其他")


def _prefixed(prefix: str, **lookups) -> Q:
    return Q(**{prefix + name: value for name, value in lookups.items()})


class ActivityQuerySet(models.QuerySet):
    """Where activities stand. The conditions are also given as `Q` objects with a
    `prefix` (`"activity__"`, `"activities__"`), so that the summary and the admin count
    with the very same rule inside conditional aggregates."""

    @staticmethod
    def over_q(now, prefix: str = "") -> Q:
        """Over: marked held, or its end has passed (cancelled ones included)."""
        return _prefixed(prefix, status=ActivityStatus.HELD) | _prefixed(prefix, ends_at__lte=now)

    @staticmethod
    def held_q(start, end, now, prefix: str = "") -> Q:
        """Held in [start, end): not cancelled, ended within it, and over by `now`."""
        return _prefixed(
            prefix, ends_at__gte=start, ends_at__lt=end, status__in=LIVE_STATUSES
        ) & ActivityQuerySet.over_q(now, prefix)

    def over(self, now=None):
        return self.filter(self.over_q(now or timezone.now()))

    def not_cancelled(self):
        return self.exclude(status=ActivityStatus.CANCELLED)

    def held(self, *, start, end, now=None):
        """Activities held in [start, end) (see `held_q`)."""
        return self.filter(self.held_q(start, end, now or timezone.now()))

    def visible(self):
        """Activities residents may see: everything but drafts still being planned in private."""
        return self.exclude(status=Activity.Status.PLANNED, is_public=False)

    def for_community(self, community_id: int | None):
        """What a reader of the community sees listed: its own activities and those another
        community opens to the whole subdistrict, with `home_first` (0 for its own, 1 for
        the others) to order them by. None: every activity (the subdistrict's list)."""
        if community_id is None:
            return self
        own = Q(complex__community_id=community_id)
        return self.filter(own | Q(audience=Audience.SUBDISTRICT)).annotate(
            home_first=Case(When(own, then=Value(0)), default=Value(1), output_field=IntegerField())
        )

    def upcoming(self, now=None):
        return self.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now=None):
        return self.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-pk")

    def starting_between(self, start, end):
        """Activities starting in [start, end), soonest first."""
        return self.filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at", "pk")

    def with_check_in_counts(self):
        """Annotate `checked_in_count`: residents checked in (attended) so far."""
        return self.annotate(
            checked_in_count=Count("signups", filter=Q(signups__attended=True), distinct=True)
        )

    def without_check_ins(self):
        """Activities for which nobody has been checked in (a forgotten desk, or nobody came)."""
        return self.exclude(
            models.Exists(SignUp.objects.filter(activity_id=OuterRef("pk"), attended=True))
        )

    def with_seat_counts(self):
        """Annotate `confirmed_count` and `waitlisted_count` in the same query.

        Correlated counts on the sign-ups' queue index, not a join grouped over the whole
        set: PostgreSQL computes them only for the rows a page returns (after ORDER BY and
        LIMIT), and `count()` leaves them out, so a list page costs the same whatever the
        number of activities and sign-ups before it."""

        def counted(status):
            return Coalesce(
                Subquery(
                    SignUp.objects.filter(activity_id=OuterRef("pk"), status=status)
                    .order_by()
                    .values("activity_id")
                    .annotate(n=Count("*"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                Value(0),
            )

        return self.annotate(
            confirmed_count=counted(SignUp.Status.CONFIRMED),
            waitlisted_count=counted(SignUp.Status.WAITLISTED),
        )


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("筹备中")
    OPEN = "open", _("报名中")
    HELD = "held", _("已举办")
    CANCELLED = "cancelled", _("已取消")


#: Statuses of activities that take place (all but cancelled).
LIVE_STATUSES = (ActivityStatus.PLANNED, ActivityStatus.OPEN, ActivityStatus.HELD)


class Audience(models.TextChoices):
    """Whom an activity is shown to on an installation of several communities."""

    COMMUNITY = "community", _("本社区")
    SUBDISTRICT = "subdistrict", _("全街道")


class Series(models.Model):
    """A repeating activity ("yoga every Wednesday 9:30 until June"): its occurrences are
    ordinary activities linked to it, created in one step by `activities.series`."""

    title = models.CharField(_("系列名称"), max_length=200)
    rule = models.TextField(
        _("重复规则"), help_text=_("RFC 5545 重复规则（DTSTART 与 RRULE），由系统生成。")
    )
    description = models.CharField(_("重复方式"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("系列活动")
        verbose_name_plural = pgettext_lazy("plural", "系列活动")
        ordering = ["-created_at", "pk"]

    def __str__(self):
        return self.title

    @classmethod
    def community_q(cls, ids) -> Q:
        """A series is the community's whose complexes its activities are held in."""
        activities = Activity.objects.filter(series=OuterRef("pk"), complex__community__in=ids)
        return Q(Exists(activities))


class Activity(models.Model):
    """An event at or near the service site: a drill, a class, a club meeting, a festival."""

    Status = ActivityStatus
    Audience = Audience

    title = models.CharField(_("活动名称"), max_length=200)
    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    partners = models.ManyToManyField(
        "partners.Partner", related_name="activities", blank=True, verbose_name=_("共建单位")
    )
    commitment = models.ForeignKey(
        "partners.ResourceCommitment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("兑现的资源承诺"),
    )
    complex = models.ForeignKey(
        "residents.Complex",
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("小区"),
    )
    place = models.CharField(_("地点"), max_length=200)
    summary = models.CharField(_("一句话介绍"), max_length=200, blank=True)
    description = models.TextField(_("活动介绍"), blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(
        _("名额"), null=True, blank=True, help_text=_("留空表示不限名额。")
    )
    signup_opens_at = models.DateTimeField(
        _("报名开始"), null=True, blank=True, help_text=_("留空表示发布后即可报名。")
    )
    signup_closes_at = models.DateTimeField(
        _("报名截止"), null=True, blank=True, help_text=_("留空表示活动开始前均可报名。")
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    is_public = models.BooleanField(
        _("对居民公开"), default=True, help_text=_("不公开的筹备中活动只在后台可见。")
    )
    series = models.ForeignKey(
        Series,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("所属系列"),
    )
    min_age = models.PositiveSmallIntegerField(_("最小年龄"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("最大年龄"), null=True, blank=True)
    party_members_only = models.BooleanField(_("仅限党员"), default=False)
    audience = models.CharField(
        _("面向"),
        max_length=20,
        choices=Audience.choices,
        default=Audience.COMMUNITY,
        help_text=_("“全街道”的活动也列在街道其他社区居民的活动列表中。"),
    )
    residents_only = models.BooleanField(
        _("仅限本社区居民报名"),
        default=False,
        help_text=_("只有住在本活动所在社区的居民可以报名。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ActivityQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    COMMUNITY_PATH = "complex__community"

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = pgettext_lazy("plural", "活动")
        ordering = ["-starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="activity_ends_after_start",
                violation_error_message=_("结束时间必须晚于开始时间。"),
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=0),
                name="activity_capacity_not_negative",
                violation_error_message=_("名额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values),
                name="activity_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="activity_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values),
                name="activity_audience_valid",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=F("min_age")),
                name="activity_age_range_valid",
                violation_error_message=_("最大年龄不能小于最小年龄。"),
            ),
            models.CheckConstraint(
                condition=Q(signup_opens_at__isnull=True)
                | Q(signup_closes_at__isnull=True)
                | Q(signup_closes_at__gt=F("signup_opens_at")),
                name="activity_signup_window_valid",
                violation_error_message=_("报名截止时间必须晚于报名开始时间。"),
            ),
        ]
        # The activity list reads these alone (PostgreSQL: index-only scans): upcoming and
        # past in list order, with what `visible()` and `upcoming()`/`past()` filter on.
        indexes = [
            models.Index(
                fields=["starts_at", "id"],
                include=["ends_at", "status", "is_public"],
                name="activity_starts_list_idx",
            ),
            models.Index(
                fields=["ends_at"],
                include=["starts_at", "status", "is_public"],
                name="activity_ends_list_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("activities:detail", args=[self.pk])

    @property
    def signup_deadline(self):
        """When sign-up closes: the set deadline, or the start of the activity."""
        return self.signup_closes_at or self.starts_at

    def is_over(self, now=None) -> bool:
        """`Activity.objects.over()`, for one activity in memory."""
        return self.status == self.Status.HELD or self.ends_at <= (now or timezone.now())

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def has_restrictions(self) -> bool:
        return bool(
            self.min_age is not None
            or self.max_age is not None
            or self.party_members_only
            or self.residents_only
        )


class SignUpQuerySet(models.QuerySet):
    def active(self):
        """Sign-ups that hold a seat or a place in the queue (not cancelled)."""
        return self.exclude(status=SignUpStatus.CANCELLED)

    def with_waitlist_position(self):
        """Annotate `waitlist_position` (1 = next in line; None unless waitlisted) in the
        same query: the order of `services.waitlist_position`, by `created_at`, then `pk`."""
        ahead = (
            SignUp.objects.filter(
                activity_id=OuterRef("activity_id"), status=SignUpStatus.WAITLISTED
            )
            .filter(
                Q(created_at__lt=OuterRef("created_at"))
                | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
            )
            .order_by()
            .values("activity_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            waitlist_position=Case(
                When(
                    status=SignUpStatus.WAITLISTED,
                    then=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1,
                ),
                default=None,
                output_field=IntegerField(),
            )
        )


class SignUpStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已报名")
    WAITLISTED = "waitlisted", _("候补中")
    CANCELLED = "cancelled", _("已取消")


class SignUp(models.Model):
    """A resident's place at an activity: confirmed, on the waiting list, or cancelled.

    The waiting list is served first come, first served (by `created_at`). Sign-ups are
    written only through `activities.services`.
    """

    Status = SignUpStatus

    # Protected: an activity residents signed up for is cancelled, not deleted, so that
    # past months' figures stay as they were.
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="signups", verbose_name=_("活动")
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        related_name="signups",
        verbose_name=_("居民"),
    )
    # The resident's household when they signed up (a household reached stays reached
    # if the resident later moves): the summary counts households from it, without a join.
    # Protected, so that deleting a household never changes the households reached.
    household = models.ForeignKey(
        "residents.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("住户"),
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代报名人"),
        help_text=_("为他人报名的工作人员或监护人；本人报名时为本人账号。"),
    )
    check_in_code = models.CharField(_("签到码"), max_length=6)
    created_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("候补转正时间"), null=True, blank=True)
    promotion_unseen = models.BooleanField(_("转正通知未读"), default=False)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("取消操作人"),
        help_text=_("取消报名的居民本人、监护人或工作人员。"),
    )
    attended = models.BooleanField(_("已签到"), default=False)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签到操作人"),
        help_text=_("为居民签到的工作人员。"),
    )
    walk_in = models.BooleanField(
        _("现场报名"), default=False, help_text=_("未提前报名、在签到台现场登记参加。")
    )
    over_capacity_at = models.DateTimeField(_("超额准入时间"), null=True, blank=True)
    over_capacity_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("超额准入人"),
        help_text=_("名额已满时确认让居民超额参加的工作人员。"),
    )

    objects = SignUpQuerySet.as_manager()
    # Who changed a sign-up and when; the "promoted" notice's unread flag is not a change.
    history = HistoricalRecords(excluded_fields=["promotion_unseen"])

    COMMUNITY_PATH = "activity__complex__community"

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = pgettext_lazy("plural", "报名")
        ordering = ["activity", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "resident"],
                condition=~Q(status=SignUpStatus.CANCELLED),
                name="signup_one_active_per_resident",
                violation_error_message=_("该居民已报名此活动。"),
            ),
            # Among active sign-ups: a resident who cancels and signs up again keeps the
            # code of the cancelled sign-up (see services._new_check_in_code).
            models.UniqueConstraint(
                fields=["activity", "check_in_code"],
                condition=~Q(status=SignUpStatus.CANCELLED),
                name="signup_unique_active_check_in_code",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SignUpStatus.values), name="signup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(attended=False) | Q(checked_in_at__isnull=False),
                name="signup_attended_has_check_in_time",
            ),
            models.CheckConstraint(
                condition=(Q(status=SignUpStatus.CANCELLED) & Q(cancelled_at__isnull=False))
                | (~Q(status=SignUpStatus.CANCELLED) & Q(cancelled_at__isnull=True)),
                name="signup_cancelled_iff_cancelled_at",
                violation_error_message=_(
                    "已取消的报名必须有取消时间，未取消的报名不能有取消时间。"
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["activity", "status", "created_at"], name="signup_queue_idx"),
            models.Index(fields=["created_at"], name="signup_created_idx"),
            models.Index(fields=["checked_in_at"], name="signup_checked_in_idx"),
            # Who was reached: the monthly summary's attendance and distinct residents and
            # households, read from this index alone (no join to the residents).
            models.Index(
                fields=["activity", "resident", "household"],
                condition=Q(attended=True),
                name="signup_reach_idx",
            ),
        ]

    def __str__(self):
        return f"{self.resident} · {self.activity}"

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CANCELLED


class CallReason(models.TextChoices):
    PROMOTED = "promoted", _("候补转正")
    TIME_CHANGED = "time_changed", _("活动改时间")
    CANCELLED = "cancelled", _("活动取消")


class CallListQuerySet(models.QuerySet):
    def to_call(self):
        """Entries nobody has ticked "called" yet."""
        return self.filter(called_at__isnull=True)


class CallListEntry(models.Model):
    """A resident staff must phone (电话通知名单): one without a login or an e-mail address,
    who cannot read the site's notice, whose sign-up was confirmed from the waiting list or
    whose activity changed time or was cancelled. Written by `activities.services`."""

    Reason = CallReason

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="call_list", verbose_name=_("活动")
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.CASCADE,
        related_name="call_list_entries",
        verbose_name=_("居民"),
    )
    signup = models.ForeignKey(
        SignUp,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("报名"),
    )
    reason = models.CharField(_("通知原因"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("通知内容"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("加入名单时间"), default=timezone.now)
    called_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("通知人"),
    )

    objects = CallListQuerySet.as_manager()
    history = HistoricalRecords()

    COMMUNITY_PATH = "activity__complex__community"

    class Meta:
        verbose_name = _("电话通知")
        verbose_name_plural = pgettext_lazy("plural", "电话通知名单")
        ordering = ["called_at", "-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=CallReason.values), name="call_list_reason_valid"
            ),
        ]
        indexes = [models.Index(fields=["called_at", "created_at"], name="call_list_todo_idx")]

    def __str__(self):
        return f"{self.resident} · {self.activity} · {self.get_reason_display()}"

    @property
    def is_called(self) -> bool:
        return self.called_at is not None


#: A finished project still shows to the residents of its buildings for this many days.
WORKS_SHOWN_AFTER_DONE_DAYS = 30


class ServiceProjectQuerySet(models.QuerySet):
    def in_progress(self):
        return self.filter(status=ServiceProject.Status.IN_PROGRESS)

    def affecting(self, building, *, today=None):
        """Works in this building that residents should know of: planned or under way, or
        finished within the last 30 days."""
        today = today or timezone.localdate()
        recent = today - dt.timedelta(days=WORKS_SHOWN_AFTER_DONE_DAYS)
        return self.filter(buildings=building).filter(
            ~Q(status=ProjectStatus.DONE) | Q(finished_on__gte=recent)
        )


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("进行中")
    DONE = "done", _("已完成")


class ServiceProject(models.Model):
    """Works over weeks that answer residents' needs (项目清单), e.g. water-pipe replacement."""

    Status = ProjectStatus

    title = models.CharField(_("项目名称"), max_length=200)
    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("承接单位"),
    )
    complex = models.ForeignKey(
        "residents.Complex",
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("小区"),
    )
    buildings = models.ManyToManyField(
        "residents.Building", related_name="projects", blank=True, verbose_name=_("涉及楼栋")
    )
    description = models.TextField(_("项目介绍"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    due_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    finished_on = models.DateField(_("完成日期"), null=True, blank=True)
    completion_note = models.TextField(
        _("提前完成的原因"),
        blank=True,
        help_text=_("进度节点未全部完成就标记为已完成时，必须说明原因。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ServiceProjectQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    COMMUNITY_PATH = "complex__community"

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = pgettext_lazy("plural", "服务项目")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="project_progress_0_100",
                violation_error_message=_("进度必须在0到100之间。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values), name="project_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ProjectStatus.DONE) | Q(progress=100),
                name="project_done_is_100",
                violation_error_message=_("已完成的项目进度应为100%%。"),
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(due_on__isnull=True)
                | Q(due_on__gte=F("starts_on")),
                name="project_due_after_start",
                violation_error_message=_("计划完成日期不能早于开始日期。"),
            ),
        ]

    def __str__(self):
        return self.title


class Milestone(models.Model):
    """A step of a service project, e.g. "pipes for building 3 replaced"."""

    project = models.ForeignKey(
        ServiceProject,
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("服务项目"),
    )
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("计划日期"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    COMMUNITY_PATH = "project__complex__community"

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = pgettext_lazy("plural", "项目节点")
        ordering = ["project", "due_on", "pk"]

    def __str__(self):
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class NeedStatus(models.TextChoices):
    NEW = "new", _("待处理")
    ACCEPTED = "accepted", _("已受理")
    IN_PROJECT = "in_project", _("已纳入项目")
    RESOLVED = "resolved", _("已解决")
    DECLINED = "declined", _("暂不受理")


class NeedUrgency(models.TextChoices):
    LOW = "low", _("不急")
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class NeedQuerySet(models.QuerySet):
    @staticmethod
    def open_q(moment) -> Q:
        """Being worked on at `moment`: reported before it, accepted or taken into a
        project, and not resolved by then."""
        return Q(created_at__lt=moment) & (
            Q(status__in=[NeedStatus.ACCEPTED, NeedStatus.IN_PROJECT])
            | Q(status=NeedStatus.RESOLVED, resolved_at__gte=moment)
        )

    @staticmethod
    def untriaged_q(moment) -> Q:
        """Reported before `moment` and not looked at yet."""
        return Q(status=NeedStatus.NEW, created_at__lt=moment)

    def open_at(self, moment=None):
        return self.filter(self.open_q(moment or timezone.now()))

    def counted(self):
        """Needs that count in figures: not marked by staff as spam or a duplicate."""
        return self.filter(is_invalid=False)

    def recent_by(self, resident, since):
        """The resident's needs reported since `since` (for the per-resident limit)."""
        return self.filter(resident=resident, created_at__gte=since)

    def untriaged(self, *, for_days: int = 0, now=None):
        """Needs nobody has looked at, reported more than `for_days` days ago."""
        moment = (now or timezone.now()) - dt.timedelta(days=for_days)
        return self.filter(self.untriaged_q(moment))


class Need(models.Model):
    """A need a resident reported (需求清单), triaged by staff and answered by a project."""

    Status = NeedStatus

    Urgency = NeedUrgency

    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("提出人"),
    )
    complex = models.ForeignKey(
        "residents.Complex",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("小区"),
    )
    title = models.CharField(_("需求"), max_length=200)
    description = models.TextField(_("详细说明"), blank=True)
    location = models.CharField(_("位置"), max_length=200, blank=True)
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.NEW)
    is_invalid = models.BooleanField(
        _("无效（重复或灌水）"),
        default=False,
        help_text=_("工作人员标记为重复或无意义的需求，不计入统计。"),
    )
    project = models.ForeignKey(
        ServiceProject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("对应项目"),
    )
    staff_reply = models.TextField(_("答复"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)

    objects = NeedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("居民需求")
        verbose_name_plural = pgettext_lazy("plural", "居民需求")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NeedStatus.values), name="need_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=NeedUrgency.values), name="need_urgency_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=NeedStatus.IN_PROJECT) | Q(project__isnull=False),
                name="need_in_project_has_project",
                violation_error_message=_("“已纳入项目”的需求必须选择对应项目。"),
            ),
            models.CheckConstraint(
                condition=(Q(status=NeedStatus.RESOLVED) & Q(resolved_at__isnull=False))
                | (~Q(status=NeedStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="need_resolved_iff_resolved_at",
                violation_error_message=_(
                    "“已解决”的需求必须有解决时间，其他状态的需求不能有解决时间。"
                ),
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="need_created_idx")]

    def __str__(self):
        return self.title

    @classmethod
    def community_q(cls, ids) -> Q:
        """A need is its complex's community's, or, without a complex, its resident's."""
        return Q(complex__community__in=ids) | (
            Q(complex__isnull=True) & Resident.community_q(ids, prefix="resident__")
        )


class Feedback(models.Model):
    """An attendee's rating (1–5) and comment; staff may publish it if the resident agreed."""

    signup = models.OneToOneField(
        SignUp, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("报名")
    )
    rating = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("评价"), blank=True, max_length=1000)
    may_publish = models.BooleanField(_("同意公开"), default=False)
    is_published = models.BooleanField(_("已公开"), default=False)
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    COMMUNITY_PATH = "signup__activity__complex__community"

    class Meta:
        verbose_name = _("活动评价")
        verbose_name_plural = pgettext_lazy("plural", "活动评价")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="feedback_rating_1_5",
                violation_error_message=_("评分必须在1到5之间。"),
            ),
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(may_publish=True),
                name="feedback_published_with_consent",
                violation_error_message=_("居民未同意公开，不能公开此评价。"),
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="feedback_created_idx"),
            # The summary's quotes: the best published comments first, read in index order.
            models.Index(
                F("rating").desc(),
                F("created_at").desc(),
                F("id"),
                condition=Q(is_published=True) & ~Q(comment=""),
                name="feedback_quote_idx",
            ),
        ]

    def __str__(self):
        return f"{self.signup.activity} · {self.rating}★"


# --- roll-ups of closed months (written only by activities/rollups.py) -------------------


class ActivityTally(models.Model):
    """Roll-up: an activity's sign-ups by status, attendance and ratings. Written by
    `activities.rollups` in the transaction of every sign-up, cancellation, promotion,
    check-in, walk-in, undo and rating; the summary of a closed month reads these instead
    of counting sign-ups (`manage.py rollups --check` proves them)."""

    activity = models.OneToOneField(
        Activity,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="tally",
        verbose_name=_("活动"),
    )
    confirmed = models.PositiveIntegerField(_("报名成功"), default=0)
    waitlisted = models.PositiveIntegerField(_("候补"), default=0)
    attended = models.PositiveIntegerField(_("参加人次"), default=0)
    ratings = models.PositiveIntegerField(_("评价（条）"), default=0)
    rating_sum = models.PositiveIntegerField(_("评分合计"), default=0)

    COMMUNITY_PATH = "activity__complex__community"

    class Meta:
        verbose_name = _("活动参加统计")
        verbose_name_plural = pgettext_lazy("plural", "活动参加统计")

    def __str__(self):
        return f"{self.activity_id}: {self.attended}"


class MonthReach(models.Model):
    """Roll-up: distinct residents and households reached by one community's activities in
    a month, and in its year up to and including it. Moved by `activities.rollups` whenever a `ResidentReach` or
    `HouseholdReach` row's months change, in the same transaction, by exactly the months
    that changed (so it always equals counting those rows)."""

    community = models.ForeignKey(
        "residents.Community",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("社区"),
    )
    year = models.PositiveSmallIntegerField(_("年份"))
    month = models.PositiveSmallIntegerField(_("月份"))
    residents = models.IntegerField(_("服务居民"), default=0)
    households = models.IntegerField(_("服务家庭"), default=0)
    residents_year = models.IntegerField(_("本年累计服务居民"), default=0)
    households_year = models.IntegerField(_("本年累计服务家庭"), default=0)
    party_residents = models.IntegerField(_("参与活动的党员"), default=0)

    COMMUNITY_PATH = "community"

    class Meta:
        verbose_name = _("月度服务覆盖")
        verbose_name_plural = pgettext_lazy("plural", "月度服务覆盖")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "month"], name="month_reach_community_unique"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="month_reach_month_valid"
            ),
        ]

    def __str__(self):
        return f"{self.year}-{self.month:02d}"


class ReachYear(models.Model):
    """Roll-up: the months of a calendar year (bit 1 << (month - 1), 12 bits) in which one
    resident, or one household, had an attended sign-up of an activity of `community` held
    (not cancelled, ending in that local month). Recomputed for that one resident or
    household and community from its sign-ups whenever one of them changes, so distinct counts per month, year to
    date and across a year boundary are counts of rows with a bit set."""

    year = models.PositiveSmallIntegerField(_("年份"))
    months = models.PositiveSmallIntegerField(_("参加月份（位）"), default=0)

    class Meta:
        abstract = True


class ResidentReach(ReachYear):
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.CASCADE,
        related_name="reach",
        verbose_name=_("居民"),
    )
    # The resident's `is_party_member` as counted in `MonthReach.party_residents`.
    party = models.BooleanField(_("党员"), default=False)

    community = models.ForeignKey(
        "residents.Community",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("社区"),
    )

    COMMUNITY_PATH = "community"

    class Meta:
        verbose_name = _("居民参加月份")
        verbose_name_plural = pgettext_lazy("plural", "居民参加月份")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "resident", "community"], name="resident_reach_community_unique"
            ),
            models.CheckConstraint(
                condition=Q(months__gte=0) & Q(months__lt=1 << 12),
                name="resident_reach_12_months",
            ),
        ]

    def __str__(self):
        return f"{self.resident_id} {self.year}: {self.months:012b}"


class HouseholdReach(ReachYear):
    household = models.ForeignKey(
        "residents.Household",
        on_delete=models.CASCADE,
        related_name="reach",
        verbose_name=_("住户"),
    )

    community = models.ForeignKey(
        "residents.Community",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("社区"),
    )

    COMMUNITY_PATH = "community"

    class Meta:
        verbose_name = _("住户参加月份")
        verbose_name_plural = pgettext_lazy("plural", "住户参加月份")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "household", "community"],
                name="household_reach_community_unique",
            ),
            models.CheckConstraint(
                condition=Q(months__gte=0) & Q(months__lt=1 << 12),
                name="household_reach_12_months",
            ),
        ]

    def __str__(self):
        return f"{self.household_id} {self.year}: {self.months:012b}"
