"""Residents' own forms: register, log in, activate a staff-made record, household, feedback.

Forms only check and tidy input; the writes are in `residents.services`.
"""

import unicodedata

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _

from core.forms import LargeInputsMixin

from .models import Building
from .validators import phone_validator

#: Characters allowed in a name besides letters and combining marks: the middle dots used in
#: transliterated minority and foreign names (买买提·艾力), hyphens, apostrophes and spaces.
NAME_PUNCTUATION = frozenset("·•‧・.-'’ ")


def normalise_digits(value: str) -> str:
    """Full-width digits from a Chinese keyboard become ASCII; spaces and dashes go."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in value if ch not in " -\u3000\t")


class PhoneField(forms.CharField):
    """A mainland mobile number; accepts `138 0000 0001`, full-width digits and `+86`."""

    default_validators = [phone_validator]

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("手机号码"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "tel", "maxlength": "20"}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = normalise_digits(super().to_python(value))
        if value.startswith("+86"):
            value = value[3:]
        return value


def clean_person_name(value: str) -> str:
    """A name in any script: letters, marks and the dots of transliterated names."""
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError(gettext("请填写姓名。"), code="required")
    for ch in name:
        if unicodedata.category(ch)[0] not in "LM" and ch not in NAME_PUNCTUATION:
            raise ValidationError(
                gettext("姓名只能包含文字和“·”，请不要填写数字或符号。"), code="invalid_name"
            )
    return name


def clean_birth_year(value):
    if value is None:
        return None
    this_year = timezone.localdate().year
    if not 1900 <= value <= this_year:
        raise ValidationError(
            gettext("出生年份应在1900年到%(year)s年之间。") % {"year": this_year},
            code="invalid_birth_year",
        )
    return value


class AddressFields(forms.Form):
    """Building, unit and room, cleaned the way staff write them: `2`, not `2单元`."""

    building = forms.ModelChoiceField(
        label=_("楼栋"),
        queryset=Building.objects.select_related("complex").order_by("complex__name", "number"),
        empty_label=_("请选择楼栋"),
    )
    unit = forms.CharField(
        label=_("单元"),
        max_length=10,
        required=False,
        help_text=_("例如：2。没有单元的楼可以不填。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    room = forms.CharField(
        label=_("门牌号"),
        max_length=20,
        help_text=_("例如：302"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def clean_unit(self):
        unit = normalise_digits(self.cleaned_data.get("unit", ""))
        return unit.removesuffix("单元")

    def clean_room(self):
        room = normalise_digits(self.cleaned_data.get("room", ""))
        room = room.removesuffix("室").removesuffix("号")
        if not room:
            raise ValidationError(gettext("请填写门牌号。"), code="required")
        return room


class NewPasswordFields(forms.Form):
    """Two password fields that must match and pass Django's password validators."""

    password1 = forms.CharField(
        label=_("设置密码"),
        error_messages={"required": _("请设置密码。")},
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少8位，不要只用数字，也不要用手机号码。"),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        error_messages={"required": _("请再次输入密码。")},
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", gettext("两次输入的密码不一致。"))
        elif password1:
            user = get_user_model()(
                username=cleaned.get("phone") or getattr(self, "known_phone", ""),
                email=cleaned.get("email", ""),
            )
            try:
                password_validation.validate_password(password1, user=user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


def _consent_field():
    return forms.BooleanField(
        label=_("我已阅读并同意《隐私说明》"),
        required=True,
        error_messages={"required": _("请阅读并勾选同意《隐私说明》。")},
    )


def _link_privacy(field):
    field.help_text = format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        reverse("residents:privacy"),
        gettext("阅读隐私说明：我们收集哪些信息、用来做什么"),
    )


class RegistrationForm(LargeInputsMixin, AddressFields, NewPasswordFields):
    """A resident registers with their mobile number and address."""

    phone = PhoneField(help_text=_("用手机号码登录，不会公开给共建单位。"))
    name = forms.CharField(
        label=_("姓名"),
        max_length=64,
        help_text=_("请填写真实姓名，例如：王芳、欧阳娜娜、买买提·艾力。"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    birth_year = forms.IntegerField(
        label=_("出生年份"),
        required=False,
        help_text=_("例如：1958。有年龄要求的活动需要它，可不填。"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    email = forms.EmailField(
        label=_("电子邮箱"),
        required=False,
        help_text=_("候补转为报名成功时发邮件通知您，可不填。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent = _consent_field()

    field_order = [
        "phone",
        "name",
        "password1",
        "password2",
        "building",
        "unit",
        "room",
        "birth_year",
        "email",
        "consent",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _link_privacy(self.fields["consent"])

    def clean_name(self):
        return clean_person_name(self.cleaned_data.get("name", ""))

    def clean_birth_year(self):
        return clean_birth_year(self.cleaned_data.get("birth_year"))


class PhoneForm(LargeInputsMixin, forms.Form):
    """The first step of registering, activating or setting a new password: the number a
    code is texted to."""

    phone = PhoneField(help_text=_("我们会向这个号码发送一条短信验证码。"))


def _code_widget(length: int):
    return forms.TextInput(
        attrs={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "pattern": "[0-9 ]*",
            "maxlength": str(length * 2),
            "class": "code-input",
        }
    )


class PhoneCodeForm(LargeInputsMixin, forms.Form):
    """The six digits of the texted code."""

    code = forms.CharField(
        label=_("短信验证码"),
        help_text=_("6位数字，10分钟内有效。"),
        widget=_code_widget(6),
    )

    def clean_code(self):
        code = normalise_digits(self.cleaned_data.get("code", ""))
        if not (code.isdigit() and len(code) == 6):
            raise ValidationError(gettext("请输入短信里的6位数字验证码。"), code="invalid_code")
        return code


class ActivationCodeForm(LargeInputsMixin, NewPasswordFields):
    """A staff-registered resident activates with the code printed on the slip staff gave
    them: phone number, code, a new password."""

    phone = PhoneField(help_text=_("社区工作人员为您登记的手机号码。"))
    code = forms.CharField(
        label=_("激活码"),
        help_text=_("纸条上的10位数字，空格可以不输。"),
        widget=_code_widget(10),
    )
    consent = _consent_field()

    field_order = ["phone", "code", "password1", "password2", "consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _link_privacy(self.fields["consent"])

    def clean_code(self):
        code = normalise_digits(self.cleaned_data.get("code", ""))
        if not (code.isdigit() and len(code) == 10):
            raise ValidationError(gettext("激活码是10位数字，请核对纸条。"), code="invalid_code")
        return code


class ProvenPhoneMixin:
    """A form for a phone number already proven by a code: the number is not asked again."""

    def __init__(self, *args, phone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.known_phone = phone
        self.fields.pop("phone", None)


class ProvenRegistrationForm(ProvenPhoneMixin, RegistrationForm):
    """Registration once the number is proven: name, password, address, consent."""


class ConfirmActivationForm(ProvenPhoneMixin, LargeInputsMixin, NewPasswordFields):
    """A staff-registered resident, their number proven, sets a password."""

    consent = _consent_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _link_privacy(self.fields["consent"])


class NewPasswordForm(ProvenPhoneMixin, LargeInputsMixin, NewPasswordFields):
    """A resident who forgot their password, their number proven, sets a new one."""


class PhoneAuthenticationForm(LargeInputsMixin, AuthenticationForm):
    """Django's login form, asking for the mobile number (staff type their login name)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("手机号码（或登录名）或密码不正确，请重新输入。"),
        "inactive": _("该账号已停用，请联系社区工作人员。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = gettext("手机号码")
        self.fields["username"].help_text = gettext("工作人员请填写登录名。")
        self.fields["username"].widget.attrs.update(
            # The digits keyboard on a phone; staff log in with a name at /admin/login/.
            {"autocomplete": "username", "inputmode": "numeric"}
        )
        self.fields["username"].error_messages["required"] = gettext("请填写手机号码。")
        self.fields["password"].label = gettext("密码")
        self.fields["password"].error_messages["required"] = gettext("请填写密码。")

    def clean_username(self):
        username = self.cleaned_data.get("username", "")
        digits = normalise_digits(username)
        # Only a phone number is rewritten; a staff login name is kept as typed.
        return digits if digits.isdigit() else username


class StyledPasswordChangeForm(LargeInputsMixin, PasswordChangeForm):
    """Django's password change form with large inputs."""


class HouseholdMemberForm(LargeInputsMixin, forms.Form):
    """A guardian adds a child (or a family member without a phone) to the household."""

    name = forms.CharField(label=_("姓名"), max_length=64)
    birth_year = forms.IntegerField(
        label=_("出生年份"),
        help_text=_("例如：2016。报名有年龄要求的活动时需要。"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean_name(self):
        return clean_person_name(self.cleaned_data.get("name", ""))

    def clean_birth_year(self):
        return clean_birth_year(self.cleaned_data.get("birth_year"))


class DeleteMyDataForm(forms.Form):
    """Deleting one's data needs a deliberate tick and the password again: a phone left
    unlocked, or a session someone else took, must not erase a resident."""

    confirm = forms.BooleanField(
        label=_("我了解删除后不能恢复，确认删除我的资料并注销账号"),
        required=True,
        error_messages={"required": _("请先勾选确认。")},
    )
    password = forms.CharField(
        label=_("请再输入一次您的登录密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("请输入您的登录密码。")},
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if self.user is None or not self.user.check_password(password):
            raise forms.ValidationError(_("密码不正确。"), code="wrong_password")
        return password
