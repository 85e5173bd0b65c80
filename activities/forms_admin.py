"""Back-office forms for activities: the activity form's messages and the check-in desk."""

import re

from django import forms
from django.utils.translation import gettext as _, gettext_lazy

from .models import Activity

#: Six digits standing alone: a typed code, or the code inside a scanned link or text.
CHECK_IN_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


class ActivityAdminForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = (
            "title",
            "category",
            "partners",
            "commitment",
            "complex",
            "place",
            "summary",
            "description",
            "starts_at",
            "ends_at",
            "signup_opens_at",
            "signup_closes_at",
            "capacity",
            "min_age",
            "max_age",
            "party_members_only",
            "status",
            "is_public",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "capacity" in self.fields:
            # The same words as the model's constraint, instead of Django's generic ones.
            self.fields["capacity"].error_messages["min_value"] = _("名额不能为负数。")


class CheckInForm(forms.Form):
    """The code a resident shows at the door: typed, or entered by a QR scanner."""

    code = forms.CharField(
        label=gettext_lazy("签到码"),
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "inputmode": "numeric",
                "class": "vTextField check-in-code",
            }
        ),
    )

    def clean_code(self):
        codes = CHECK_IN_CODE.findall(self.cleaned_data["code"])
        if len(codes) != 1:
            raise forms.ValidationError(_("请输入六位数字签到码。"), code="bad_code")
        return codes[0]
