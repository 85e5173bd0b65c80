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


def mask_phone(phone: str) -> str:
    """Show a phone number as 139****0001, for pages that are not the owner's or staff's."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """Show a name as 王** (the family name and a star for each other character)."""
    if not name:
        return ""
    name = name.strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * min(len(name) - 1, 3)
