"""Template context shared by every page (no database query: pages' query counts stay flat)."""

from django.conf import settings


def site(request):
    return {
        "site_community_name": settings.COMMUNITY_NAME,
        "privacy_policy_version": settings.PRIVACY_POLICY_VERSION,
    }
