"""Residents' pages about activities and service projects, and the sign-up actions.

Views are thin: reads come from `activities.selectors`, writes go through
`activities.services`, which refuses with translated `ValidationError`s shown as messages.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.http import id_param, safe_next
from core.pagecache import cache_public_page
from core.qr import qr_svg
from core.templatetags.site_tags import when
from partners import selectors as partner_selectors
from residents.decorators import resident_required
from residents.models import Community
from residents.pagescopes import scopes_of
from residents.scoping import scoped
from residents.selectors import cared_for

from . import calendar, readers, selectors, services, share
from .filters import ActivityFilter
from .forms import ActingForForm, FeedbackForm
from .models import Activity, ServiceProject, SignUp
from .privacy import STARS, check_in_url, feedback_of
from .sections import detail_sections
from .templatetags.activity_tags import time_range

PAGE_SIZE = 12
HOME_ACTIVITIES = 8
HOME_PROJECTS = 6
FEED_LIMIT = 200


@require_safe
@cache_public_page(vary=readers.cache_variant)
def home(request):
    now = timezone.now()
    resident = selectors.resident_of(request.user)
    reading = readers.reading(request, resident)
    community_id = reading.community_id
    upcoming = list(
        selectors.upcoming_activities(now=now, limit=HOME_ACTIVITIES, community_id=community_id)
    )
    end_of_week = selectors.week_end(now)
    projects = list(
        selectors.service_projects(community_id=community_id).exclude(
            status=ServiceProject.Status.DONE
        )[:HOME_PROJECTS]
    )
    partners = list(selectors.partner_directory(community_id=community_id))
    return render(
        request,
        "activities/home.html",
        {
            "this_week": [a for a in upcoming if a.starts_at < end_of_week],
            "later": [a for a in upcoming if a.starts_at >= end_of_week],
            "my_signups": selectors.signups_by_activity(resident=resident, activities=upcoming),
            "partner_groups": partner_selectors.by_category(partners),
            "partner_count": len(partners),
            "projects": projects,
            "now": now,
            "reading": reading,
        },
    )


@require_safe
@cache_public_page(vary=readers.cache_variant)
def activity_list(request):
    resident = selectors.resident_of(request.user)
    reading = readers.reading(request, resident)
    filterset = ActivityFilter(request.GET, queryset=Activity.objects.visible(), request=request)
    activities = selectors.home_first(filterset.qs, reading.community_id)
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(
        selectors.page_with_seat_counts(page.object_list, community_id=reading.community_id)
    )
    return render(
        request,
        "activities/activity_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "activities": page.object_list,
            "my_signups": selectors.signups_by_activity(
                resident=resident, activities=page.object_list
            ),
            "is_past": filterset.is_past,
            "now": timezone.now(),
            "reading": reading,
        },
    )


@require_POST
def choose_community(request):
    """The anonymous visitor's community, remembered in a cookie (none: the whole
    subdistrict's list); back to the page they chose it on."""
    community = request.POST.get("community", "")
    community_id = id_param(community)
    if community_id is not None and not Community.objects.filter(pk=community_id).exists():
        community_id = None
    response = redirect(safe_next(request, reverse("home")))
    readers.remember(response, community_id)
    return response


def _action_for(activity: Activity, signup: SignUp | None, resident, now) -> dict:
    """What the one button on the page does for this resident, in words.

    `kind` is "cancel", "sign_up", "waitlist" or "closed" (with `reason`).
    """
    if signup is not None:
        return {
            "kind": "cancel",
            "signup": signup,
            "can_cancel": services.cancellation_refusal(signup=signup, activity=activity, now=now)
            is None,
        }
    try:
        services.check_eligibility(activity=activity, resident=resident, now=now)
    except ValidationError as error:
        return {"kind": "closed", "reason": " ".join(error.messages), "code": error.code}
    left = activity.capacity is None or activity.confirmed_count < activity.capacity
    if left:
        return {"kind": "sign_up"}
    return {"kind": "waitlist", "position": activity.waitlisted_count + 1}


#: Refusals of `services.check_eligibility` that are about the person, not the moment: a
#: family member refused for one of these is not offered on the activity's page at all.
PERSONAL_REFUSALS = frozenset(
    {"party_members_only", "too_young", "too_old", "age_unknown", "anonymised", "residents_only"}
)


def _cannot_join(action: dict) -> bool:
    return action["kind"] == "closed" and action.get("code") in PERSONAL_REFUSALS


def _resident_scopes(request, *args, **kwargs) -> list[str]:
    """A resident's own view of a page is cached under their scopes (others': never)."""
    resident = selectors.resident_of(request.user)
    return scopes_of(resident) if resident is not None else []


@require_safe
@cache_public_page(
    vary=lambda request: "wechat" if in_wechat(request) else "",
    private_scopes=_resident_scopes,
)
def activity_detail(request, pk):
    activity = get_object_or_404(selectors.visible_activities(), pk=pk)
    now = timezone.now()
    resident = selectors.resident_of(request.user)
    action = None
    members = []
    if resident is not None:
        family = list(selectors.household_members_without_login(resident))
        signups = {
            s.resident_id: s
            for s in selectors.active_signups(
                residents=[resident, *family], activity_ids=[activity.pk]
            )
        }
        action = _action_for(activity, signups.get(resident.pk), resident, now)
        members = [
            {"resident": member, "action": action_for_member}
            for member in family
            if not _cannot_join(
                action_for_member := _action_for(activity, signups.get(member.pk), member, now)
            )
        ]
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "partners": list(activity.partners.all()),
            "resident": resident,
            "action": action,
            "members": members,
            "feedback": list(selectors.published_feedback(activity=activity)),
            "absolute_url": request.build_absolute_uri(activity.get_absolute_url()),
            "now": now,
            "is_over": activity.is_over(now),
            "in_wechat": in_wechat(request),
            "sections": detail_sections(request, activity, resident),
        },
    )


def _back(request, url: str):
    """Redirect to a safe `next`, else to `url` (the activity's page)."""
    return redirect(safe_next(request, url))


def _acting_for(request, url: str):
    """(actor, target) for a sign-up action, or an HttpResponse that refuses it; `url` is
    the activity's page (for the login and the way back: the activity is not read here)."""
    if not request.user.is_authenticated:
        return redirect_to_login(url)
    actor = selectors.resident_of(request.user)
    if actor is None:
        messages.error(
            request,
            _("您的账号没有居民资料，不能在这里报名。工作人员请在后台为居民报名。"),
        )
        return _back(request, url)
    form = ActingForForm(request.POST, actor=actor)
    if not form.is_valid():
        reason = " ".join(form.errors.get("resident", [])) or _("无法为该居民报名。")
        return render(request, "403.html", {"reason": reason}, status=403)
    return actor, form.target()


def _who(actor, target) -> str:
    """ "" for oneself; "为王小明" style prefix when a guardian acts for a family member."""
    return "" if target.pk == actor.pk else target.name


@require_POST
def sign_up(request, pk):
    # The activity is read once, by the service that locks it (residents' visibility rule:
    # one they may not see is a 404); until then only its address is needed.
    url = reverse("activities:detail", args=[pk])
    acting = _acting_for(request, url)
    if isinstance(acting, HttpResponse):
        return acting
    actor, target = acting
    try:
        result = services.sign_up(activity=pk, resident=target, by=request.user, visible_only=True)
    except ValidationError as error:
        if getattr(error, "code", None) == "not_found":
            raise Http404 from None
        for message in error.messages:
            messages.error(request, message)
        return _back(request, url)
    signup, activity = result.signup, result.activity
    name = _who(actor, target)
    if signup.status == SignUp.Status.CONFIRMED:
        details = {"when": when(activity.starts_at), "place": activity.place, "name": name}
        if not result.created:
            text = _("您此前已报过名：%(when)s，%(place)s。") % details
        elif name:
            text = _("已为%(name)s报名成功！%(when)s，%(place)s。签到码在“我的”页面。") % details
        else:
            text = _("报名成功！%(when)s，%(place)s。签到码在“我的”页面。") % details
        messages.success(request, text)
    else:
        position = services.waitlist_position(signup)
        if name:
            text = _("已为%(name)s加入候补，排在第%(position)s位。") % {
                "name": name,
                "position": position,
            }
        else:
            text = _("已加入候补，您排在第%(position)s位。") % {"position": position}
        messages.warning(request, text)
    return _back(request, url)


@require_POST
def cancel(request, pk):
    activity = get_object_or_404(Activity.objects.visible(), pk=pk)
    url = activity.get_absolute_url()
    acting = _acting_for(request, url)
    if isinstance(acting, HttpResponse):
        return acting
    actor, target = acting
    signup = SignUp.objects.filter(activity=activity, resident=target).active().first()
    if signup is None:
        messages.info(request, _("没有需要取消的报名。"))
        return _back(request, url)
    try:
        services.cancel(signup=signup, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back(request, url)
    name = _who(actor, target)
    if signup.status == SignUp.Status.WAITLISTED:
        text = _("%(name)s已退出候补。") % {"name": name} if name else _("已退出候补。")
    elif name:
        text = _("已取消%(name)s的报名，名额已让出。") % {"name": name}
    else:
        text = _("已取消报名，名额已让出。")
    messages.success(request, text)
    return _back(request, url)


@require_safe
def activity_ics(request, pk):
    activity = get_object_or_404(selectors.visible_activities(), pk=pk)
    if in_wechat(request):
        # WeChat's browser cannot open a calendar file: say how to get it instead.
        return render(request, "activities/calendar_in_wechat.html", {"activity": activity})
    body = calendar.activity_calendar(
        activity, url=request.build_absolute_uri(activity.get_absolute_url())
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="activity-{activity.pk}.ics"'
    return response


def in_wechat(request) -> bool:
    """WeChat's own browser (it cannot open .ics files)."""
    return "MicroMessenger" in request.headers.get("User-Agent", "")


@require_safe
def share_image(request, pk):
    """The activity's share picture (title, time, place, QR), drawn once per version."""
    activity = get_object_or_404(selectors.visible_activities(), pk=pk)
    path = share.cached_image(
        activity,
        url=request.build_absolute_uri(activity.get_absolute_url()),
        when=time_range(activity),
        community=settings.COMMUNITY_NAME,
    )
    response = FileResponse(path.open("rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
@cache_public_page(vary=readers.cache_variant)
def calendar_feed(request):
    """The upcoming activities as a calendar to subscribe to, read as the list is
    (`readers.reading`: `?community=`, the resident's own, the chosen one, else the whole
    subdistrict's). Calendar programs send no cookie: the pages link to the feed with the
    community they read as."""
    reading = readers.reading(request, selectors.resident_of(request.user))
    # Cancelled activities stay in the feed, marked STATUS:CANCELLED, so that subscribed
    # calendars drop the event instead of keeping a stale one.
    activities = (
        selectors.visible_activities().upcoming().for_community(reading.community_id)[:FEED_LIMIT]
    )
    body = calendar.feed_calendar(
        activities, url_for=lambda a: request.build_absolute_uri(a.get_absolute_url())
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="gongjian-activities.ics"'
    return response


@require_safe
def poster(request, pk):
    activity = get_object_or_404(selectors.visible_activities(), pk=pk)
    return render(
        request,
        "activities/poster.html",
        {
            "activity": activity,
            "in_wechat": in_wechat(request),
            "partners": list(activity.partners.all()),
            "absolute_url": request.build_absolute_uri(activity.get_absolute_url()),
        },
    )


@require_safe
@cache_public_page(vary=readers.cache_variant)
def project_list(request):
    reading = readers.reading(request, selectors.resident_of(request.user))
    return render(
        request,
        "activities/project_list.html",
        {
            "projects": list(selectors.service_projects(community_id=reading.community_id)),
            "today": timezone.localdate(),
            "reading": reading,
        },
    )


# --- my activities ----------------------------------------------------------------------


@never_cache
@require_safe
@resident_required
def my_code(request, signup_id, *, resident):
    """The check-in code and QR of one of my (or my child's) confirmed sign-ups of an
    activity not cancelled: one tap from /me/, which draws only the next ones' QR codes."""
    signup = get_object_or_404(
        SignUp.objects.select_related("activity", "resident").exclude(
            activity__status=Activity.Status.CANCELLED
        ),
        pk=signup_id,
        resident__in=cared_for(resident),
        status=SignUp.Status.CONFIRMED,
    )
    qr = qr_svg(
        check_in_url(request, signup), scale=8, title=signup.check_in_code, css_class="qr-code"
    )
    return render(
        request, "activities/my_code.html", {"signup": signup, "qr": qr, "resident": resident}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def feedback(request, signup_id, *, resident):
    """Rate an activity that I (or a child of mine) attended."""
    signup = get_object_or_404(
        SignUp.objects.select_related("activity", "resident", "feedback"),
        pk=signup_id,
        resident__in=cared_for(resident),
    )
    back = reverse("residents:me") + f"#signup-{signup.pk}"
    refusal = services.feedback_refusal(signup=signup)
    if refusal is not None:
        for message in refusal.messages:
            messages.error(request, message)
        return redirect(back)
    existing = feedback_of(signup)
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                services.leave_feedback(
                    signup=signup,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    may_publish=form.cleaned_data["may_publish"],
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect(back)
            messages.success(request, _("谢谢您的评价！"))
            return redirect(back)
    else:
        initial = (
            {
                "rating": existing.rating,
                "comment": existing.comment,
                "may_publish": existing.may_publish,
            }
            if existing
            else {}
        )
        form = FeedbackForm(initial=initial)
    return render(
        request,
        "activities/feedback.html",
        {
            "signup": signup,
            "form": form,
            "stars": STARS,
            "existing": existing,
            "is_mine": signup.resident_id == resident.pk,
        },
    )


def _may_check_in(user, activity: Activity) -> bool:
    """Staff at the door: a back-office user who may change sign-ups (not the secretary,
    who only reads) of the activity's community (`residents.scoping`)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("activities.change_signup")
        and scoped(Activity.objects.filter(pk=activity.pk), user).exists()
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def check_in_link(request, pk, code):
    """What a resident's check-in QR code opens. A member of staff sees the resident and
    one large button that checks them in (a POST; GET never changes anything); anyone else
    is only told what the code is for, and learns nothing about the resident."""
    activity = get_object_or_404(Activity.objects.select_related("complex"), pk=pk)
    if not _may_check_in(request.user, activity):
        if request.method == "POST":
            raise PermissionDenied
        if not Activity.objects.visible().filter(pk=activity.pk).exists():
            raise Http404  # a draft's title is for its staff only
        return render(
            request, "activities/check_in_link.html", {"activity": activity, "staff": False}
        )
    if request.method == "POST":
        try:
            signup = services.check_in(activity=activity, code=code, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("签到成功：%(name)s") % {"name": signup.resident.name})
        return redirect(request.path)
    signup = (
        activity.signups.filter(check_in_code=code)
        .select_related("resident__household__building", "checked_in_by")
        .first()
    )
    refusal = None
    if signup is None:
        refusal = _("签到码无效。")
    elif signup.status == SignUp.Status.CANCELLED:
        refusal = _("该报名已取消。")
    elif signup.status == SignUp.Status.WAITLISTED:
        refusal = _("该居民仍在候补名单上，尚未获得名额。")
    elif not signup.attended:
        error = services.check_in_refusal(activity=activity)
        refusal = " ".join(error.messages) if error is not None else None
    return render(
        request,
        "activities/check_in_link.html",
        {
            "activity": activity,
            "staff": True,
            "signup": signup,
            "code": code,
            "refusal": refusal,
            "desk_url": reverse("admin:activities_activity_check_in", args=[activity.pk]),
        },
    )
