"""Residents' forms about partners: offering a connection (资源线索)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LargeInputsMixin


class LeadForm(LargeInputsMixin, forms.Form):
    """A resident's answer to the recruitment call (招募令)."""

    organisation = forms.CharField(
        label=_("单位名称"),
        max_length=100,
        help_text=_("例如：蓝天救援队、某大学、某医院。"),
    )
    offer = forms.CharField(
        label=_("可以为小区提供什么"),
        max_length=2000,
        error_messages={"required": _("请写下这个单位可以为小区提供什么。")},
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("例如：共建微型救援站、开设大学生社会实践基地、进小区义诊。"),
    )
    relationship = forms.CharField(
        label=_("您和这个单位的关系"),
        max_length=200,
        required=False,
        help_text=_("例如：我在该单位工作、我是退休职工代表、亲戚在那里工作。"),
    )
    contact = forms.CharField(
        label=_("单位联系人及联系方式"),
        max_length=100,
        required=False,
        help_text=_("可不填，工作人员会先联系您。"),
    )
