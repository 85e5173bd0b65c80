"""View decorators for residents' own pages."""

import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import resident_for_user


def resident_required(view):
    """Login required, and a resident record behind the login; staff without one get a
    friendly page instead of an error. The view receives the resident as `resident`."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        resident = resident_for_user(request.user)
        if resident is None:
            return render(request, "residents/no_resident.html")
        return view(request, *args, resident=resident, **kwargs)

    return wrapper
