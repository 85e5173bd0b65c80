"""Partner organisations stationed at the service site, their agreements and commitments."""

import datetime as dt

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from simple_history.models import HistoricalRecords

from core.uploads import ContentMatchesExtension, MaxUploadSize, RandomName
from residents.models import Resident

from .storage import agreement_storage


class PartnerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def with_active_agreement(self, on=None):
        """Partners holding an agreement in force on the given day (today by default)."""
        return self.filter(pk__in=Agreement.objects.in_force(on).values("partner_id"))


def _prefixed(prefix: str, **lookups) -> Q:
    return Q(**{prefix + name: value for name, value in lookups.items()})


#: An agreement in force whose term ends within this many days is "ending" (即将到期),
#: on the admin list, the partner's page, the staff's digest and the monthly summary.
ENDING_WINDOW_DAYS = 60


class AgreementState(models.TextChoices):
    """Where an agreement stands on a day, derived from its dates and what staff did
    (signed, renewed, terminated): never set by hand."""

    DRAFT = "draft", _("草拟中")
    UPCOMING = "upcoming", _("待生效")
    IN_FORCE = "in_force", _("生效中")
    ENDING = "ending", _("即将到期")
    EXPIRED = "expired", _("已到期")
    RENEWED = "renewed", _("已续签")
    TERMINATED = "terminated", _("已终止")


class AgreementQuerySet(models.QuerySet):
    """The one definition of where an agreement stands, for every page and the summary.

    Staff record what was done (drafted, signed, terminated on a date for a reason, renewed
    by a later agreement); dates say the rest. An agreement is **in force on a day** when it
    was signed, has started by that day, has not ended before it (an agreement without an
    end date runs until further notice), and — if terminated — its termination date is not
    before that day (the termination date is its last day in force; a terminated agreement
    whose date was never recorded is not in force). `prefix` reaches agreements through a
    relation (`"agreements__"`), so that the same condition works inside a conditional
    aggregate. `with_state(day)` annotates the derived `AgreementState` as `state`.
    """

    @staticmethod
    def in_force_q(day, prefix: str = "") -> Q:
        return _prefixed(prefix, starts_on__lte=day) & (
            _prefixed(prefix, status=AgreementStatus.ACTIVE, ends_on__isnull=True)
            | _prefixed(prefix, status__in=RAN_STATUSES, ends_on__gte=day)
            | (
                _prefixed(prefix, status=AgreementStatus.TERMINATED, terminated_on__gte=day)
                & (_prefixed(prefix, ends_on__isnull=True) | _prefixed(prefix, ends_on__gte=day))
            )
        )

    @staticmethod
    def signed_q(prefix: str = "") -> Q:
        """Signed (no longer a draft), whatever became of it since."""
        return _prefixed(prefix, status__in=SIGNED_STATUSES)

    @staticmethod
    def ran_q(prefix: str = "") -> Q:
        """Signed and not terminated: it runs, or ran, its term."""
        return _prefixed(prefix, status__in=RAN_STATUSES)

    @staticmethod
    def renewed_exists(ref: str = "pk") -> Exists:
        """A signed later agreement renews it (`Agreement.renews`)."""
        return Exists(Agreement.objects.filter(renews=OuterRef(ref), status__in=SIGNED_STATUSES))

    @classmethod
    def ending_q(cls, first, last, *, renewed: str = "renewed") -> Q:
        """Runs its term, ends between `first` and `last` (both included), and no signed
        agreement renews it yet. Needs the `renewed` annotation (`renewed_exists`)."""
        return Q(status__in=RAN_STATUSES, ends_on__gte=first, ends_on__lte=last, **{renewed: False})

    @classmethod
    def state_case(cls, day) -> Case:
        """The derived `AgreementState` on `day`, as a database expression (needs the
        `renewed` annotation)."""
        window_end = day + dt.timedelta(days=ENDING_WINDOW_DAYS)
        return Case(
            When(status=AgreementStatus.DRAFT, then=Value(AgreementState.DRAFT)),
            When(starts_on__gt=day, then=Value(AgreementState.UPCOMING)),
            When(
                cls.in_force_q(day) & cls.ending_q(day, window_end),
                then=Value(AgreementState.ENDING),
            ),
            When(cls.in_force_q(day), then=Value(AgreementState.IN_FORCE)),
            When(status=AgreementStatus.TERMINATED, then=Value(AgreementState.TERMINATED)),
            When(renewed=True, then=Value(AgreementState.RENEWED)),
            default=Value(AgreementState.EXPIRED),
            output_field=models.CharField(),
        )

    def with_state(self, day=None):
        """Annotate `renewed` and `state` (an `AgreementState` value) on `day` (today)."""
        day = day or timezone.localdate()
        return self.annotate(renewed=self.renewed_exists()).annotate(state=self.state_case(day))

    def in_state(self, state: str, day=None):
        return self.with_state(day).filter(state=state)

    def in_force(self, on=None):
        """Agreements in force on the day (today by default)."""
        return self.filter(self.in_force_q(on or timezone.localdate()))


class PartnerCategory(models.TextChoices):
    RESCUE = "rescue", _("应急救援")
    SOCIAL_WORK = "social_work", _("社会工作")
    FITNESS = "fitness", _("体育健身")
    TELECOM = "telecom", _("通信与数字服务")
    LEGAL = "legal", _("法律服务")
    PROPERTY = "property", _("物业服务")
    EDUCATION = "education", _("教育与实践")
    HEALTH = "health", _("医疗健康")
    CULTURE = "culture", _("文化艺术")
    OTHER = "other", _("其他")


class Partner(models.Model):
    """An organisation that has joined the community's co-building (共建单位).

    Together the partners are the residents' "treasure chest" (百宝箱).
    """

    Category = PartnerCategory

    name = models.CharField(_("单位名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    description = models.TextField(_("简介"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    website = models.URLField(_("网址"), blank=True)
    logo = models.ImageField(_("标志"), upload_to="partners/logos/", blank=True)
    is_active = models.BooleanField(_("在驻"), default=True)
    joined_on = models.DateField(_("入驻日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The community whose staff registered it: theirs before any agreement is signed.
    registered_by = models.ForeignKey(
        "residents.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_partners",
        verbose_name=_("登记社区"),
        help_text=_("登记该单位的社区；签订协议前只有该社区（和街道）能看到它。"),
    )

    objects = PartnerQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("共建单位")
        verbose_name_plural = pgettext_lazy("plural", "共建单位")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=PartnerCategory.values),
                name="partner_category_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def community_q(cls, ids) -> Q:
        """A partner is a community's when it has an agreement (of any status) with one of
        its complexes or was registered by it (see `residents.scoping`)."""
        agreements = Agreement.objects.filter(partner=OuterRef("pk"), complex__community__in=ids)
        return Q(Exists(agreements)) | Q(registered_by__in=ids)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class AgreementStatus(models.TextChoices):
    """What staff recorded (drafted, signed, terminated). Where the agreement stands on a
    day is `AgreementState`, derived from this and the dates. "Expired" is kept for
    agreements recorded as such before states were derived; it reads as signed."""

    DRAFT = "draft", _("草拟中")
    ACTIVE = "active", _("已签订")
    EXPIRED = "expired", _("已签订（已到期）")
    TERMINATED = "terminated", _("已终止")


#: Signed agreements (not drafts), terminated ones included.
SIGNED_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)
#: Agreements that run, or ran, their term (signed, not terminated).
RAN_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED)


class Agreement(models.Model):
    """A site agreement (入驻协议 / 共建协议书) between a partner and a complex's service site."""

    Status = AgreementStatus
    State = AgreementState

    # Protected: a partner who signed agreements is marked as no longer stationed
    # (is_active), not deleted, so that past months' figures stay as they were.
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("共建单位")
    )
    complex = models.ForeignKey(
        "residents.Complex",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("小区"),
    )
    title = models.CharField(_("协议名称"), max_length=200)
    number = models.CharField(_("协议编号"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("到期日期"), null=True, blank=True)
    renews = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("续签自"),
    )
    document = models.FileField(
        _("协议扫描件"),
        upload_to=RandomName("agreements"),
        storage=agreement_storage,
        blank=True,
        validators=[
            FileExtensionValidator(["pdf", "jpg", "jpeg", "png"]),
            MaxUploadSize("AGREEMENT_DOCUMENT_MAX_BYTES"),
            ContentMatchesExtension(["pdf", "jpg", "png"]),
        ],
    )
    terminated_on = models.DateField(
        _("终止日期"), null=True, blank=True, help_text=_("协议有效的最后一天。")
    )
    termination_reason = models.TextField(_("终止原因"), blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = AgreementQuerySet.as_manager()
    history = HistoricalRecords()

    COMMUNITY_PATH = "complex__community"

    class Meta:
        verbose_name = _("共建协议")
        verbose_name_plural = pgettext_lazy("plural", "共建协议")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="agreement_ends_after_start",
                violation_error_message=_("协议的到期日期不能早于生效日期。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=AgreementStatus.values),
                name="agreement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=AgreementStatus.DRAFT) | Q(signed_on__isnull=False),
                name="agreement_signed_unless_draft",
                violation_error_message=_("除草拟中的协议外，必须填写签订日期。"),
            ),
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True) | Q(status=AgreementStatus.TERMINATED),
                name="agreement_termination_date_only_if_terminated",
                violation_error_message=_("只有已终止的协议才有终止日期。"),
            ),
        ]

    def __str__(self):
        return self.title

    def is_in_force(self, on=None) -> bool:
        """`Agreement.objects.in_force()`, for one agreement already in memory."""
        day = on or timezone.localdate()
        if self.starts_on > day or (self.ends_on is not None and self.ends_on < day):
            return False
        if self.status == self.Status.TERMINATED:
            return self.terminated_on is not None and self.terminated_on >= day
        if self.ends_on is None:
            return self.status == self.Status.ACTIVE
        return self.status in RAN_STATUSES

    @property
    def last_day(self) -> dt.date | None:
        """The last day of its term by its dates: the end date, or the termination date if
        earlier (None: until further notice)."""
        days = [d for d in (self.ends_on, self.terminated_on) if d is not None]
        return min(days) if days else None

    def state_on(self, day=None) -> str:
        """The derived `AgreementState` (`AgreementQuerySet.with_state`): the annotated
        `state` when the agreement was read with it for today, else asked of the database."""
        if day is None and getattr(self, "state", None) is not None:
            return self.state
        if self.pk is None:
            return AgreementState.DRAFT
        return (
            Agreement.objects.with_state(day)
            .filter(pk=self.pk)
            .values_list("state", flat=True)
            .first()
        )

    def get_state_display(self, day=None) -> str:
        return str(AgreementState(self.state_on(day)).label)

    def renewal_chain(self) -> list["Agreement"]:
        """This agreement's line, oldest first: the ones it renews, itself, and the later
        agreements renewing it (the first renewal of each, drafts included)."""
        earlier, seen = [], {self.pk}
        current = self
        while current.renews_id and current.renews_id not in seen:
            current = Agreement.objects.get(pk=current.renews_id)
            seen.add(current.pk)
            earlier.append(current)
        later, current = [], self
        while True:
            nxt = (
                Agreement.objects.filter(renews=current)
                .exclude(pk__in=seen)
                .order_by("starts_on", "pk")
                .first()
            )
            if nxt is None:
                break
            seen.add(nxt.pk)
            later.append(nxt)
            current = nxt
        return [*reversed(earlier), self, *later]


class Promise(models.TextChoices):
    """How a commitment (资源承诺) is measured: so many times a month or a year, once in the
    agreement's term, or on request (answered when residents ask). Blank: not measured."""

    MONTHLY = "monthly", _("每月")
    YEARLY = "yearly", _("每年")
    ONCE = "once", _("一次性")
    ON_REQUEST = "on_request", _("按需提供")


#: Promises counted in times (the others are one-off or on request).
COUNTED_PROMISES = (Promise.MONTHLY, Promise.YEARLY)


class ResourceCommitment(models.Model):
    """What a partner commits to the residents (资源清单), e.g. "free yoga class twice a month".

    `promise` and `times` make it measurable: held activities linked to the commitment
    (`Activity.commitment`) count as delivered over each agreement term; "on request" ones
    count the needs answered.
    """

    Promise = Promise

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("共建单位")
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("所属协议"),
    )
    title = models.CharField(_("资源内容"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    frequency = models.CharField(
        _("频次"), max_length=50, blank=True, help_text=_("例如：每月两次")
    )
    promise = models.CharField(
        _("承诺方式"),
        max_length=20,
        choices=Promise.choices,
        blank=True,
        help_text=_("用于统计承诺完成情况；不填则不统计。"),
    )
    times = models.PositiveSmallIntegerField(
        _("次数"), null=True, blank=True, help_text=_("每月或每年承诺的次数。")
    )
    is_active = models.BooleanField(_("有效"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资源承诺")
        verbose_name_plural = pgettext_lazy("plural", "资源承诺")
        ordering = ["partner__name", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promise="") | Q(promise__in=Promise.values),
                name="commitment_promise_valid",
            ),
            models.CheckConstraint(
                condition=~Q(promise__in=COUNTED_PROMISES) | Q(times__gte=1),
                name="commitment_counted_promise_has_times",
                violation_error_message=_("每月或每年的承诺必须填写次数。"),
            ),
        ]

    def __str__(self):
        return self.title

    @classmethod
    def community_q(cls, ids) -> Q:
        """A commitment of an agreement is the agreement's community's; one without an
        agreement is its partner's communities'."""
        return Q(agreement__complex__community__in=ids) | Q(
            agreement__isnull=True,
            partner__in=Partner.objects.filter(Partner.community_q(ids)).values("pk"),
        )

    @property
    def is_measured(self) -> bool:
        return bool(self.promise)

    @property
    def times_per_month(self) -> int | None:
        """The times promised a month, for a monthly promise (None otherwise)."""
        return self.times if self.promise == Promise.MONTHLY else None

    @times_per_month.setter
    def times_per_month(self, value: int | None) -> None:
        if value:
            self.promise, self.times = Promise.MONTHLY, value
        elif self.promise == Promise.MONTHLY:
            self.promise, self.times = "", None

    def promised_in(self, first: dt.date, last: dt.date) -> int | None:
        """Times promised over the days [first, last] (None when not counted in times:
        unmeasured or on request). A monthly promise counts each calendar month the days
        touch; a yearly one each started twelve months."""
        if self.promise not in (*COUNTED_PROMISES, Promise.ONCE):
            return None
        if last < first:
            return 0
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        match self.promise:
            case Promise.MONTHLY:
                return (self.times or 0) * months
            case Promise.YEARLY:
                return (self.times or 0) * -(-months // 12)
            case Promise.ONCE:
                return 1
        return None

    def get_promise_label(self) -> str:
        """ "每月 2 次", "一次性", "按需提供", or "未设定统计方式"."""
        if self.promise in COUNTED_PROMISES:
            return _("%(per)s %(times)s 次") % {
                "per": self.get_promise_display(),
                "times": self.times,
            }
        if self.promise:
            return str(self.get_promise_display())
        return str(_("未设定统计方式"))


class LeadStage(models.TextChoices):
    NEW = "new", _("新线索")
    CONTACTED = "contacted", _("已联系")
    MEETING = "meeting", _("已洽谈")
    AGREEMENT_DRAFTED = "agreement_drafted", _("协议草拟")
    SIGNED = "signed", _("已签约")
    DROPPED = "dropped", _("已放弃")


#: A lead ends when the organisation signs or staff drop it.
CLOSED_LEAD_STAGES = (LeadStage.SIGNED, LeadStage.DROPPED)


class LeadQuerySet(models.QuerySet):
    @staticmethod
    def open_q(moment) -> Q:
        """Leads being followed up at `moment`: offered before it, and not closed by then."""
        return Q(created_at__lt=moment) & (
            (Q(closed_at__isnull=True) & ~Q(stage__in=CLOSED_LEAD_STAGES))
            | Q(closed_at__gte=moment)
        )

    def open_at(self, moment=None):
        return self.filter(self.open_q(moment or timezone.now()))

    def counted(self):
        """Leads that count in figures: not marked by staff as spam or a duplicate."""
        return self.filter(is_invalid=False)

    def recent_by(self, resident, since):
        """The resident's leads offered since `since` (for the per-resident limit)."""
        return self.filter(offered_by=resident, created_at__gte=since)

    def follow_up_due(self, on=None):
        """Open leads whose follow-up date is the day (today by default) or has passed."""
        day = on or timezone.localdate()
        return self.open_at().filter(follow_up_on__lte=day).order_by("follow_up_on", "pk")


class Lead(models.Model):
    """A resident's offer of a connection (资源线索), answering the recruitment call (招募令).

    Staff follow it up until the organisation signs an agreement or the lead is dropped.
    """

    Stage = LeadStage

    offered_by = models.ForeignKey(
        "residents.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("提供人"),
    )
    organisation = models.CharField(_("单位名称"), max_length=100)
    offer = models.TextField(_("可提供的资源"))
    relationship = models.CharField(_("与该单位的关系"), max_length=200, blank=True)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    stage = models.CharField(_("进展"), max_length=20, choices=Stage.choices, default=Stage.NEW)
    follow_up_on = models.DateField(_("下次跟进日期"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("跟进人"),
    )
    # Protected: a signed lead must keep the partner it became (and the summary counts it).
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("签约单位"),
    )
    note = models.TextField(_("跟进记录"), blank=True)
    is_invalid = models.BooleanField(
        _("无效（重复或灌水）"),
        default=False,
        help_text=_("工作人员标记为重复或无意义的线索，不计入统计。"),
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = LeadQuerySet.as_manager()
    history = HistoricalRecords()

    #: The community of the resident who offered it.
    COMMUNITY_PATH = "offered_by__household__building__complex__community"

    class Meta:
        verbose_name = _("资源线索")
        verbose_name_plural = pgettext_lazy("plural", "资源线索")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=LeadStage.values), name="lead_stage_valid"
            ),
            models.CheckConstraint(
                condition=~Q(stage=LeadStage.SIGNED) | Q(partner__isnull=False),
                name="lead_signed_has_partner",
                violation_error_message=_("已签约的线索必须关联签约单位。"),
            ),
            models.CheckConstraint(
                condition=(Q(stage__in=CLOSED_LEAD_STAGES) & Q(closed_at__isnull=False))
                | (~Q(stage__in=CLOSED_LEAD_STAGES) & Q(closed_at__isnull=True)),
                name="lead_closed_iff_closed_at",
                violation_error_message=_(
                    "已签约或已放弃的线索必须有结束时间，仍在跟进的线索不能有结束时间。"
                ),
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="lead_created_idx")]

    def __str__(self):
        return self.organisation

    @classmethod
    def community_q(cls, ids) -> Q:
        """The community of the resident who offered it (`Resident.community_q`)."""
        return Resident.community_q(ids, prefix="offered_by__")


class LeadNote(models.Model):
    """A dated note on a lead's follow-up (who, when, what); a change of stage is recorded
    as one too (`stage_from` → `stage_to`), by `partners.services.move_lead`."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="notes", verbose_name=_("资源线索")
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    written_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    text = models.TextField(_("跟进内容"))
    stage_from = models.CharField(_("原进展"), max_length=20, choices=LeadStage.choices, blank=True)
    stage_to = models.CharField(_("新进展"), max_length=20, choices=LeadStage.choices, blank=True)

    COMMUNITY_PATH = "lead__offered_by__household__building__complex__community"

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = pgettext_lazy("plural", "跟进记录")
        ordering = ["-written_at", "-pk"]

    def __str__(self):
        return self.text[:50]

    @classmethod
    def community_q(cls, ids) -> Q:
        """The lead's community (`Lead.community_q`)."""
        return Resident.community_q(ids, prefix="lead__offered_by__")
