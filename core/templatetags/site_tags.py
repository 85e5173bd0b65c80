"""The site's template helpers: days and times as residents say them, masking, QR codes."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from core import qr
from core.masking import mask_name, mask_phone
from core.periods import WEEKDAY_NAMES

register = template.Library()


@register.filter
def day_label(value) -> str:
    """11月28日 周六 — the day of a datetime or date, as residents say it."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return _("%(month)s月%(day)s日 %(weekday)s") % {
        "month": value.month,
        "day": value.day,
        "weekday": WEEKDAY_NAMES[value.weekday()],
    }


@register.filter
def when(value) -> str:
    """11月28日 周六 09:30"""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return _("%(day)s %(time)s") % {"day": day_label(local), "time": local.strftime("%H:%M")}


@register.filter
def masked_name(value) -> str:
    return mask_name(str(value or ""))


@register.filter
def masked_phone(value) -> str:
    return mask_phone(str(value or ""))


@register.simple_tag
def qr_svg(data: str, border: int = 2) -> str:
    """The QR code of `data` as inline SVG that scales to its container (size it in CSS)."""
    return qr.qr_svg(data, border=border)


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key` for dicts built in views (e.g. sign-ups by activity id)."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def display_name(user) -> str:
    """王晓燕 — how the product greets a login (`core.roles.display_name`)."""
    from core.roles import display_name as name_of

    return name_of(user) if getattr(user, "is_authenticated", False) else ""


@register.filter
def reads_summary(user) -> bool:
    """Whether the login may read the monthly summary (`core.roles.reads_summary`)."""
    from core.roles import reads_summary as may_read

    return may_read(user)
