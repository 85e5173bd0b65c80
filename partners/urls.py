from django.urls import path

from . import document_views, lead_views

app_name = "partners"

urlpatterns = [
    path("leads/new/", lead_views.lead_create, name="lead_create"),
    path(
        "agreements/documents/<path:name>",
        document_views.agreement_document,
        name="agreement_document",
    ),
]
