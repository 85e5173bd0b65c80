from django.urls import path

from . import lead_views

app_name = "partners"

urlpatterns = [
    path("leads/new/", lead_views.lead_create, name="lead_create"),
]
