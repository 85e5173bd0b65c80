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
        members = household_members_without_login(actor).values("pk")
        self.fields["resident"].queryset = Resident.objects.filter(
            Q(pk=actor.pk) | Q(pk__in=members)
        )

    def target(self) -> Resident:
        """The resident acted for; call after `is_valid()`."""
        return self.cleaned_data.get("resident") or self.actor
