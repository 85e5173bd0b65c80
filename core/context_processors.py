"""Template context shared by every page (no database query: pages' query counts stay flat)."""

import re

from django.conf import settings


def tel_href(phone: str) -> str:
    """tel:09318888888 for "0931-8888888" (digits and a leading + only)."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    return f"tel:{digits}" if digits else ""


def site(request):
    return {
        "site_community_name": settings.COMMUNITY_NAME,
        "site_phone": settings.COMMUNITY_PHONE,
        "site_phone_href": tel_href(settings.COMMUNITY_PHONE),
        "site_address": settings.COMMUNITY_ADDRESS,
        "site_hours": settings.COMMUNITY_HOURS,
        "privacy_policy_version": settings.PRIVACY_POLICY_VERSION,
    }
