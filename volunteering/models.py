"""双报到 and volunteer service: units and party members who report to the community and
the service posts they choose; volunteer roles on activities with their sign-ups, check-in
and check-out and the hours they record; certificates of service; the points bank (积分银行)
with its rules, append-only ledger, the partners' shop and redemptions; the annual review.

Everything here is written only through `volunteering.services`.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from simple_history.models import HistoricalRecords

from activities.models import Category
from residents.models import Resident


class ServicePost(models.Model):
    """A kind of service a reported member or unit takes on: 楼栋长, 助老, 文明劝导, 应急 …
    (configured by staff). Shared by every community of the installation, like the points
    rules: a post names a kind of service, not anyone's data (no community path)."""

    name = models.CharField(_("岗位名称"), max_length=50, unique=True)
    description = models.CharField(_("岗位说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("服务岗位")
        verbose_name_plural = pgettext_lazy("plural", "服务岗位")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ReportingUnit(models.Model):
    """A unit (单位, usually a partner) that reported to the community (单位报到).

    A unit reports to each community separately: its name and its partner are unique
    within a community (so one partner may report to several communities of a subdistrict,
    and a community learns nothing of another's units from a refused name). Units of no
    community (a one-community installation's) are unique among themselves."""

    name = models.CharField(_("单位名称"), max_length=100)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reporting_units",
        verbose_name=_("共建单位"),
        help_text=_("已签约共建的单位请选择，便于汇总。"),
    )
    community = models.ForeignKey(
        "residents.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reporting_units",
        verbose_name=_("所属社区"),
        help_text=_("单位向哪个社区报到；社区工作人员登记时默认为本社区。"),
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    reported_on = models.DateField(_("报到日期"), default=timezone.localdate)
    posts = models.ManyToManyField(
        ServicePost, blank=True, related_name="units", verbose_name=_("认领岗位")
    )
    is_active = models.BooleanField(_("在册"), default=True)
    note = models.TextField(_("备注"), blank=True)

    history = HistoricalRecords(m2m_fields=[posts])

    COMMUNITY_PATH = "community"

    class Meta:
        verbose_name = _("报到单位")
        verbose_name_plural = pgettext_lazy("plural", "报到单位")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"],
                name="reporting_unit_name_unique_per_community",
                violation_error_message=_("本社区已登记同名的报到单位。"),
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(community__isnull=True),
                name="reporting_unit_name_unique_unplaced",
                violation_error_message=_("本社区已登记同名的报到单位。"),
            ),
            models.UniqueConstraint(
                fields=["community", "partner"],
                condition=Q(partner__isnull=False),
                name="reporting_unit_partner_once_per_community",
                violation_error_message=_("该共建单位已向本社区报到。"),
            ),
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(partner__isnull=False, community__isnull=True),
                name="reporting_unit_partner_once_unplaced",
                violation_error_message=_("该共建单位已向本社区报到。"),
            ),
        ]

    def __str__(self):
        return self.name


class PartyMember(models.Model):
    """A party member who reported to the community (党员报到): a resident of the community,
    or a member of a unit who lives elsewhere (only name, unit and phone are kept)."""

    resident = models.OneToOneField(
        "residents.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_member",
        verbose_name=_("居民"),
        help_text=_("住在本社区的党员请选择居民；在外居住的党员留空，填写姓名和电话。"),
    )
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    community = models.ForeignKey(
        "residents.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_members",
        verbose_name=_("所属社区"),
        help_text=_("在外居住的党员向哪个社区报到（住在本社区的党员按居民所在社区）。"),
    )
    unit = models.ForeignKey(
        ReportingUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("所在单位"),
    )
    reported_on = models.DateField(_("报到日期"), default=timezone.localdate)
    posts = models.ManyToManyField(
        ServicePost, blank=True, related_name="members", verbose_name=_("认领岗位")
    )
    is_active = models.BooleanField(_("在册"), default=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    history = HistoricalRecords(m2m_fields=[posts])

    class Meta:
        verbose_name = _("报到党员")
        verbose_name_plural = pgettext_lazy("plural", "报到党员")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | ~Q(name=""),
                name="party_member_resident_or_name",
                violation_error_message=_("请选择居民，或填写在外居住党员的姓名。"),
            ),
        ]

    def __str__(self):
        return self.display_name

    @classmethod
    def community_q(cls, ids) -> Q:
        """A member is their home's community's, or, living elsewhere, the community they
        reported to (see `residents.scoping`)."""
        return Resident.community_q(ids, prefix="resident__") | Q(
            resident__isnull=True, community__in=ids
        )

    @property
    def display_name(self) -> str:
        if self.resident_id is not None:
            return self.resident.name
        return self.name


class VolunteerRole(models.Model):
    """A volunteer role at an activity, with its own places ("引导员 × 4"), besides the
    attendees' seats."""

    activity = models.ForeignKey(
        "activities.Activity",
        on_delete=models.PROTECT,
        related_name="volunteer_roles",
        verbose_name=_("活动"),
    )
    name = models.CharField(_("岗位"), max_length=50)
    places = models.PositiveSmallIntegerField(_("人数"), validators=[MinValueValidator(1)])
    description = models.CharField(_("职责"), max_length=200, blank=True)

    COMMUNITY_PATH = "activity__complex__community"

    class Meta:
        verbose_name = _("志愿岗位")
        verbose_name_plural = pgettext_lazy("plural", "志愿岗位")
        ordering = ["activity", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "name"],
                name="volunteer_role_unique_per_activity",
                violation_error_message=_("该活动已有同名志愿岗位。"),
            ),
            models.CheckConstraint(
                condition=Q(places__gte=1),
                name="volunteer_role_places_positive",
                violation_error_message=_("志愿岗位至少需要 1 人。"),
            ),
        ]

    def __str__(self):
        return f"{self.name} × {self.places}"


class RoleSignUpQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status=RoleSignUp.Status.CANCELLED)

    def served(self):
        """Service records: volunteers whose hours were recorded (checked out, or set by
        staff)."""
        return self.filter(hours__isnull=False).exclude(status=RoleSignUp.Status.CANCELLED)

    def served_between(self, start, end):
        return self.served().filter(activity__starts_at__gte=start, activity__starts_at__lt=end)


class RoleSignUp(models.Model):
    """A volunteer's place in a role: confirmed, on the role's waiting list, or cancelled;
    then checked in and out, with the hours served (志愿服务记录)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("已报名")
        WAITLISTED = "waitlisted", _("候补中")
        CANCELLED = "cancelled", _("已取消")

    role = models.ForeignKey(
        VolunteerRole, on_delete=models.PROTECT, related_name="signups", verbose_name=_("志愿岗位")
    )
    # The role's activity, kept here so the database can hold one active place per person
    # and activity.
    activity = models.ForeignKey(
        "activities.Activity",
        on_delete=models.PROTECT,
        related_name="volunteer_signups",
        verbose_name=_("活动"),
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer_signups",
        verbose_name=_("居民"),
    )
    member = models.ForeignKey(
        PartyMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer_signups",
        verbose_name=_("报到党员"),
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("候补转正时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("报名操作人"),
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    hours = models.DecimalField(
        _("服务时长（小时）"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    hours_reason = models.CharField(_("时长调整原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )

    objects = RoleSignUpQuerySet.as_manager()
    history = HistoricalRecords()

    COMMUNITY_PATH = "activity__complex__community"

    class Meta:
        verbose_name = _("志愿者报名")
        verbose_name_plural = pgettext_lazy("plural", "志愿者报名")
        ordering = ["activity", "role", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(member__isnull=False),
                name="role_signup_has_volunteer",
            ),
            models.UniqueConstraint(
                fields=["activity", "resident"],
                condition=~Q(status="cancelled"),
                name="role_signup_one_active_per_resident",
                violation_error_message=_("该居民已报名此活动的志愿岗位。"),
            ),
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=~Q(status="cancelled"),
                name="role_signup_one_active_per_member",
                violation_error_message=_("该党员已报名此活动的志愿岗位。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "waitlisted", "cancelled"]),
                name="role_signup_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & Q(cancelled_at__isnull=False))
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="role_signup_cancelled_iff_cancelled_at",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=F("checked_in_at")),
                name="role_signup_out_after_in",
                violation_error_message=_("签退时间不能早于签到时间。"),
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0, hours__lte=24),
                name="role_signup_hours_range",
                violation_error_message=_("服务时长须在 0 到 24 小时之间。"),
            ),
        ]
        indexes = [
            models.Index(fields=["role", "status", "created_at"], name="role_signup_queue_idx"),
        ]

    def __str__(self):
        return f"{self.volunteer_name} · {self.role.name}"

    @property
    def volunteer_name(self) -> str:
        if self.resident_id is not None:
            return self.resident.name
        return self.member.display_name if self.member_id else ""


class Certificate(models.Model):
    """A certificate of volunteer service (志愿服务证明) for a period: what the Ministry of
    Civil Affairs' 志愿服务记录与证明出具办法 asks for, without an ID-card number. Its
    figures are frozen when issued; the public verification page shows a masked name."""

    serial = models.CharField(_("证明编号"), max_length=30, unique=True)
    year = models.PositiveSmallIntegerField(_("出具年度"))
    number = models.PositiveIntegerField(_("年度序号"))
    former_serial = models.CharField(
        _("原编号"),
        max_length=30,
        blank=True,
        help_text=_("按年编号之前出具的证明上印的编号，仍可查找。"),
    )
    token = models.CharField(_("核验码"), max_length=40, unique=True, editable=False)
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer_certificates",
        verbose_name=_("居民"),
    )
    member = models.ForeignKey(
        PartyMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("报到党员"),
    )
    holder_name = models.CharField(_("志愿者姓名"), max_length=64)
    period_start = models.DateField(_("服务起始日期"))
    period_end = models.DateField(_("服务截止日期"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=7, decimal_places=1)
    services = models.TextField(_("服务内容"))
    organisation = models.CharField(_("出具单位"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    issued_on = models.DateField(_("出具日期"), default=timezone.localdate)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("志愿服务证明")
        verbose_name_plural = pgettext_lazy("plural", "志愿服务证明")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="certificate_period_valid",
                violation_error_message=_("截止日期不能早于起始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(member__isnull=False),
                name="certificate_has_holder",
            ),
            models.UniqueConstraint(
                fields=["year", "number"],
                name="certificate_number_unique_per_year",
                violation_error_message=_("该年度已有相同序号的证明。"),
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="certificate_number_positive"),
        ]

    def __str__(self):
        return self.serial

    def save(self, *args, **kwargs):
        if not self.token:
            self.token = secrets.token_urlsafe(16)
        super().save(*args, **kwargs)

    @classmethod
    def community_q(cls, ids) -> Q:
        """A certificate is its resident's community's, or its member's living elsewhere."""
        return Resident.community_q(ids, prefix="resident__") | Q(
            resident__isnull=True, member__community__in=ids
        )

    def get_verification_url(self):
        return reverse("volunteering:verify", args=[self.token])

    @staticmethod
    def serial_for(year: int, number: int) -> str:
        """The serial printed on a certificate: the year and its number in it (2026-0001)."""
        return f"{year}-{number:04d}"


# --- points (积分银行) -----------------------------------------------------------------------


class PointsRule(models.Model):
    """How volunteer service earns points: per hour served, per shift in a named role, or
    per activity of a category. The rules that match a service record add up."""

    class Kind(models.TextChoices):
        PER_HOUR = "per_hour", _("每服务 1 小时")
        PER_ROLE = "per_role", _("每次担任某岗位")
        PER_CATEGORY = "per_category", _("每次参与某类活动的志愿服务")

    name = models.CharField(_("规则名称"), max_length=100)
    kind = models.CharField(_("计分方式"), max_length=20, choices=Kind.choices)
    role_name = models.CharField(
        _("岗位名称"), max_length=50, blank=True, help_text=_("按岗位计分时填写，如：引导员。")
    )
    category = models.CharField(
        _("活动类别"),
        max_length=20,
        blank=True,
        choices=Category.choices,
        help_text=_("按活动类别计分时选择。"),
    )
    points = models.PositiveIntegerField(_("积分"), validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = pgettext_lazy("plural", "积分规则")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["per_hour", "per_role", "per_category"]),
                name="points_rule_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="per_role") | ~Q(role_name=""),
                name="points_rule_role_named",
                violation_error_message=_("按岗位计分须填写岗位名称。"),
            ),
            models.CheckConstraint(
                condition=~Q(kind="per_category") | ~Q(category=""),
                name="points_rule_category_chosen",
                violation_error_message=_("按活动类别计分须选择类别。"),
            ),
            models.CheckConstraint(condition=Q(points__gte=1), name="points_rule_points_positive"),
        ]

    def __str__(self):
        return self.name


class ShopItem(models.Model):
    """An item in the points shop (积分超市), stocked by a partner as one of its resource
    commitments."""

    name = models.CharField(_("商品名称"), max_length=100)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="shop_items",
        verbose_name=_("提供单位"),
    )
    commitment = models.ForeignKey(
        "partners.ResourceCommitment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shop_items",
        verbose_name=_("对应资源承诺"),
        help_text=_("兑换一件计为兑现该承诺一次。"),
    )
    community = models.ForeignKey(
        "residents.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shop_items",
        verbose_name=_("所属社区"),
        help_text=_("哪个社区的积分超市上架该商品：只有该社区的居民可以兑换。"),
    )
    points = models.PositiveIntegerField(_("所需积分"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("库存"), default=0)
    is_active = models.BooleanField(_("上架"), default=True)

    history = HistoricalRecords()

    COMMUNITY_PATH = "community"

    class Meta:
        verbose_name = _("积分超市商品")
        verbose_name_plural = pgettext_lazy("plural", "积分超市商品")
        ordering = ["partner", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__gte=0),
                name="shop_item_stock_not_negative",
                violation_error_message=_("库存不能为负数。"),
            ),
            models.CheckConstraint(condition=Q(points__gte=1), name="shop_item_points_positive"),
        ]

    def __str__(self):
        return self.name


class PointsEntry(models.Model):
    """One line of a resident's points ledger. Lines are only ever added: a mistake is put
    right by a correction with its reason. Each line carries the balance after it
    (`balance`, never negative, checked by the database) and its place in the resident's
    ledger (`seq`, unique), so two desks can never both spend the same points."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("获得")
        REDEEMED = "redeemed", _("兑换")
        EXPIRED = "expired", _("过期")
        CORRECTED = "corrected", _("更正")

    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        related_name="points_entries",
        verbose_name=_("居民"),
    )
    seq = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    points = models.IntegerField(_("积分变动"))
    balance = models.IntegerField(_("余额"))
    signup = models.ForeignKey(
        RoleSignUp,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_entries",
        verbose_name=_("志愿服务记录"),
    )
    item = models.ForeignKey(
        ShopItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
        verbose_name=_("兑换商品"),
    )
    quantity = models.PositiveSmallIntegerField(_("数量"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    expires_on = models.DateField(_("到期日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )

    COMMUNITY_PATH = "resident__household__building__complex__community"

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = pgettext_lazy("plural", "积分记录")
        ordering = ["resident", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "seq"], name="points_entry_seq_unique"),
            models.CheckConstraint(
                condition=Q(balance__gte=0),
                name="points_balance_not_negative",
                violation_error_message=_("积分余额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["earned", "redeemed", "expired", "corrected"]),
                name="points_entry_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind="earned") & Q(points__gt=0))
                | (Q(kind__in=["redeemed", "expired"]) & Q(points__lt=0))
                | (Q(kind="corrected") & ~Q(points=0) & ~Q(reason="")),
                name="points_entry_sign_by_kind",
                violation_error_message=_("积分变动与类型不符，更正须写明原因。"),
            ),
            models.CheckConstraint(
                condition=~Q(kind="redeemed") | Q(item__isnull=False, quantity__gte=1),
                name="points_redemption_has_item",
            ),
            models.UniqueConstraint(
                fields=["signup"],
                condition=Q(kind="earned"),
                name="points_earned_once_per_signup",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d}"

    @classmethod
    def community_q(cls, ids) -> Q:
        """The entry's resident's community (`Resident.community_q`)."""
        return Resident.community_q(ids, prefix="resident__")


class AnnualReview(models.Model):
    """The yearly review (年度评议) of a reported party member or unit: the staff's comment;
    the figures come from the records."""

    year = models.PositiveSmallIntegerField(_("年度"))
    member = models.ForeignKey(
        PartyMember,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("报到党员"),
    )
    unit = models.ForeignKey(
        ReportingUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("报到单位"),
    )
    comment = models.TextField(_("社区评价"), blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("评价人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度评议")
        verbose_name_plural = pgettext_lazy("plural", "年度评议")
        ordering = ["-year", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, unit__isnull=True)
                | Q(member__isnull=True, unit__isnull=False),
                name="annual_review_member_xor_unit",
                violation_error_message=_("评议对象须为一名党员或一个单位。"),
            ),
            models.UniqueConstraint(
                fields=["year", "member"], name="annual_review_one_per_member_year"
            ),
            models.UniqueConstraint(
                fields=["year", "unit"], name="annual_review_one_per_unit_year"
            ),
        ]

    def __str__(self):
        return f"{self.year} · {self.member or self.unit}"

    @classmethod
    def community_q(cls, ids) -> Q:
        """A review is its member's or its unit's community's."""
        members = PartyMember.objects.filter(PartyMember.community_q(ids)).values("pk")
        return Q(member__in=members) | Q(unit__community__in=ids)


ZERO_HOURS = Decimal("0.0")
