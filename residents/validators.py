"""Validators shared by residents' forms and models."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

#: A mainland mobile number: 11 digits starting 13–19.
PHONE_REGEX = r"^1[3-9]\d{9}$"

phone_validator = RegexValidator(
    regex=PHONE_REGEX,
    message=_("请输入11位手机号码，以1开头，第二位为3至9。"),
    code="invalid_phone",
)
