"""Residents' accounts and their own pages: register, log in, activate, /me/, my data.

Views are thin: forms check the input, `residents.services` writes, `residents.selectors`
reads.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeDoneView,
    PasswordChangeView,
)
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from django.views.generic import FormView

from core.forms import add_service_error
from core.http import client_ip, safe_next
from core.masking import mask_phone
from core.roles import display_name, is_secretary
from core.throttle import Throttle

from . import privacy, selectors, services
from .decorators import resident_required
from .forms import (
    ActivationForm,
    DeleteMyDataForm,
    HouseholdMemberForm,
    PhoneAuthenticationForm,
    RegistrationForm,
    StyledPasswordChangeForm,
)

#: Django's own backend: the one a freshly registered resident is logged in with
#: (django-axes' backend only checks credentials and is not needed here).
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- accounts ---------------------------------------------------------------------------


class LoggedOutOnlyMixin:
    """Registration and activation are for people not logged in; others go to /me/."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("residents:me")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(
    [sensitive_post_parameters("password1", "password2"), never_cache], name="dispatch"
)
class RegisterView(LoggedOutOnlyMixin, FormView):
    """A resident registers with their mobile number and address, then is logged in."""

    template_name = "residents/register.html"
    form_class = RegistrationForm

    def post(self, request, *args, **kwargs):
        # Counted in the shared cache before anything is checked: at most so many tries from
        # one client and for one number, whatever they answer.
        ip = client_ip(request) or "-"
        phone = _digits(request.POST.get("phone", ""))
        if REGISTRATIONS_PER_IP.blocked(ip) or (phone and REGISTRATIONS_PER_PHONE.blocked(phone)):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, ValidationError(_throttled_message(), code="throttled"))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        REGISTRATIONS_PER_IP.hit(ip)
        if phone:
            REGISTRATIONS_PER_PHONE.hit(phone)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            resident = services.register_resident(
                phone=data["phone"],
                name=data["name"],
                password=data["password1"],
                building=data["building"],
                unit=data["unit"],
                room=data["room"],
                birth_year=data.get("birth_year"),
                email=data.get("email", ""),
                consent=data["consent"],
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        login(self.request, resident.user, backend=LOGIN_BACKEND)
        messages.success(
            self.request,
            _("注册成功，欢迎您，%(name)s！现在可以报名参加活动了。") % {"name": resident.name},
        )
        return redirect(safe_next(self.request, reverse("residents:me")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = safe_next(self.request, "")
        return context


#: Registration tries from one client per hour, and for one phone number per day.
REGISTRATIONS_PER_IP = Throttle("register-ip", limit=10, window=60 * 60)
REGISTRATIONS_PER_PHONE = Throttle("register-phone", limit=5, window=24 * 60 * 60)


def _digits(value: str) -> str:
    """The digits of a typed phone number (full-width digits too), for counting."""
    return "".join(str(int(ch)) for ch in value if ch.isdigit())[:20]


def _throttled_message():
    return _("尝试次数太多。为保护居民的账号，请稍后再试，或到社区服务站请工作人员帮您激活。")


#: Failed activations allowed per phone number per day, and per client address per hour:
#: enough for a resident who mistypes, far too few to try every address in the complex.
ACTIVATION_FAILURES_PER_PHONE = 5
ACTIVATION_FAILURES_PER_IP = 20
_PHONE_WINDOW = 24 * 60 * 60
_IP_WINDOW = 60 * 60

logger = logging.getLogger(__name__)


def _activation_counters(request, phone: str) -> list[tuple[str, int, int]]:
    """(cache key, limit, window in seconds) of the counters an activation attempt uses."""
    counters = [
        (f"activate-fail:ip:{client_ip(request) or '-'}", ACTIVATION_FAILURES_PER_IP, _IP_WINDOW)
    ]
    if phone:
        counters.append(
            (f"activate-fail:phone:{phone}", ACTIVATION_FAILURES_PER_PHONE, _PHONE_WINDOW)
        )
    return counters


def _activation_blocked(request, phone: str) -> bool:
    return any(
        (cache.get(key) or 0) >= limit
        for key, limit, _window in _activation_counters(request, phone)
    )


def _count_activation_failure(request, phone: str) -> None:
    for key, _limit, window in _activation_counters(request, phone):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
    logger.warning("Failed activation for %s from %s", mask_phone(phone), client_ip(request))


@method_decorator(
    [sensitive_post_parameters("password1", "password2"), never_cache], name="dispatch"
)
class ActivateView(LoggedOutOnlyMixin, FormView):
    """A resident whom staff registered sets their own password."""

    template_name = "residents/activate.html"
    form_class = ActivationForm

    def form_valid(self, form):
        data = form.cleaned_data
        if _activation_blocked(self.request, data["phone"]):
            form.add_error(
                None,
                ValidationError(_throttled_message(), code="throttled"),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        try:
            resident = services.activate_resident(
                phone=data["phone"],
                name=data["name"],
                building=data["building"],
                unit=data["unit"],
                room=data["room"],
                password=data["password1"],
                consent=data["consent"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) in ("no_match", "already_active"):
                _count_activation_failure(self.request, data["phone"])
            add_service_error(form, error)
            return self.form_invalid(form)
        login(self.request, resident.user, backend=LOGIN_BACKEND)
        messages.success(self.request, _("账号已激活，以后用手机号码和密码登录。"))
        return redirect("residents:me")


class ResidentLoginView(LoginView):
    """Django's login view; residents log in with their phone number.

    Without `next`, residents land on /me/, the party secretary on the monthly summary and
    other staff on the back office's index (their "today's work"); back-office users are
    greeted by name."""

    template_name = "residents/login.html"
    authentication_form = PhoneAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        user = self.request.user
        if is_secretary(user):
            return reverse("summary:current")
        if user.is_authenticated and user.is_staff:
            return reverse("admin:index")
        return super().get_default_redirect_url()

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if user.is_staff:
            messages.success(self.request, _("您好，%(name)s。") % {"name": display_name(user)})
        return response


class ResidentPasswordChangeView(PasswordChangeView):
    template_name = "residents/password_change.html"
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("residents:password_change_done")


class ResidentPasswordChangeDoneView(PasswordChangeDoneView):
    template_name = "residents/password_change_done.html"


@require_safe
def privacy_notice(request):
    """The privacy notice residents agree to when they register."""
    return render(
        request,
        "residents/privacy.html",
        {"policy_version": settings.PRIVACY_POLICY_VERSION},
    )


# --- my pages ---------------------------------------------------------------------------


@never_cache
@require_safe
@resident_required
def me(request, *, resident):
    """My page: each app's section (my sign-ups with check-in code and QR, my household, my
    needs and leads), then my account and data."""
    members = selectors.household_members(resident)
    page = privacy.MePage(
        request=request,
        resident=resident,
        people=selectors.cared_for_ids(resident, members),
    )
    shared = {"resident": resident, "me_url": reverse("residents:me")}
    sections = [
        render_to_string(template, {**shared, **context}, request=request)
        for template, context in privacy.me_sections(page)
    ]
    return render(
        request,
        "residents/me.html",
        {
            **shared,
            "household": resident.household,
            "shortcuts": privacy.me_shortcuts(),
            "sections": [mark_safe(section) for section in sections],  # noqa: S308 - rendered templates
        },
    )


@never_cache
@require_safe
@resident_required
def export(request, *, resident):
    """Download everything the app holds about me as JSON."""
    data = privacy.export_data(resident)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    filename = f"gongjian-my-data-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@resident_required
def delete(request, *, resident):
    """Delete my data: GET asks for confirmation, POST anonymises me and logs me out."""
    form = DeleteMyDataForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.anonymise_resident(resident=resident)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("residents:me")
        logout(request)
        messages.success(request, _("您的资料已删除，账号已注销。感谢您参与社区活动。"))
        return redirect("home")
    return render(
        request,
        "residents/delete.html",
        {"form": form, "resident": resident, "notices": privacy.forget_notices(resident)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def household(request, *, resident):
    """My household's address and members; add a child without a login of their own."""
    form = HouseholdMemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.add_household_member(
                guardian=resident,
                name=form.cleaned_data["name"],
                birth_year=form.cleaned_data["birth_year"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("已添加家庭成员%(name)s，现在可以在活动页面为他/她报名。")
                % {"name": member.name},
            )
            return redirect(reverse("residents:me") + "#household")
    members = selectors.household_members(resident)
    privacy.describe_members(resident, members)
    return render(
        request,
        "residents/household.html",
        {"form": form, "resident": resident, "household": resident.household, "members": members},
    )
