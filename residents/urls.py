from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    path("accounts/register/", views.RegisterView.as_view(), name="register"),
    path("accounts/login/", views.ResidentLoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/activate/", views.ActivateView.as_view(), name="activate"),
    path("accounts/verify/", views.VerifyPhoneView.as_view(), name="verify_phone"),
    path("accounts/continue/", views.ContinueView.as_view(), name="continue"),
    path("accounts/forgot/", views.ForgotPasswordView.as_view(), name="password_reset"),
    path("accounts/password/", views.ResidentPasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        views.ResidentPasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("me/", views.me, name="me"),
    path("me/export/", views.export, name="export"),
    path("me/delete/", views.delete, name="delete"),
    path("me/household/", views.household, name="household"),
    path("privacy/", views.privacy_notice, name="privacy"),
]
