"""The site's URLs plus the benchmark's reference views (bench/views.py).

Used only when `BENCH_VIEWS=1` (config/settings.py sets ROOT_URLCONF to this module).
"""

from django.urls import path

from config.urls import *  # noqa: F403 - the error handlers too
from config.urls import urlpatterns as site_urlpatterns

from . import views

urlpatterns = [
    path("bench/floor", views.floor, name="bench_floor"),
    path("bench/pk/<int:pk>", views.pk_lookup, name="bench_pk"),
    path("bench/insert", views.insert, name="bench_insert"),
    path("bench/insert-logged-in", views.insert_logged_in, name="bench_insert_logged_in"),
    *site_urlpatterns,
]
