"""Forms of the residents' pages."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from residents.models import Resident

from .selectors import household_members_without_login


class ActingForForm(forms.Form):
    """Whom a sign-up or cancellation is for: the logged-in resident themself (nothing
    posted), or a member of their own household who has no login (`resident=<id>`)."""

    resident = forms.ModelChoiceField(
        label=_("为谁报名"),
        queryset=Resident.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("您只能为同一住户中没有账号的家人报名或取消报名。"),
        },
    )

    def __init__(self, *args, actor: Resident, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if self.data.get(self.add_prefix("resident")) in (None, ""):
            return  # for themself: no household to look at (its query costs a sign-up ~1 ms)
        members = household_members_without_login(actor).values("pk")
        self.fields["resident"].queryset = Resident.objects.filter(
            Q(pk=actor.pk) | Q(pk__in=members)
        )

    def target(self) -> Resident:
        """The resident acted for; call after `is_valid()`."""
        return self.cleaned_data.get("resident") or self.actor


RATING_CHOICES = [(n, "★" * n) for n in range(1, 6)]


class FeedbackForm(forms.Form):
    """An attendee rates an activity (the stars are drawn by the template)."""

    rating = forms.TypedChoiceField(
        label=_("评分"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择1到5颗星。"), "invalid_choice": _("请选择1到5颗星。")},
    )
    comment = forms.CharField(
        label=_("评价"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说说您的感受或建议，可不填。"),
    )
    may_publish = forms.BooleanField(label=_("同意工作人员公开我的评价"), required=False)
