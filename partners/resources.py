"""Excel import and export of partner organisations (django-import-export).

The export lists each partner with its agreements and resource commitments (one cell
each, a line per agreement or commitment); the import creates or updates partners by
their full name. Headers are fixed Chinese words (the file format), and an import with
any bad row writes nothing (see `residents.resources.GongjianResource`).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from import_export.fields import Field

from residents.resources import GongjianResource, TextWidget, YesNoWidget, cell_text
from residents.scoping import within_scope

from .models import Agreement, Partner, PartnerCategory, ResourceCommitment

NAME = "单位名称"
SHORT_NAME = "简称"
CATEGORY = "类别"
CONTACT = "联系人"
PHONE = "联系电话"
ADDRESS = "地址"
WEBSITE = "网址"
ACTIVE = "在驻"
JOINED = "入驻日期"
DESCRIPTION = "简介"
AGREEMENTS = "共建协议"
COMMITMENTS = "资源承诺"


class ChoiceLabelWidget(TextWidget):
    """A choice written as its Chinese label (体育健身), also accepted as its value."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return ""
        for stored, label in self.choices.choices:
            if text in (str(label), stored):
                return stored
        raise ValueError(
            _("“%(value)s”不是可选的类别，请填写：%(labels)s。")
            % {"value": text, "labels": "、".join(str(label) for _v, label in self.choices.choices)}
        )

    def render(self, value, obj=None, **kwargs):
        labels = dict(self.choices.choices)
        return str(labels.get(value, value or ""))


class DateWidget(TextWidget):
    """A date typed as 2026-03-01 (or 2026/3/1), or stored by Excel as a date."""

    def clean(self, value, row=None, **kwargs):
        import datetime as dt

        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = cell_text(value).replace("/", "-").replace(".", "-")
        try:
            return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
        except ValueError:
            raise ValueError(_("日期应写成 2026-03-01 的样子。")) from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class PartnerResource(GongjianResource):
    """One partner a row; its agreements and commitments are exported, not imported."""

    name = Field(attribute="name", column_name=NAME, widget=TextWidget())
    short_name = Field(attribute="short_name", column_name=SHORT_NAME, widget=TextWidget())
    category = Field(
        attribute="category", column_name=CATEGORY, widget=ChoiceLabelWidget(PartnerCategory)
    )
    contact_name = Field(attribute="contact_name", column_name=CONTACT, widget=TextWidget())
    contact_phone = Field(attribute="contact_phone", column_name=PHONE, widget=TextWidget())
    address = Field(attribute="address", column_name=ADDRESS, widget=TextWidget())
    website = Field(attribute="website", column_name=WEBSITE, widget=TextWidget())
    is_active = Field(attribute="is_active", column_name=ACTIVE, widget=YesNoWidget())
    joined_on = Field(attribute="joined_on", column_name=JOINED, widget=DateWidget())
    description = Field(attribute="description", column_name=DESCRIPTION, widget=TextWidget())
    agreements = Field(column_name=AGREEMENTS, readonly=True)
    commitments = Field(column_name=COMMITMENTS, readonly=True)

    example_row = {
        NAME: "兰州市某某志愿服务中心",
        SHORT_NAME: "志愿服务中心",
        CATEGORY: str(PartnerCategory.SOCIAL_WORK.label),
        CONTACT: "李老师",
        PHONE: "0931-1234567",
        ADDRESS: "七里河区西站街道",
        WEBSITE: "",
        ACTIVE: "是",
        JOINED: "2026-03-01",
        DESCRIPTION: "为社区老人提供上门探访服务。",
    }

    class Meta:
        model = Partner
        fields = (
            "name",
            "short_name",
            "category",
            "contact_name",
            "contact_phone",
            "address",
            "website",
            "is_active",
            "joined_on",
            "description",
            "agreements",
            "commitments",
        )
        import_id_fields = ("name",)
        clean_model_instances = True

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # A new partner imported by a community's staff is that community's.
        ids = getattr(self, "_scope_ids", None)
        if instance.pk is None and instance.registered_by_id is None and ids and len(ids) == 1:
            instance.registered_by_id = next(iter(ids))

    def filter_export(self, queryset, **kwargs):
        return queryset.prefetch_related(
            Prefetch(
                "agreements",
                queryset=within_scope(
                    Agreement.objects.select_related("complex"), self.scope_user
                ).order_by("starts_on", "pk"),
            ),
            Prefetch(
                "commitments",
                queryset=within_scope(ResourceCommitment.objects.all(), self.scope_user).order_by(
                    "title", "pk"
                ),
            ),
        )

    def dehydrate_agreements(self, partner: Partner) -> str:
        if partner.pk is None:
            return ""
        return "\n".join(
            f"{a.title}（{a.get_status_display()}，{a.starts_on.isoformat()}"
            f"—{a.ends_on.isoformat() if a.ends_on else _('长期')}）"
            for a in partner.agreements.all()
        )

    def dehydrate_commitments(self, partner: Partner) -> str:
        if partner.pk is None:
            return ""
        return "\n".join(
            f"{c.title}（{c.frequency}）" if c.frequency else c.title
            for c in partner.commitments.all()
            if c.is_active
        )
