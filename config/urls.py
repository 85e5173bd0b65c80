"""URL wiring. Public pages are Chinese at `/` and English under `/en/`."""

import re

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from activities import views as activity_views

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
]

urlpatterns += i18n_patterns(
    path("", activity_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("summary/", include("summary.urls")),
    path("", include("residents.urls")),
    path("", include("partners.urls")),
    path("", include("activities.urls")),
    path("", include("volunteering.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:
    # Development only (nginx serves media in production). Scanned agreements are never
    # served as plain files: see partners.document_views.
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>(?!agreements/).*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
