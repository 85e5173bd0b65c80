"""Residents' volunteer pages: sign up for a role on an activity's page and cancel it, ask
for and print one's certificate of service; and the public verification page of a
certificate (a masked name, the hours and the issuing community, nothing else)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from activities.models import Activity
from core.http import safe_next
from core.masking import mask_name
from core.qr import qr_svg
from residents.decorators import resident_required
from residents.selectors import resident_for_user

from . import services
from .models import Certificate, RoleSignUp, VolunteerRole


def _back(request, activity):
    return redirect(safe_next(request, activity.get_absolute_url() + "#volunteer-roles"))


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
def sign_up(request, pk):
    """A resident signs themself up for one of the activity's volunteer roles."""
    activity = get_object_or_404(Activity.objects.visible(), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(activity.get_absolute_url())
    resident = resident_for_user(request.user)
    if resident is None:
        messages.error(request, _("您的账号没有居民资料，不能在这里报名。"))
        return _back(request, activity)
    role_id = request.POST.get("role", "")
    role = (
        VolunteerRole.objects.filter(activity=activity, pk=role_id).first()
        if role_id.isdigit()
        else None
    )
    if role is None:
        messages.error(request, _("请选择志愿岗位。"))
        return _back(request, activity)
    try:
        result = services.sign_up_for_role(role=role, resident=resident, by=request.user)
    except ValidationError as error:
        _refused(request, error)
        return _back(request, activity)
    signup = result.signup
    if signup.status == RoleSignUp.Status.CONFIRMED:
        messages.success(
            request, _("已报名担任“%(role)s”，谢谢您！请提前到场签到。") % {"role": role.name}
        )
    else:
        messages.warning(
            request,
            _("“%(role)s”已满，您已加入候补，排在第%(position)s位。")
            % {"role": role.name, "position": services.role_waitlist_position(signup)},
        )
    return _back(request, activity)


@require_POST
def cancel(request, pk):
    """A resident gives up their volunteer place at the activity."""
    activity = get_object_or_404(Activity.objects.visible(), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(activity.get_absolute_url())
    resident = resident_for_user(request.user)
    signup = (
        RoleSignUp.objects.active().filter(activity=activity, resident=resident).first()
        if resident is not None
        else None
    )
    if signup is None:
        messages.error(request, _("您没有报名该活动的志愿岗位。"))
        return _back(request, activity)
    try:
        services.cancel_role_signup(signup=signup, by=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已取消志愿岗位报名。"))
    return _back(request, activity)


@require_POST
@resident_required
def request_certificate(request, *, resident):
    """A resident asks for a certificate of their service in a year (this year or last)."""
    this_year = timezone.localdate().year
    year = request.POST.get("year", "")
    if year not in (str(this_year), str(this_year - 1)):
        messages.error(request, _("请选择年份。"))
        return redirect(reverse("residents:me") + "#volunteering")
    year = int(year)
    end = min(dt.date(year, 12, 31), timezone.localdate())
    try:
        certificate = services.issue_certificate(
            resident=resident, period_start=dt.date(year, 1, 1), period_end=end, by=request.user
        )
    except ValidationError as error:
        _refused(request, error)
        return redirect(reverse("residents:me") + "#volunteering")
    return redirect("volunteering:certificate", serial=certificate.serial)


def certificate_context(request, certificate: Certificate) -> dict:
    url = request.build_absolute_uri(certificate.get_verification_url())
    return {
        "certificate": certificate,
        "verification_url": url,
        "qr": qr_svg(url, scale=4, title=certificate.serial, css_class="qr-code"),
    }


@require_safe
@resident_required
def certificate(request, serial, *, resident):
    """The resident's own certificate, to print on A4 (a link with the serial it had before
    certificates were numbered per year leads to it)."""
    mine = Certificate.objects.filter(resident=resident, revoked_at__isnull=True)
    certificate = mine.filter(serial=serial).first()
    if certificate is None:
        former = get_object_or_404(mine, former_serial=serial) if serial else None
        return redirect("volunteering:certificate", serial=former.serial)
    return render(
        request, "volunteering/certificate.html", certificate_context(request, certificate)
    )


@require_safe
def verify(request, token):
    """Public: is this certificate genuine? Only a masked name, the hours, the period and
    the issuing community."""
    certificate = Certificate.objects.filter(token=token).first()
    response = render(
        request,
        "volunteering/verify.html",
        {
            "certificate": certificate,
            "masked_name": mask_name(certificate.holder_name) if certificate else "",
        },
        status=200 if certificate else 404,
    )
    response["X-Robots-Tag"] = "noindex"
    return response
