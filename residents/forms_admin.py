"""Back-office forms for residents: clear Chinese messages where a constraint alone would
only name itself."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from .models import Resident
from .services import phone_change_refusal
from .validators import phone_validator


class ResidentAdminForm(forms.ModelForm):
    # Declared so that a number of the wrong length gets the same one message as any other
    # bad number (not "at most 11 characters" as well).
    phone = forms.CharField(
        label=gettext_lazy("手机号码"),
        required=False,
        validators=[phone_validator],
        help_text=gettext_lazy("11位手机号码；没有手机的居民（如儿童）可不填。"),
    )

    class Meta:
        model = Resident
        fields = (
            "name",
            "phone",
            "email",
            "household",
            "registered_in",
            "birth_year",
            "is_party_member",
            "is_verified",
        )

    def clean_phone(self):
        # The same checks as `residents.services.change_phone`, which writes the change
        # (the phone number is also the resident's login name).
        phone = self.cleaned_data["phone"]
        refusal = phone_change_refusal(resident=self.instance, phone=phone)
        if refusal is not None:
            raise forms.ValidationError(
                refusal.error_dict["phone"] if hasattr(refusal, "error_dict") else refusal
            )
        return phone

    def clean_birth_year(self):
        year = self.cleaned_data["birth_year"]
        if year is not None and not 1900 <= year <= timezone.localdate().year:
            raise forms.ValidationError(
                _("出生年份应在1900年至今年之间。"), code="implausible_birth_year"
            )
        return year
