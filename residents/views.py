"""Residents' accounts and their own pages: register, log in, activate, /me/, my data.

Views are thin: forms check the input, `residents.services` writes, `residents.selectors`
reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeDoneView,
    PasswordChangeView,
)
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
from core.pagecache import cache_private_page
from core.roles import display_name, is_secretary
from core.throttle import Throttle

from . import privacy, selectors, services
from .decorators import resident_required
from .forms import (
    ActivationCodeForm,
    ConfirmActivationForm,
    DeleteMyDataForm,
    HouseholdMemberForm,
    NewPasswordForm,
    PhoneAuthenticationForm,
    PhoneCodeForm,
    PhoneForm,
    ProvenRegistrationForm,
    StyledPasswordChangeForm,
)
from .pagescopes import scopes_of

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


# Registration, activation and a forgotten password share one path (README "Accounts"):
# 1. the phone number (`register` / `password_reset`): whatever the number, the same
#    redirect and the same page follow, and a code is texted to it;
# 2. the texted code (`verify_phone`), which belongs to this browser session;
# 3. only then the branch (`continue`): a new number registers, a number staff registered
#    sets a password, a number with an account logs in or sets a new password.
# `activate` is the other way in: the phone number and the code staff printed.

#: The session key of the phone being proven: {"phone", "code_id", "proven_at", "next"}.
PROOF_KEY = "phone_proof"
#: Minutes a proven number may be used to finish (register, activate, set a password).
PROOF_MINUTES = 30


def _proof(request) -> dict | None:
    proof = request.session.get(PROOF_KEY)
    return proof if isinstance(proof, dict) and proof.get("phone") else None


def _proven_phone(request) -> str | None:
    """The number this session proved it holds, if recently enough."""
    proof = _proof(request)
    if not proof or not proof.get("proven_at"):
        return None
    proven_at = datetime.fromisoformat(proof["proven_at"])
    if timezone.now() - proven_at > timedelta(minutes=PROOF_MINUTES):
        return None
    return proof["phone"]


def _finish(request, resident, message: str):
    """Log the resident in (a new session) and go where they were going."""
    target = (_proof(request) or {}).get("next") or reverse("residents:me")
    request.session.pop(PROOF_KEY, None)
    login(request, resident.user, backend=LOGIN_BACKEND)
    messages.success(request, message)
    return redirect(target)


@method_decorator(never_cache, name="dispatch")
class RegisterView(LoggedOutOnlyMixin, FormView):
    """Step 1: the phone number. The same answer for every number: a code is texted and the
    browser goes on to type it (`verify_phone`)."""

    template_name = "residents/register.html"
    form_class = PhoneForm
    purpose = "register"

    def form_valid(self, form):
        phone = form.cleaned_data["phone"]
        previous = _proof(self.request)
        try:
            code = services.send_phone_code(
                phone=phone,
                client=client_ip(self.request) or "-",
                replaces=previous.get("code_id") if previous else None,
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        self.request.session[PROOF_KEY] = {
            "phone": phone,
            "code_id": code.pk,
            "proven_at": None,
            "next": safe_next(self.request, ""),
        }
        return redirect("residents:verify_phone")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = safe_next(self.request, "")
        context["purpose"] = self.purpose
        return context


class ForgotPasswordView(RegisterView):
    """The same first step, worded for a resident who forgot their password."""

    purpose = "reset"


@method_decorator([sensitive_post_parameters("code"), never_cache], name="dispatch")
class VerifyPhoneView(LoggedOutOnlyMixin, FormView):
    """Step 2: the texted code (or "send it again")."""

    template_name = "residents/verify_phone.html"
    form_class = PhoneCodeForm

    def dispatch(self, request, *args, **kwargs):
        if _proof(request) is None and not request.user.is_authenticated:
            return redirect("residents:register")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if "resend" in request.POST:
            return self._resend()
        return super().post(request, *args, **kwargs)

    def _resend(self):
        proof = _proof(self.request)
        form = self.get_form_class()()
        form.cleaned_data = {}  # an unbound form that shows only the refusal
        try:
            code = services.send_phone_code(
                phone=proof["phone"],
                client=client_ip(self.request) or "-",
                replaces=proof.get("code_id"),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        self.request.session[PROOF_KEY] = {**proof, "code_id": code.pk, "proven_at": None}
        messages.info(self.request, _("已重新发送验证码，请使用最新收到的一条。"))
        return redirect("residents:verify_phone")

    def form_valid(self, form):
        proof = _proof(self.request)
        try:
            services.check_phone_code(
                code_id=proof.get("code_id"),
                phone=proof["phone"],
                code=form.cleaned_data["code"],
                client=client_ip(self.request) or "-",
            )
        except ValidationError as error:
            form.add_error("code", error)
            status = 429 if error.code == "throttled" else 200
            return self.render_to_response(self.get_context_data(form=form), status=status)
        # A new session key once the phone is proven (as at a login).
        self.request.session.cycle_key()
        self.request.session[PROOF_KEY] = {**proof, "proven_at": timezone.now().isoformat()}
        return redirect("residents:continue")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["masked_phone"] = mask_phone(_proof(self.request)["phone"])
        return context


@method_decorator(
    [sensitive_post_parameters("password1", "password2"), never_cache], name="dispatch"
)
class ContinueView(LoggedOutOnlyMixin, FormView):
    """Step 3, for a proven number: register, activate, or set a new password."""

    template_name = "residents/continue.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            self.phone = _proven_phone(request)
            if self.phone is None:
                messages.info(request, _("请先输入手机号码，获取短信验证码。"))
                return redirect("residents:register")
            self.status = selectors.phone_status(self.phone)
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return {
            selectors.PhoneStatus.NEW: ProvenRegistrationForm,
            selectors.PhoneStatus.PENDING: ConfirmActivationForm,
            selectors.PhoneStatus.ACCOUNT: NewPasswordForm,
        }.get(self.status, NewPasswordForm)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "phone": self.phone}

    def post(self, request, *args, **kwargs):
        if self.status == selectors.PhoneStatus.UNAVAILABLE:
            return self.get(request, *args, **kwargs)
        if self.status == selectors.PhoneStatus.NEW:
            # Registrations from one client per hour and for one number per day, counted in
            # the shared cache before anything is checked.
            ip = client_ip(request) or "-"
            if REGISTRATIONS_PER_IP.blocked(ip) or REGISTRATIONS_PER_PHONE.blocked(self.phone):
                form = self.get_form()
                form.is_valid()
                form.add_error(None, ValidationError(_throttled_message(), code="throttled"))
                return self.render_to_response(self.get_context_data(form=form), status=429)
            REGISTRATIONS_PER_IP.hit(ip)
            REGISTRATIONS_PER_PHONE.hit(self.phone)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if self.status == selectors.PhoneStatus.NEW:
                resident = services.register_resident(
                    phone=self.phone,
                    name=data["name"],
                    password=data["password1"],
                    building=data["building"],
                    unit=data["unit"],
                    room=data["room"],
                    birth_year=data.get("birth_year"),
                    email=data.get("email", ""),
                    consent=data["consent"],
                )
                message = _("注册成功，欢迎您，%(name)s！现在可以报名参加活动了。") % {
                    "name": resident.name
                }
            elif self.status == selectors.PhoneStatus.PENDING:
                resident = services.activate_resident(
                    phone=self.phone, password=data["password1"], consent=data["consent"]
                )
                message = _("账号已激活，以后用手机号码和密码登录。")
            else:
                resident = services.set_password_by_phone(
                    phone=self.phone, password=data["password1"]
                )
                message = _("新密码已设置，以后用手机号码和新密码登录。")
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        return _finish(self.request, resident, message)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            status=self.status,
            statuses=selectors.PhoneStatus,
            masked_phone=mask_phone(self.phone),
            pending=(
                selectors.pending_resident(self.phone)
                if self.status == selectors.PhoneStatus.PENDING
                else None
            ),
        )
        return context


#: Registrations from one client per hour, and for one phone number per day.
REGISTRATIONS_PER_IP = Throttle("register-ip", limit=10, window=60 * 60)
REGISTRATIONS_PER_PHONE = Throttle("register-phone", limit=5, window=24 * 60 * 60)


def _throttled_message():
    return _("尝试次数太多。为保护居民的账号，请稍后再试，或到社区服务站请工作人员帮您激活。")


@method_decorator(
    [sensitive_post_parameters("password1", "password2", "code"), never_cache],
    name="dispatch",
)
class ActivateView(LoggedOutOnlyMixin, FormView):
    """A resident whom staff registered activates with the code staff printed for them."""

    template_name = "residents/activate.html"
    form_class = ActivationCodeForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            resident = services.activate_with_code(
                phone=data["phone"],
                code=data["code"],
                password=data["password1"],
                consent=data["consent"],
                client=client_ip(self.request) or "-",
            )
        except ValidationError as error:
            add_service_error(form, error)
            status = 429 if getattr(error, "code", None) == "throttled" else 200
            return self.render_to_response(self.get_context_data(form=form), status=status)
        self.request.session.pop(PROOF_KEY, None)
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
@cache_private_page(scopes=lambda request, *, resident: scopes_of(resident))
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
