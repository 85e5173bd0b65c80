"""A resident's form to report a need (需求清单)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LargeInputsMixin

from .models import Category, Need


class NeedForm(LargeInputsMixin, forms.Form):
    """What a resident needs, where, and how urgently."""

    title = forms.CharField(
        label=_("需要什么"),
        max_length=200,
        help_text=_("一句话说清楚，例如：3号楼2单元楼道灯坏了。"),
    )
    description = forms.CharField(
        label=_("详细说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("什么时候开始的、影响到谁，可不填。"),
    )
    location = forms.CharField(
        label=_("在哪里"),
        max_length=200,
        required=False,
        help_text=_("例如：3号楼2单元、小区北门。"),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Need.Urgency.choices,
        initial=Need.Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(
        label=_("类别"),
        choices=Category.choices,
        initial=Category.OTHER,
    )
