"""Where residents live: subdistrict → community → complex → building → household → resident."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy

from core.masking import mask_name, mask_phone

from .validators import phone_validator


class Subdistrict(models.Model):
    """A subdistrict office (街道, e.g. 西站街道): the communities of one installation belong
    to it, and its party working committee compares them."""

    name = models.CharField(_("街道名称"), max_length=100, unique=True)
    city = models.CharField(_("城市"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = pgettext_lazy("plural", "街道")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def community_q(cls, ids) -> Q:
        """The subdistricts of the communities `ids` (see `residents.scoping`)."""
        return Q(pk__in=Community.objects.filter(pk__in=ids).values("subdistrict"))


class Community(models.Model):
    """A residential community (社区) led by its party committee, e.g. 小西坪社区."""

    name = models.CharField(_("社区名称"), max_length=100, unique=True)
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("所属街道"),
    )
    city = models.CharField(_("城市"), max_length=50, blank=True)
    party_secretary = models.CharField(_("社区党委书记"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    COMMUNITY_PATH = "pk"

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = pgettext_lazy("plural", "社区")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Complex(models.Model):
    """A residential complex (小区) of the community, with its residents' service site."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="complexes", verbose_name=_("社区")
    )
    name = models.CharField(_("小区名称"), max_length=100)
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    household_count = models.PositiveIntegerField(
        _("总户数"), default=0, help_text=_("小区的实际总户数，用于计算户覆盖率。")
    )
    resident_count = models.PositiveIntegerField(_("常住人口"), default=0)
    party_member_count = models.PositiveIntegerField(_("党员人数"), default=0)
    service_site_name = models.CharField(_("服务阵地名称"), max_length=100, blank=True)
    service_site_address = models.CharField(_("服务阵地地址"), max_length=200, blank=True)
    description = models.TextField(_("简介"), blank=True)

    COMMUNITY_PATH = "community"

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = pgettext_lazy("plural", "小区")
        ordering = ["community__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="complex_unique_name"),
        ]

    def __str__(self):
        return self.name


class Building(models.Model):
    """A building (楼栋) of a complex."""

    complex = models.ForeignKey(
        Complex, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("小区")
    )
    number = models.CharField(_("楼号"), max_length=20, help_text=_("例如：1号楼"))
    unit_count = models.PositiveSmallIntegerField(_("单元数"), default=1)
    household_count = models.PositiveIntegerField(_("户数"), default=0)

    COMMUNITY_PATH = "complex__community"

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = pgettext_lazy("plural", "楼栋")
        ordering = ["complex__name", "number"]
        constraints = [
            models.UniqueConstraint(fields=["complex", "number"], name="building_unique_number"),
        ]

    def __str__(self):
        return f"{self.complex.name} {self.number}"


class Household(models.Model):
    """A household (户): the people living at one address in a building."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("楼栋")
    )
    unit = models.CharField(_("单元"), max_length=10, blank=True)
    room = models.CharField(_("门牌号"), max_length=20)
    size = models.PositiveSmallIntegerField(_("户内人数"), default=1)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    COMMUNITY_PATH = "building__complex__community"

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = pgettext_lazy("plural", "住户")
        ordering = ["building__number", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="household_unique_address"
            ),
            models.CheckConstraint(
                condition=Q(size__gte=1),
                name="household_size_positive",
                violation_error_message=_("户内人数至少为1。"),
            ),
        ]

    def __str__(self):
        # One sentence per language: "2号楼1单元702" reads "2号楼 Unit 1, Room 702" in English.
        if self.unit:
            return _("%(building)s%(unit)s单元%(room)s") % {
                "building": self.building.number,
                "unit": self.unit,
                "room": self.room,
            }
        return _("%(building)s%(room)s") % {"building": self.building.number, "room": self.room}


class ResidentQuerySet(models.QuerySet):
    def active(self):
        """Residents who have not deleted their data."""
        return self.filter(anonymised_at__isnull=True)

    def party_members(self):
        return self.filter(is_party_member=True)


class Resident(models.Model):
    """A person living in the complex.

    Children and residents without a smartphone have no login; staff register them and sign
    them up. A resident who deletes their data is anonymised, not removed, so that past
    monthly totals stay as they were.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("登录账号"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("住户"),
    )
    # A resident registered without an address (a walk-in at the door) is the registering
    # community's: its staff keep finding them (see `community_q`).
    registered_in = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_residents",
        verbose_name=_("登记社区"),
        help_text=_("没有登记住址的居民属于登记他的社区。"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True, validators=[phone_validator])
    email = models.EmailField(_("电子邮箱"), blank=True)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    is_party_member = models.BooleanField(_("党员"), default=False)
    is_verified = models.BooleanField(
        _("已核实"), default=False, help_text=_("工作人员已核实其身份与住址。")
    )
    # Facts that open restricted activities count only once staff confirmed them (a
    # self-declared birth year or party membership does not).
    birth_year_confirmed = models.BooleanField(
        _("出生年份已核实"),
        default=False,
        help_text=_("工作人员已核实出生年份（有年龄要求的活动只接受已核实的）。"),
    )
    party_member_confirmed = models.BooleanField(
        _("党员身份已核实"),
        default=False,
        help_text=_("工作人员已核实党员身份（仅限党员的活动只接受已核实的）。"),
    )
    consent_version = models.CharField(_("同意的隐私政策版本"), max_length=20, blank=True)
    consent_at = models.DateTimeField(_("同意时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    anonymised_at = models.DateTimeField(_("数据删除时间"), null=True, blank=True)

    objects = ResidentQuerySet.as_manager()

    #: The community of the resident's household. A resident without a household belongs to
    #: the community that registered them (`registered_in`), else to none: `community_q`.
    COMMUNITY_PATH = "household__building__complex__community"
    #: Where `COMMUNITY_PATH` ends on a resident without a household: (step, field instead).
    COMMUNITY_FALLBACK = ("household", "registered_in")

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = pgettext_lazy("plural", "居民")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=~Q(phone=""),
                name="resident_unique_phone",
                violation_error_message=_("该手机号码已登记。"),
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900),
                name="resident_birth_year_plausible",
                violation_error_message=_("出生年份不能早于1900年。"),
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="resident_created_idx")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A move to another household (by staff, an import, anything) ends the verification
        # at the old address: guardian powers there must not follow the resident. Staff
        # who verify the new address in the same save keep it (it was not verified before).
        update_fields = kwargs.get("update_fields")
        if (
            self.pk is not None
            and self.is_verified
            and (update_fields is None or "household" in update_fields)
        ):
            before = (
                type(self)
                .objects.filter(pk=self.pk)
                .values_list("household_id", "is_verified")
                .first()
            )
            if before is not None and before[0] != self.household_id and before[1]:
                self.is_verified = False
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "is_verified"}
        super().save(*args, **kwargs)

    @classmethod
    def community_q(cls, ids, prefix: str = "") -> Q:
        """The residents of the communities `ids`: their household's community, or, without
        a household, the community that registered them (see `residents.scoping`).
        `prefix` reaches the resident from another model (e.g. "resident__")."""
        return Q(**{f"{prefix}household__building__complex__community__in": ids}) | Q(
            **{f"{prefix}household__isnull": True, f"{prefix}registered_in__in": ids}
        )

    @staticmethod
    def community_of(prefix: str = "") -> Coalesce:
        """The resident's community id as an expression (as `community_q` decides it)."""
        return Coalesce(
            f"{prefix}household__building__complex__community", f"{prefix}registered_in"
        )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def may_join_age_limited(self) -> bool:
        """Whether staff confirmed the birth year (age limits trust nothing else)."""
        return self.birth_year is not None and self.birth_year_confirmed

    @property
    def confirmed_party_member(self) -> bool:
        return self.is_party_member and self.party_member_confirmed

    def age_on(self, day) -> int | None:
        """Age in whole years reached in the year of `day` (birth year is all we keep)."""
        if self.birth_year is None:
            return None
        return day.year - self.birth_year

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None


class NotificationKind(models.TextChoices):
    PROMOTED = "promoted", _("候补转正")
    ACTIVITY_CHANGED = "activity_changed", _("活动变更")
    ACTIVITY_CANCELLED = "activity_cancelled", _("活动取消")
    REMINDER = "reminder", _("活动提醒")
    NEED_ANSWERED = "need_answered", _("需求答复")
    LEAD_CONVERTED = "lead_converted", _("线索签约")
    WORKS = "works", _("楼栋施工")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in a resident's inbox on /me/ (also e-mailed or texted when they can be
    reached). Written only through `residents.services.notify`, which the apps above call;
    `dedupe_key` makes sending twice impossible (one row per resident and key)."""

    Kind = NotificationKind

    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("居民"),
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(
        _("去重键"),
        max_length=200,
        blank=True,
        help_text=_("同一居民同一去重键只通知一次，例如“reminder:活动编号:日期”。"),
    )
    created_at = models.DateTimeField(_("通知时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    texted_at = models.DateTimeField(_("短信发送时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    COMMUNITY_PATH = "resident__household__building__complex__community"

    class Meta:
        verbose_name = _("居民通知")
        verbose_name_plural = pgettext_lazy("plural", "居民通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["resident"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            )
        ]

    def __str__(self):
        return self.title

    @classmethod
    def community_q(cls, ids) -> Q:
        """The resident's community (`Resident.community_q`)."""
        return Resident.community_q(ids, prefix="resident__")


class StaffNotice(models.Model):
    """A staff digest or notice already sent (by `send_reminders`): one row per key, so that
    a second run, or a second server running at the same time, sends nothing twice."""

    key = models.CharField(_("键"), max_length=200, unique=True)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工作人员提醒")
        verbose_name_plural = pgettext_lazy("plural", "工作人员提醒")
        ordering = ["-sent_at"]

    def __str__(self):
        return self.key


class PhoneCode(models.Model):
    """A six-digit code texted to a phone number, to prove that whoever registers,
    activates an account or sets a new password holds that phone (`residents.services.
    send_phone_code`, `check_phone_code`).

    Only a keyed hash of the code is kept. A code belongs to the browser session that asked
    for it (the session keeps its id): a stranger asking for codes for someone's number gets
    codes of their own, and their wrong guesses void only those."""

    phone = models.CharField(_("手机号码"), max_length=11, validators=[phone_validator])
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    wrong_tries = models.PositiveSmallIntegerField(_("输错次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = pgettext_lazy("plural", "短信验证码")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["phone", "created_at"], name="phonecode_phone_idx")]

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.created_at:%Y-%m-%d %H:%M}"


class ActivationCode(models.Model):
    """A one-time activation code that staff print on a slip and hand to a resident they
    registered (for elderly residents without text messages): with their phone number and
    the code the resident sets a password (`residents.services.activate_with_code`).

    Only a keyed hash is kept; a code is used once, expires, and a newer one supersedes it.
    The rows are the record of who printed which slip and when."""

    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        related_name="activation_codes",
        verbose_name=_("居民"),
    )
    code_hash = models.CharField(_("激活码摘要"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("生成人"),
    )
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    COMMUNITY_PATH = "resident__household__building__complex__community"

    class Meta:
        verbose_name = _("激活码")
        verbose_name_plural = pgettext_lazy("plural", "激活码")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(used_at__isnull=True, superseded_at__isnull=True),
                name="activation_code_one_current",
                violation_error_message=_("该居民已有一个有效的激活码。"),
            ),
        ]

    def __str__(self):
        return f"{self.resident} {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def community_q(cls, ids) -> Q:
        """The resident's community (`Resident.community_q`)."""
        return Resident.community_q(ids, prefix="resident__")

    @property
    def state(self) -> str:
        if self.used_at is not None:
            return gettext("已使用")
        if self.superseded_at is not None:
            return gettext("已作废")
        if self.expires_at <= timezone.now():
            return gettext("已过期")
        return gettext("有效")


class StaffScope(models.Model):
    """Where a back-office user works: in ONE community, or in the subdistrict (over all its
    communities). Without a row, a user works over the whole installation only when it has
    exactly one community (`residents.scoping.communities_for`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_scope",
        verbose_name=_("登录账号"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_scopes",
        verbose_name=_("社区"),
    )
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_scopes",
        verbose_name=_("街道"),
    )

    class Meta:
        verbose_name = _("工作范围")
        verbose_name_plural = pgettext_lazy("plural", "工作范围")
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(community__isnull=False, subdistrict__isnull=True)
                    | Q(community__isnull=True, subdistrict__isnull=False)
                ),
                name="staffscope_one_place",
                violation_error_message=_("请选择一个社区或一个街道（二者选其一）。"),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.community or self.subdistrict}"
