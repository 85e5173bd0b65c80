from django.urls import path

from . import views

app_name = "volunteering"

urlpatterns = [
    path("activities/<int:pk>/volunteer/", views.sign_up, name="sign_up"),
    path("activities/<int:pk>/volunteer/cancel/", views.cancel, name="cancel"),
    path("me/certificates/", views.request_certificate, name="certificate_request"),
    path("me/certificates/<str:serial>/", views.certificate, name="certificate"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
