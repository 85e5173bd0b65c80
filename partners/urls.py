from django.urls import path

from . import lead_views, views

app_name = "partners"

urlpatterns = [
    path("partners/", views.partner_list, name="list"),
    path("partners/<int:pk>/", views.partner_detail, name="detail"),
    path("leads/new/", lead_views.lead_create, name="lead_create"),
]
