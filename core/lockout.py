"""The page django-axes shows a locked-out login: in the site's layout, translated, saying
when to try again and whom to ask (settings.AXES_LOCKOUT_CALLABLE)."""

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    response = render(
        request,
        "core/lockout.html",
        {"minutes": minutes, "community_phone": settings.COMMUNITY_PHONE},
        status=429,
    )
    response["Cache-Control"] = "private, no-store"
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
