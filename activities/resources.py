"""Excel import and export of activities, and export of an activity's sign-ups
(django-import-export).

Headers are fixed Chinese words (the file format). Activities are imported as new ones
(an import does not change existing activities or their sign-ups); an import with any bad
row writes nothing (see `residents.resources.GongjianResource`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from import_export import resources, widgets
from import_export.fields import Field

from core.periods import local_zone
from partners.models import Partner
from partners.resources import ChoiceLabelWidget
from residents.models import Complex
from residents.resources import (
    GongjianResource,
    TextWidget,
    WholeNumberWidget,
    YesNoWidget,
    cell_text,
)
from residents.scoping import within_scope

from .models import Activity, ActivityStatus, Category, SignUp

TITLE = "活动名称"
CATEGORY = "类别"
COMPLEX = "小区"
PLACE = "地点"
STARTS = "开始时间"
ENDS = "结束时间"
CAPACITY = "名额"
STATUS = "状态"
PUBLIC = "对居民公开"
PARTNERS = "共建单位"
SUMMARY = "一句话介绍"
DESCRIPTION = "活动介绍"

#: How times are written in the spreadsheets.
TIME_FORMAT = "%Y-%m-%d %H:%M"


class LocalDateTimeWidget(widgets.Widget):
    """A local (Asia/Shanghai) time typed as 2026-12-02 09:30, or stored by Excel as one."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            raise ValueError(_("请填写时间，例如 2026-12-02 09:30。"))
        if isinstance(value, dt.datetime):
            naive = value.replace(tzinfo=None)
        else:
            text = cell_text(value).replace("/", "-")
            naive = None
            for pattern in (TIME_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H.%M"):
                try:
                    naive = dt.datetime.strptime(text, pattern)  # noqa: DTZ007 - made aware below
                    break
                except ValueError:
                    continue
            if naive is None:
                raise ValueError(
                    _("“%(value)s”不是有效的时间，请写成 2026-12-02 09:30 的样子。")
                    % {"value": text}
                )
        return timezone.make_aware(naive, local_zone())

    def render(self, value, obj=None, **kwargs):
        return timezone.localtime(value, local_zone()).strftime(TIME_FORMAT) if value else ""


class ComplexWidget(widgets.Widget):
    """A complex (of the importing user's communities) by its name; the only one when left
    blank."""

    scope_user = None

    def clean(self, value, row=None, **kwargs):
        name = cell_text(value)
        complexes = within_scope(Complex.objects.all(), self.scope_user)
        if name:
            found = list(complexes.filter(name=name)[:2])
        else:
            found = list(complexes[:2])
            if len(found) > 1:
                raise ValueError(_("有多个小区，请填写小区名称。"))
        if not found:
            raise ValueError(_("找不到小区“%(name)s”。") % {"name": name})
        return found[0]

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class PartnerNamesWidget(widgets.ManyToManyWidget):
    """Partners (of the importing user's communities) by full name or short name, separated
    by 、 or commas."""

    scope_user = None

    def __init__(self, **kwargs):
        super().__init__(Partner, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return Partner.objects.none()
        names = [n.strip() for n in text.replace("，", "、").replace(",", "、").split("、")]
        names = [n for n in names if n]
        partners, unknown = [], []
        known = within_scope(Partner.objects.all(), self.scope_user)
        for name in names:
            partner = known.filter(name=name).first() or known.filter(short_name=name).first()
            (partners if partner else unknown).append(partner or name)
        if unknown:
            raise ValueError(
                _("找不到共建单位：%(names)s，请先在后台登记。") % {"names": "、".join(unknown)}
            )
        return Partner.objects.filter(pk__in=[p.pk for p in partners])

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "、".join(p.name for p in value.all())


class ActivityResource(GongjianResource):
    """One activity a row. Each row makes a new activity (an import never changes an
    activity residents may have signed up for)."""

    title = Field(attribute="title", column_name=TITLE, widget=TextWidget())
    category = Field(attribute="category", column_name=CATEGORY, widget=ChoiceLabelWidget(Category))
    complex = Field(attribute="complex", column_name=COMPLEX, widget=ComplexWidget())
    place = Field(attribute="place", column_name=PLACE, widget=TextWidget())
    starts_at = Field(attribute="starts_at", column_name=STARTS, widget=LocalDateTimeWidget())
    ends_at = Field(attribute="ends_at", column_name=ENDS, widget=LocalDateTimeWidget())
    capacity = Field(
        attribute="capacity",
        column_name=CAPACITY,
        widget=WholeNumberWidget(
            minimum=0, maximum=100000, message=gettext_lazy("名额应为整数；不限名额请留空。")
        ),
    )
    status = Field(attribute="status", column_name=STATUS, widget=ChoiceLabelWidget(ActivityStatus))
    is_public = Field(attribute="is_public", column_name=PUBLIC, widget=YesNoWidget())
    partners = Field(attribute="partners", column_name=PARTNERS, widget=PartnerNamesWidget())
    summary = Field(attribute="summary", column_name=SUMMARY, widget=TextWidget())
    description = Field(attribute="description", column_name=DESCRIPTION, widget=TextWidget())

    example_row = {
        TITLE: "应急救护培训",
        CATEGORY: str(Category.SAFETY.label),
        COMPLEX: "",
        PLACE: "党群服务中心二楼",
        STARTS: "2026-12-05 09:30",
        ENDS: "2026-12-05 11:00",
        CAPACITY: 30,
        STATUS: str(ActivityStatus.OPEN.label),
        PUBLIC: "是",
        PARTNERS: "蓝天救援队",
        SUMMARY: "学习心肺复苏和止血包扎。",
        DESCRIPTION: "",
    }
    # The preview shows the partners, a many-to-many column read from the saved row.
    dry_run_saves = True

    class Meta:
        model = Activity
        fields = (
            "title",
            "category",
            "complex",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "status",
            "is_public",
            "partners",
            "summary",
            "description",
        )
        clean_model_instances = True

    def get_instance(self, instance_loader, row):
        return None  # every row is a new activity

    def import_instance(self, instance, row, **kwargs):
        """Also check the partners' names (a many-to-many column is otherwise only read
        when saving), so that an unknown partner is reported with the row's other errors."""
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            self.fields["partners"].clean(row)
        except ValueError as error:
            errors.setdefault("partners", []).append(str(error))
        if errors:
            raise ValidationError(errors)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("complex").prefetch_related("partners")


def _signup_status(signup: SignUp) -> str:
    return signup.get_status_display()


class SignUpResource(resources.ModelResource):
    """An activity's sign-ups (export only): who, where they live, status and check-in."""

    activity = Field(column_name="活动", readonly=True)
    starts = Field(column_name=STARTS, readonly=True)
    name = Field(column_name="姓名", readonly=True)
    phone = Field(column_name="手机号码", readonly=True)
    address = Field(column_name="住址", readonly=True)
    status = Field(column_name="报名状态", readonly=True)
    attended = Field(column_name="已签到", readonly=True)
    checked_in_at = Field(column_name="签到时间", readonly=True)
    created_at = Field(column_name="报名时间", readonly=True)
    signed_up_by = Field(column_name="代报名人", readonly=True)

    class Meta:
        model = SignUp
        fields = (
            "activity",
            "starts",
            "name",
            "phone",
            "address",
            "status",
            "attended",
            "checked_in_at",
            "created_at",
            "signed_up_by",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "activity", "resident__household__building", "signed_up_by"
        ).order_by("activity__starts_at", "activity_id", "status", "created_at", "pk")

    def dehydrate_activity(self, signup):
        return signup.activity.title

    def dehydrate_starts(self, signup):
        return LocalDateTimeWidget().render(signup.activity.starts_at)

    def dehydrate_name(self, signup):
        return signup.resident.name

    def dehydrate_phone(self, signup):
        return signup.resident.phone

    def dehydrate_address(self, signup):
        household = signup.resident.household
        return str(household) if household else ""

    def dehydrate_status(self, signup):
        return _signup_status(signup)

    def dehydrate_attended(self, signup):
        return _("是") if signup.attended else _("否")

    def dehydrate_checked_in_at(self, signup):
        return LocalDateTimeWidget().render(signup.checked_in_at)

    def dehydrate_created_at(self, signup):
        return LocalDateTimeWidget().render(signup.created_at)

    def dehydrate_signed_up_by(self, signup):
        user = signup.signed_up_by
        return user.get_username() if user else ""
