"""Scaffold: replaced by the real views."""

from django.http import Http404


def home(request, *args, **kwargs):
    raise Http404


def activity_list(request, *args, **kwargs):
    raise Http404


def calendar_feed(request, *args, **kwargs):
    raise Http404


def activity_detail(request, *args, **kwargs):
    raise Http404


def sign_up(request, *args, **kwargs):
    raise Http404


def cancel(request, *args, **kwargs):
    raise Http404


def activity_ics(request, *args, **kwargs):
    raise Http404


def poster(request, *args, **kwargs):
    raise Http404


def project_list(request, *args, **kwargs):
    raise Http404
