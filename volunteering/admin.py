"""Back office for 双报到 and volunteer service: service posts, reported units and party
members (with what they did this year), volunteer roles on activities and their sign-ups
(check-in and check-out, hours adjusted with a reason), certificates, the points rules,
the shop and its desk (积分兑换台), the ledger (corrections only) and the annual review.

Sign-ups, hours, certificates, points and stock are written only through
`volunteering.services`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy as _

from activities.models import Activity
from core.admin import GuardedHistoryAdmin, ServiceAddMixin, ServiceRefusalMixin, ServiceRefused
from core.http import attachment, safe_next
from core.pinyin import by_pinyin
from residents.admin_scope import CommunityScopedAdmin
from residents.models import Community, Resident
from residents.scoping import communities_for, own_community_id, scoped

from . import services
from .cards import resident_id_from_code
from .export import CONTENT_TYPE as EXCEL, review_workbook
from .models import (
    AnnualReview,
    Certificate,
    PartyMember,
    PointsEntry,
    PointsRule,
    ReportingUnit,
    RoleSignUp,
    ServicePost,
    ShopItem,
    VolunteerRole,
)
from .selectors import (
    ReviewLine,
    UnitReviewLine,
    annual_review,
    hours_q,
    members_with_year,
    unit_reviews,
    year_bounds,
)
from .views import certificate_context


def _year(request) -> int:
    value = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(value) if value.isdigit() and 2000 <= int(value) <= this_year + 1 else this_year


class SharedConfigAdmin:
    """Configuration shared by every community of the installation (service posts, points
    rules): every back-office user reads it; only a user who works over every community
    (the subdistrict, a superuser, anyone on a one-community installation) changes it."""

    def _works_over_all(self, request) -> bool:
        ids = communities_for(request.user)
        return ids is None or not Community.objects.exclude(pk__in=ids).exists()

    def has_add_permission(self, request):
        return self._works_over_all(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._works_over_all(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._works_over_all(request) and super().has_delete_permission(request, obj)


class _PlacedForm(forms.ModelForm):
    """Fills an empty `community` with the user's own before the model's constraints are
    checked, so that a duplicate within the community is a form error, not a 500."""

    own_community_id: int | None = None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("community") is None and self.own_community_id is not None:
            cleaned["community"] = Community.objects.get(pk=self.own_community_id)
        return cleaned


class PlacedInCommunityAdmin(CommunityScopedAdmin):
    """A record with its own `community` (a unit, a member living elsewhere, a shop item):
    left empty, it is the adding user's community when they work in one (offered on the
    add form, filled in before validation, and again on save for any other path)."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        own = own_community_id(request.user)
        if own is not None:
            initial.setdefault("community", own)
        return initial

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        own = own_community_id(request.user)
        if own is None or "community" not in form.base_fields:
            return form
        return type(form.__name__, (_PlacedForm, form), {"own_community_id": own})

    def place(self, request, obj) -> None:
        if obj.community_id is None:
            obj.community_id = own_community_id(request.user)

    def save_model(self, request, obj, form, change):
        self.place(request, obj)
        super().save_model(request, obj, form, change)


@admin.register(ServicePost)
class ServicePostAdmin(SharedConfigAdmin, admin.ModelAdmin):
    list_display = ("name", "description", "is_active", "order")
    list_editable = ("is_active", "order")
    search_fields = ("name",)


@admin.register(ReportingUnit)
class ReportingUnitAdmin(PlacedInCommunityAdmin, ServiceRefusalMixin, GuardedHistoryAdmin):
    list_display = (
        "name",
        "community",
        "partner",
        "contact_name",
        "members_count",
        "year_hours",
        "review",
    )
    list_filter = ("is_active", "community", "posts")
    list_select_related = ("partner", "community")
    search_fields = ("name", "contact_name", "partner__name")
    autocomplete_fields = ("partner",)
    filter_horizontal = ("posts",)

    def get_queryset(self, request):
        start, end = year_bounds(timezone.localdate().year)
        return (
            super()
            .get_queryset(request)
            .annotate(
                members_count=Count("members", filter=Q(members__is_active=True), distinct=True),
                year_hours=Sum(
                    "members__volunteer_signups__hours",
                    filter=hours_q(start, end, "members__volunteer_signups__"),
                ),
            )
        )

    @admin.display(description=_("报到党员"), ordering="members_count")
    def members_count(self, unit):
        return unit.members_count

    @admin.display(description=_("今年服务时长（小时）"), ordering="year_hours")
    def year_hours(self, unit):
        return unit.year_hours or 0

    @admin.display(description=_("年度评议"))
    def review(self, unit):
        url = reverse("admin:volunteering_reportingunit_review", args=[unit.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("评议表"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="volunteering_reportingunit_review",
            ),
            path(
                "<path:object_id>/review.xlsx",
                self.admin_site.admin_view(self.review_excel),
                name="volunteering_reportingunit_review_excel",
            ),
            *super().get_urls(),
        ]

    def _review(self, request, object_id) -> Review:
        unit = _object(self, request, object_id)
        year = _year(request)
        lines = annual_review(year=year, unit_id=unit.pk, member_ids=_member_ids(request))
        return Review(
            title=gettext("%(unit)s %(year)s 年度双报到评议") % {"unit": unit, "year": year},
            year=year,
            slug=f"unit-{unit.pk}",
            lines=lines,
            excel_url=reverse("admin:volunteering_reportingunit_review_excel", args=[unit.pk]),
            unit_line=unit_reviews(year=year, lines=lines, unit_id=unit.pk)[0],
        )

    def review_view(self, request, object_id):
        """The unit's annual review, to print: each member's posts, activities, hours,
        points and the staff's comment, and the unit's own comment."""
        return _review_page(self, request, self._review(request, object_id))

    def review_excel(self, request, object_id):
        """The same as Excel, one file per unit to send back to it (whoever may read it:
        staff and the secretary)."""
        return self._review(request, object_id).download()


def _object(model_admin, request, object_id):
    """The object of a read-only page of the back office (staff and the secretary), of the
    user's communities (another community's: 404)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if not str(object_id).isdigit():
        raise Http404
    return get_object_or_404(model_admin.get_queryset(request), pk=unquote(object_id))


def _member_ids(request):
    """The user's members (a subquery), or None for all of them."""
    if communities_for(request.user) is None:
        return None
    return scoped(PartyMember.objects.all(), request.user).values("pk")


@dataclass
class Review:
    """An annual review (年度评议) to show and download: a unit's (`unit_line`), one
    member's, or every member's with every unit's line (`units`)."""

    title: str
    year: int
    slug: str
    lines: list[ReviewLine]
    excel_url: str
    unit_line: UnitReviewLine | None = None
    units: list[UnitReviewLine] | None = None

    def download(self):
        workbook = review_workbook(
            title=self.title,
            lines=self.lines,
            unit_comment=self.unit_line.comment if self.unit_line else "",
            unit_posts=self.unit_line.posts if self.unit_line else None,
            units=self.units,
            with_unit=self.unit_line is None,
        )
        return attachment(
            workbook,
            content_type=EXCEL,
            ascii_name=f"review-{self.year}-{self.slug}.xlsx",
            full_name=f"{self.title}.xlsx",
        )


def _comment_url(request, *, year, review_id, target: str, target_id: int) -> str | None:
    """Where staff write or change a comment of the review (None for the secretary)."""
    if review_id is not None:
        if not request.user.has_perm("volunteering.change_annualreview"):
            return None
        url = reverse("admin:volunteering_annualreview_change", args=[review_id])
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
    if not request.user.has_perm("volunteering.add_annualreview"):
        return None
    query = {"year": year, target: target_id, "next": request.get_full_path()}
    return f"{reverse('admin:volunteering_annualreview_add')}?{urlencode(query)}"


def _review_page(model_admin, request, review: Review):
    """年度评议 to print (A4) with its Excel link; staff also get a link per line to write
    the comment."""
    year = review.year
    for line in review.lines:
        line.comment_url = _comment_url(
            request, year=year, review_id=line.review_id, target="member", target_id=line.member.pk
        )
    for unit in [review.unit_line] if review.unit_line else review.units or []:
        unit.comment_url = _comment_url(
            request, year=year, review_id=unit.review_id, target="unit", target_id=unit.unit.pk
        )
    lines = review.lines
    context = {
        **model_admin.admin_site.each_context(request),
        "title": review.title,
        "year": year,
        "previous_year": year - 1,
        "next_year": year + 1 if year < timezone.localdate().year else None,
        "lines": lines,
        "unit_line": review.unit_line,
        "units": review.units,
        "total_hours": sum(line.hours for line in lines),
        "total_points": sum(line.points for line in lines),
        "living_elsewhere": any(not line.earns_points for line in lines),
        "excel_url": f"{review.excel_url}?year={year}",
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/volunteering/review.html", context)


@admin.register(PartyMember)
class PartyMemberAdmin(PlacedInCommunityAdmin, ServiceRefusalMixin, GuardedHistoryAdmin):
    list_display = (
        "display_name",
        "community",
        "unit",
        "posts_display",
        "year_activities",
        "year_hours",
        "review",
    )
    list_filter = ("is_active", "community", "unit", "posts")
    list_select_related = ("resident", "unit", "community")
    search_fields = ("name", "phone", "resident__name", "resident__phone", "unit__name")
    autocomplete_fields = ("resident", "unit")
    filter_horizontal = ("posts",)
    fields = (
        "resident",
        "name",
        "phone",
        "community",
        "unit",
        "reported_on",
        "posts",
        "is_active",
        "points_account",
    )
    readonly_fields = ("points_account",)

    def get_queryset(self, request):
        members = members_with_year(timezone.localdate().year).prefetch_related("posts")
        return scoped(members, request.user)

    @admin.display(description=_("姓名"), ordering="name")
    def display_name(self, member):
        return member.display_name

    @admin.display(description=_("积分"))
    def points_account(self, member):
        """Points go to a resident's account: a member living elsewhere has none (their
        hours are recorded and counted, without points)."""
        if member.pk is None:
            return gettext(
                "住在本社区的党员（选择居民）按志愿服务获得积分；在外居住的党员只记录时长，不计积分。"
            )
        if member.resident_id is None:
            return gettext("在外居住，没有积分账户：只记录服务时长，不计积分。")
        url = reverse("admin:volunteering_pointsentry_changelist")
        return format_html(
            '{} <a href="{}?resident__id__exact={}">{}</a>',
            gettext("余额 %(balance)s 积分") % {"balance": services.balance_of(member.resident_id)},
            url,
            member.resident_id,
            gettext("积分记录"),
        )

    @admin.display(description=_("认领岗位"))
    def posts_display(self, member):
        return "、".join(p.name for p in member.posts.all())

    @admin.display(description=_("今年参与活动"), ordering="year_activities")
    def year_activities(self, member):
        return member.year_activities

    @admin.display(description=_("今年服务时长（小时）"), ordering="year_hours")
    def year_hours(self, member):
        return member.year_hours

    def save_model(self, request, obj, form, change):
        if obj.resident_id is None:
            self.place(request, obj)
        try:
            services.report_member(member=obj, by=request.user)
        except ValidationError as error:
            raise ServiceRefused(error) from None

    @admin.display(description=_("年度评议"))
    def review(self, member):
        url = reverse("admin:volunteering_partymember_member_review", args=[member.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("评议表"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("review/", view(self.review_view), name="volunteering_partymember_review"),
            path(
                "review.xlsx", view(self.review_excel), name="volunteering_partymember_review_excel"
            ),
            path(
                "<path:object_id>/review/",
                view(self.member_review_view),
                name="volunteering_partymember_member_review",
            ),
            path(
                "<path:object_id>/review.xlsx",
                view(self.member_review_excel),
                name="volunteering_partymember_member_review_excel",
            ),
            *super().get_urls(),
        ]

    def _everyone(self, request) -> Review:
        if not self.has_view_permission(request):
            raise PermissionDenied
        year = _year(request)
        lines = annual_review(year=year, member_ids=_member_ids(request))
        units = scoped(ReportingUnit.objects.all(), request.user)
        return Review(
            title=gettext("%(year)s 年度报到党员评议") % {"year": year},
            year=year,
            slug="members",
            lines=lines,
            excel_url=reverse("admin:volunteering_partymember_review_excel"),
            units=unit_reviews(year=year, lines=lines, units=units),
        )

    def review_view(self, request):
        """Every reported member's year (members of units and those reporting on their
        own) and every unit's line, to print: posts, activities, hours, points, comments."""
        return _review_page(self, request, self._everyone(request))

    def review_excel(self, request):
        """The community's workbook: every member's line (with their unit), every unit's."""
        return self._everyone(request).download()

    def _review(self, request, object_id) -> Review:
        member = _object(self, request, object_id)
        year = _year(request)
        return Review(
            title=gettext("%(member)s %(year)s 年度双报到评议")
            % {"member": member.display_name, "year": year},
            year=year,
            slug=f"member-{member.pk}",
            lines=annual_review(year=year, member_ids=[member.pk]),
            excel_url=reverse(
                "admin:volunteering_partymember_member_review_excel", args=[member.pk]
            ),
        )

    def member_review_view(self, request, object_id):
        """One member's year, to print (for their unit or their file)."""
        return _review_page(self, request, self._review(request, object_id))

    def member_review_excel(self, request, object_id):
        return self._review(request, object_id).download()


@admin.register(VolunteerRole)
class VolunteerRoleAdmin(CommunityScopedAdmin, ServiceRefusalMixin, admin.ModelAdmin):
    list_display = ("name", "activity", "places", "confirmed_count", "waitlisted_count", "desk")
    list_select_related = ("activity",)
    search_fields = ("name", "activity__title")
    autocomplete_fields = ("activity",)
    list_filter = ("name",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_count=Count(
                    "signups", filter=Q(signups__status=RoleSignUp.Status.CONFIRMED)
                ),
                waitlisted_count=Count(
                    "signups", filter=Q(signups__status=RoleSignUp.Status.WAITLISTED)
                ),
            )
        )

    @admin.display(description=_("已确认"), ordering="confirmed_count")
    def confirmed_count(self, role):
        return role.confirmed_count

    @admin.display(description=_("候补"), ordering="waitlisted_count")
    def waitlisted_count(self, role):
        return role.waitlisted_count

    @admin.display(description=_("志愿者签到"))
    def desk(self, role):
        url = reverse("admin:volunteering_rolesignup_desk", args=[role.activity_id])
        return format_html('<a href="{}">{}</a>', url, gettext("签到签退"))

    def get_readonly_fields(self, request, obj=None):
        return ("activity",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        try:
            services.save_role(role=obj, by=request.user)
        except ValidationError as error:
            raise ServiceRefused(error) from None


class HoursForm(forms.ModelForm):
    class Meta:
        model = RoleSignUp
        fields = ("hours", "hours_reason")

    def clean(self):
        data = super().clean()
        if self.has_changed() and not (data.get("hours_reason") or "").strip():
            self.add_error("hours_reason", gettext("调整服务时长须写明原因。"))
        if "hours" in self.changed_data and data.get("hours") is None:
            self.add_error("hours", gettext("请填写服务时长。"))
        return data


@admin.register(RoleSignUp)
class RoleSignUpAdmin(
    CommunityScopedAdmin, ServiceAddMixin, ServiceRefusalMixin, GuardedHistoryAdmin
):
    list_display = (
        "volunteer",
        "activity",
        "role_name",
        "status",
        "checked_in_at",
        "checked_out_at",
        "hours",
    )
    list_filter = ("status", ("hours", admin.EmptyFieldListFilter))
    list_select_related = ("resident", "member", "member__resident", "role", "activity")
    search_fields = ("resident__name", "resident__phone", "member__name", "activity__title")
    autocomplete_fields = ("role", "resident", "member")
    add_form_fields = ("role", "resident", "member")
    form = HoursForm
    readonly_fields = (
        "role",
        "activity",
        "resident",
        "member",
        "status",
        "created_at",
        "confirmed_at",
        "promoted_at",
        "cancelled_at",
        "signed_up_by",
        "checked_in_at",
        "checked_out_at",
        "recorded_by",
    )
    fields = (*readonly_fields, "hours", "hours_reason")
    actions = ("check_in", "check_out", "cancel")

    @admin.display(description=_("志愿者"))
    def volunteer(self, signup):
        return signup.volunteer_name

    @admin.display(description=_("岗位"), ordering="role__name")
    def role_name(self, signup):
        return signup.role.name

    def has_delete_permission(self, request, obj=None):
        return False

    def perform_add(self, request, data):
        result = services.sign_up_for_role(
            role=data["role"],
            resident=data.get("resident"),
            member=data.get("member"),
            by=request.user,
        )
        return result.signup, result.created

    def save_model(self, request, obj, form, change):
        if not form.has_changed():
            return
        try:
            services.adjust_hours(
                signup=obj.pk, hours=obj.hours, reason=obj.hours_reason, by=request.user
            )
        except ValidationError as error:
            raise ServiceRefused(error) from None

    def _each(self, request, queryset, service, done: str):
        count = 0
        for signup in queryset:
            try:
                service(signup=signup.pk, by=request.user)
                count += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{signup.volunteer_name}：{'；'.join(error.messages)}", messages.ERROR
                )
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("签到"), permissions=["change"])
    def check_in(self, request, queryset):
        self._each(request, queryset, services.check_in_volunteer, gettext("已签到 %(count)s 人。"))

    @admin.action(description=_("签退并记录时长"), permissions=["change"])
    def check_out(self, request, queryset):
        self._each(
            request, queryset, services.check_out_volunteer, gettext("已签退 %(count)s 人。")
        )

    @admin.action(description=_("取消报名"), permissions=["change"])
    def cancel(self, request, queryset):
        self._each(request, queryset, services.cancel_role_signup, gettext("已取消 %(count)s 人。"))

    def get_urls(self):
        return [
            path(
                "desk/<path:activity_id>/",
                self.admin_site.admin_view(self.desk_view),
                name="volunteering_rolesignup_desk",
            ),
            *super().get_urls(),
        ]

    def desk_view(self, request, activity_id):
        """The volunteers' desk of one activity: each volunteer with a large 签到 / 签退
        button (made for a phone at the door)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(activity_id).isdigit():
            raise Http404
        activity = get_object_or_404(scoped(Activity.objects.all(), request.user), pk=activity_id)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            service = {
                "check_in": services.check_in_volunteer,
                "check_out": services.check_out_volunteer,
            }.get(request.POST.get("do", ""))
            signup = RoleSignUp.objects.filter(
                activity=activity,
                pk=request.POST.get("signup")
                if str(request.POST.get("signup", "")).isdigit()
                else 0,
            ).first()
            if service is None or signup is None:
                self.message_user(request, gettext("请选择志愿者。"), messages.ERROR)
            else:
                try:
                    service(signup=signup.pk, by=request.user)
                except ValidationError as error:
                    self.message_user(request, "；".join(error.messages), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        gettext("已记录：%(name)s") % {"name": signup.volunteer_name},
                        messages.SUCCESS,
                    )
            return HttpResponseRedirect(request.path)
        signups = (
            RoleSignUp.objects.filter(activity=activity)
            .active()
            .select_related("role", "resident", "member", "member__resident")
            .order_by("role__name", "status", "created_at")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("志愿者签到签退：%(title)s") % {"title": activity.title},
            "activity": activity,
            "signups": signups,
            "may_change": self.has_change_permission(request),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/volunteering/desk.html", context)


@admin.register(Certificate)
class CertificateAdmin(CommunityScopedAdmin, ServiceAddMixin, admin.ModelAdmin):
    list_display = (
        "serial",
        "holder_name",
        "period_start",
        "period_end",
        "hours",
        "issued_on",
        "revoked_at",
        "print_link",
    )
    list_filter = ("year", "issued_on")
    search_fields = ("serial", "former_serial", "holder_name")
    autocomplete_fields = ("resident", "member")
    add_form_fields = ("resident", "member", "period_start", "period_end")
    readonly_fields = (
        "serial",
        "former_serial",
        "resident",
        "member",
        "holder_name",
        "period_start",
        "period_end",
        "hours",
        "services",
        "organisation",
        "contact",
        "issued_on",
        "issued_by",
        "revoked_at",
    )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        year = timezone.localdate().year
        return {"period_start": dt.date(year, 1, 1), "period_end": timezone.localdate()}

    def perform_add(self, request, data):
        certificate = services.issue_certificate(
            resident=data.get("resident"),
            member=data.get("member"),
            period_start=data["period_start"],
            period_end=data["period_end"],
            by=request.user,
        )
        return certificate, True

    def add_success_url(self, request, obj):
        return reverse("admin:volunteering_certificate_print", args=[obj.pk])

    @admin.display(description=_("打印"))
    def print_link(self, certificate):
        url = reverse("admin:volunteering_certificate_print", args=[certificate.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("打印"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/print/",
                self.admin_site.admin_view(self.print_view),
                name="volunteering_certificate_print",
            ),
            *super().get_urls(),
        ]

    def print_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(object_id).isdigit():
            raise Http404
        certificate = get_object_or_404(self.get_queryset(request), pk=object_id)
        context = certificate_context(request, certificate)
        context["back_url"] = reverse("admin:volunteering_certificate_changelist")
        return TemplateResponse(request, "volunteering/certificate.html", context)


@admin.register(PointsRule)
class PointsRuleAdmin(SharedConfigAdmin, GuardedHistoryAdmin):
    list_display = ("name", "kind", "role_name", "category", "points", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "role_name")


class ShopItemForm(forms.ModelForm):
    add_stock = forms.IntegerField(
        label=_("补充库存"), min_value=0, required=False, help_text=_("合作单位新送来的数量。")
    )

    class Meta:
        model = ShopItem
        fields = ("name", "community", "partner", "commitment", "points", "stock", "is_active")


@admin.register(ShopItem)
class ShopItemAdmin(PlacedInCommunityAdmin, ServiceRefusalMixin, GuardedHistoryAdmin):
    form = ShopItemForm
    list_display = ("name", "community", "partner", "points", "stock", "redeemed", "is_active")
    list_filter = ("is_active", "community", "partner")
    list_select_related = ("partner", "community")
    search_fields = ("name", "partner__name")
    autocomplete_fields = ("partner", "commitment")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                redeemed_count=Sum(
                    "redemptions__quantity", filter=Q(redemptions__kind=PointsEntry.Kind.REDEEMED)
                )
            )
        )

    @admin.display(description=_("已兑换"), ordering="redeemed_count")
    def redeemed(self, item):
        return item.redeemed_count or 0

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "community", "partner", "commitment", "points", "stock", "is_active")
        return (
            "name",
            "community",
            "partner",
            "commitment",
            "points",
            "stock",
            "add_stock",
            "is_active",
        )

    def get_readonly_fields(self, request, obj=None):
        return ("stock",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        self.place(request, obj)
        obj.full_clean()
        super().save_model(request, obj, form, change)
        added = form.cleaned_data.get("add_stock")
        if change and added:
            try:
                services.restock(item=obj, quantity=added, by=request.user)
            except ValidationError as error:
                raise ServiceRefused(error) from None

    def get_urls(self):
        return [
            path(
                "desk/", self.admin_site.admin_view(self.desk_view), name="volunteering_shop_desk"
            ),
            *super().get_urls(),
        ]

    def _residents(self, request):
        """The residents the desk may serve: the user's communities' only."""
        return scoped(Resident.objects.filter(anonymised_at__isnull=True), request.user)

    def _find(self, request, query: str):
        """Residents of the user's communities found by a points-card code (typed or
        scanned), a name, or the last four digits of a phone number."""
        query = (query or "").strip()
        if not query:
            return []
        residents = self._residents(request).select_related("household__building")
        pk = resident_id_from_code(query.rsplit("code=", 1)[-1])
        if pk is not None:
            return list(residents.filter(pk=pk))
        if query.isdigit() and len(query) == 4:
            return by_pinyin(residents.filter(phone__endswith=query)[:20], lambda r: r.name)
        return by_pinyin(residents.filter(name__contains=query)[:20], lambda r: r.name)

    def desk_view(self, request):
        """积分兑换台: find the resident, see the balance, redeem an item."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        may_redeem = self.has_change_permission(request)
        if request.method == "POST":
            if not may_redeem:
                raise PermissionDenied
            resident_id = request.POST.get("resident", "")
            item_id = request.POST.get("item", "")
            quantity = request.POST.get("quantity", "1")
            if not (
                resident_id.isdigit()
                and item_id.isdigit()
                and quantity.isdigit()
                and self._residents(request).filter(pk=resident_id).exists()
                and self.get_queryset(request).filter(pk=item_id).exists()
            ):
                self.message_user(request, gettext("请选择居民和商品。"), messages.ERROR)
                return HttpResponseRedirect(request.path)
            try:
                entry = services.redeem(
                    resident=int(resident_id),
                    item=int(item_id),
                    quantity=int(quantity),
                    by=request.user,
                )
            except ValidationError as error:
                self.message_user(request, "；".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("兑换成功：%(item)s × %(n)s，余额 %(balance)s 积分。")
                    % {"item": entry.item.name, "n": entry.quantity, "balance": entry.balance},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(f"{request.path}?resident={resident_id}")
        chosen = None
        if request.GET.get("resident", "").isdigit():
            chosen = self._residents(request).filter(pk=request.GET["resident"]).first()
        query = request.GET.get("q", "") or request.GET.get("code", "")
        found = self._find(request, query)
        if chosen is None and len(found) == 1 and request.GET.get("code"):
            chosen = found[0]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("积分兑换台"),
            "query": query,
            "found": found,
            "searched": bool(query),
            "chosen": chosen,
            "balance": services.balance_of(chosen) if chosen else 0,
            "items": self._items_for(request, chosen),
            "may_redeem": may_redeem,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/volunteering/shop_desk.html", context)

    def _items_for(self, request, resident):
        """The items on the desk: the chosen resident's community's (or, before one is
        chosen, those of the user's communities)."""
        items = scoped(ShopItem.objects.filter(is_active=True), request.user)
        if resident is not None:
            community = (
                Resident.objects.filter(pk=resident.pk)
                .values_list(Resident.community_of(), flat=True)
                .first()
            )
            items = items.filter(Q(community=community) | Q(community__isnull=True))
        return items.select_related("partner")


@admin.register(PointsEntry)
class PointsEntryAdmin(CommunityScopedAdmin, ServiceAddMixin, admin.ModelAdmin):
    """The ledger: read only; "add" writes a correction with its reason."""

    list_display = (
        "resident",
        "seq",
        "kind",
        "points",
        "balance",
        "reason",
        "created_at",
        "created_by",
    )
    list_filter = ("kind",)
    list_select_related = ("resident", "created_by")
    search_fields = ("resident__name", "resident__phone", "reason")
    autocomplete_fields = ("resident",)
    add_form_fields = ("resident", "points", "reason")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def perform_add(self, request, data):
        entry = services.correct_points(
            resident=data["resident"], points=data["points"], reason=data["reason"], by=request.user
        )
        return entry, True

    def add_success_url(self, request, obj):
        return (
            reverse("admin:volunteering_pointsentry_changelist")
            + f"?resident__id__exact={obj.resident_id}"
        )


@admin.register(AnnualReview)
class AnnualReviewAdmin(CommunityScopedAdmin, ServiceRefusalMixin, GuardedHistoryAdmin):
    list_display = ("year", "member", "unit", "comment", "written_by")
    list_filter = ("year",)
    list_select_related = ("member", "member__resident", "unit", "written_by")
    search_fields = ("member__name", "member__resident__name", "unit__name", "comment")
    autocomplete_fields = ("member", "unit")
    fields = ("year", "member", "unit", "comment")

    def get_changeform_initial_data(self, request):
        """This year, or the year, member or unit of the review page's link."""
        return {"year": timezone.localdate().year, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        try:
            services.write_review(review=obj, by=request.user)
        except ValidationError as error:
            raise ServiceRefused(error) from None

    def _back_to_review(self, request, response):
        """Saved from a review page's link (`?next=`): back to that page, unless staff chose
        to keep editing or add another."""
        target = safe_next(request, "")
        staying = {"_continue", "_addanother"} & set(request.POST)
        return HttpResponseRedirect(target) if target and not staying else response

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_review(request, super().response_add(request, obj, post_url_continue))

    def response_change(self, request, obj):
        return self._back_to_review(request, super().response_change(request, obj))
