"""Scaffold: replaced by the real views."""

from django.http import Http404


def lead_create(request, *args, **kwargs):
    raise Http404
