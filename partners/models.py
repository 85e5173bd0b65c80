"""Partner organisations stationed at the service site, their agreements and commitments."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from simple_history.models import HistoricalRecords

from core.uploads import ContentMatchesExtension, MaxUploadSize, RandomName

from .storage import agreement_storage


class PartnerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def with_active_agreement(self, on=None):
        """Partners holding an agreement in force on the given day (today by default)."""
        return self.filter(pk__in=Agreement.objects.in_force(on).values("partner_id"))


def _prefixed(prefix: str, **lookups) -> Q:
    return Q(**{prefix + name: value for name, value in lookups.items()})


class AgreementQuerySet(models.QuerySet):
    """The one definition of where an agreement stands, for every page and the summary.

    Status is set by staff; dates say when. An agreement is **in force on a day** when it
    was signed and not terminated (active, or since expired), has started by that day, and
    has not ended before it; an active one without an end date runs until further notice.
    `prefix` reaches agreements through a relation (`"agreements__"`), so that the same
    condition works inside a conditional aggregate.
    """

    @staticmethod
    def in_force_q(day, prefix: str = "") -> Q:
        return _prefixed(prefix, starts_on__lte=day) & (
            _prefixed(prefix, status=AgreementStatus.ACTIVE, ends_on__isnull=True)
            | _prefixed(prefix, status__in=RAN_STATUSES, ends_on__gte=day)
        )

    @staticmethod
    def signed_q(prefix: str = "") -> Q:
        """Signed (no longer a draft), whatever became of it since."""
        return _prefixed(prefix, status__in=SIGNED_STATUSES)

    @staticmethod
    def ran_q(prefix: str = "") -> Q:
        """Signed and not terminated: it runs, or ran, its term."""
        return _prefixed(prefix, status__in=RAN_STATUSES)

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

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("草拟中")
    ACTIVE = "active", _("生效中")
    EXPIRED = "expired", _("已到期")
    TERMINATED = "terminated", _("已终止")


#: Signed agreements (not drafts), terminated ones included.
SIGNED_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)
#: Agreements that run, or ran, their term (signed, not terminated).
RAN_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED)


class Agreement(models.Model):
    """A site agreement (入驻协议 / 共建协议书) between a partner and a complex's service site."""

    Status = AgreementStatus

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
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = AgreementQuerySet.as_manager()
    history = HistoricalRecords()

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
        ]

    def __str__(self):
        return self.title

    def is_in_force(self, on=None) -> bool:
        """`Agreement.objects.in_force()`, for one agreement already in memory."""
        day = on or timezone.localdate()
        if self.starts_on > day:
            return False
        if self.ends_on is None:
            return self.status == self.Status.ACTIVE
        return self.status in RAN_STATUSES and self.ends_on >= day


class ResourceCommitment(models.Model):
    """What a partner commits to the residents (资源清单), e.g. "free yoga class twice a month"."""

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
    times_per_month = models.PositiveSmallIntegerField(
        _("每月次数"), null=True, blank=True, help_text=_("用于统计承诺完成情况，可不填。")
    )
    is_active = models.BooleanField(_("有效"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资源承诺")
        verbose_name_plural = pgettext_lazy("plural", "资源承诺")
        ordering = ["partner__name", "title"]

    def __str__(self):
        return self.title


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
