"""Back office for activities and their sign-ups (with the check-in desk), service
projects and their milestones, residents' needs and feedback.

Sign-ups are written only through `activities.services`: the add page signs a resident up
(or puts them on the waiting list), actions cancel and check in, and a sign-up's status is
never edited by hand. So are an activity's capacity (new seats go to the waiting list) and
a need's triage. An activity residents signed up for cannot be deleted (see
templates/admin/activities/activity/ for what the page says to do instead).
"""

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, F, Q, Value, When
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.formats import base_formats

from core.admin import (
    ColumnNamedExportForm,
    GuardedHistoryAdmin,
    ReadOnlyInline,
    SafeExportMixin,
    ServiceAddMixin,
    ServiceRefusalMixin,
    ServiceRefused,
    StaffImportExportMixin,
    titled_filter,
)
from core.forms import add_service_error
from core.pinyin import by_pinyin
from partners import admin as partners_admin
from partners.models import Partner, ResourceCommitment
from residents.admin_scope import CommunityScopedAdmin, CommunityScopedInline
from residents.models import Building, Resident
from residents.scoping import scoped
from residents.services import register_at_the_door

from . import rollups, selectors, series as series_services, services
from .forms_admin import (
    AcceptNeedsForm,
    ActivityAdminForm,
    CheckInForm,
    DeclineNeedsForm,
    NeedAdminForm,
    SeriesRuleForm,
    ServiceProjectAdminForm,
    WalkInForm,
)
from .models import (
    Activity,
    ActivityQuerySet,
    CallListEntry,
    Feedback,
    Milestone,
    Need,
    Series,
    ServiceProject,
    SignUp,
)
from .resources import ActivityResource, SignUpResource


def report_each(request, model_admin, signups, act, done_message):
    """Apply `act` to each sign-up; report how many succeeded and why the others did not."""
    done, refused = 0, []
    for signup in signups:
        try:
            act(signup)
        except ValidationError as error:
            refused.append(f"{signup.resident} · {signup.activity}：{'；'.join(error.messages)}")
        else:
            done += 1
    if done:
        model_admin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    for line in refused:
        model_admin.message_user(request, line, messages.ERROR)


def _parse_id(raw) -> int | None:
    """A record id posted by a form, or None for anything that is not one ("abc", "1.5")."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw) or None


STATUS_ORDER = Case(
    When(status=SignUp.Status.CONFIRMED, then=Value(0)),
    When(status=SignUp.Status.WAITLISTED, then=Value(1)),
    default=Value(2),
)


class SignUpInline(CommunityScopedInline, ReadOnlyInline):
    """Who signed up for the activity; changed only through the sign-up actions."""

    model = SignUp
    fields = (
        "resident",
        "resident_phone",
        "status",
        "queue_position",
        "attended",
        "checked_in_at",
        "created_at",
        "signed_up_by",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            # Each row is headed by the sign-up's name, "<resident> · <activity>".
            .select_related("resident", "activity", "signed_up_by")
            .with_waitlist_position()
            .order_by(STATUS_ORDER.asc(), "created_at", "pk")
        )

    @admin.display(description=_("手机号码"))
    def resident_phone(self, signup):
        return signup.resident.phone

    @admin.display(description=_("候补顺位"))
    def queue_position(self, signup):
        return signup.waitlist_position or ""


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A list filter that opens on `default` (instead of everything) and offers "全部"
    as a choice of its own (`?<parameter>=all`)."""

    default = ""

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


def local_day_start(day: dt.date) -> dt.datetime:
    """Local midnight (Asia/Shanghai) at the start of `day`, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def this_week(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to next Monday 00:00 (local) of the week holding `today`."""
    monday = today - dt.timedelta(days=today.weekday())
    return local_day_start(monday), local_day_start(monday + dt.timedelta(days=7))


class WhenFilter(DefaultChoiceFilter):
    """When an activity takes place; the list opens on those not ended, soonest first."""

    title = _("时间")
    parameter_name = "when"
    default = "upcoming"
    #: The choices listed soonest first (the others newest first).
    SOONEST_FIRST = ("upcoming", "today", "week")

    def lookups(self, request, model_admin):
        return (
            ("upcoming", _("未结束")),
            ("today", _("今天")),
            ("week", _("本周")),
            ("yesterday", _("昨天")),
            ("past", _("已结束")),
            ("all", _("全部")),
        )

    def queryset(self, request, queryset):
        now = timezone.now()
        today = timezone.localdate()
        match self.value():
            case "upcoming":
                return queryset.filter(ends_at__gte=now)
            case "today":
                return queryset.starting_between(
                    local_day_start(today), local_day_start(today + dt.timedelta(days=1))
                )
            case "week":
                return queryset.starting_between(*this_week(today))
            case "yesterday":
                return queryset.held(
                    start=local_day_start(today - dt.timedelta(days=1)),
                    end=local_day_start(today),
                    now=now,
                )
            case "past":
                return queryset.filter(ends_at__lt=now)
        return queryset


class CheckInFilter(admin.SimpleListFilter):
    title = _("签到")
    parameter_name = "check_ins"

    def lookups(self, request, model_admin):
        return (("none", _("无人签到")), ("some", _("有人签到")))

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.without_check_ins()
        if self.value() == "some":
            return queryset.exclude(pk__in=queryset.without_check_ins().values("pk"))
        return queryset


@admin.register(Activity)
class ActivityAdmin(
    CommunityScopedAdmin,
    StaffImportExportMixin,
    ImportExportMixin,
    ServiceRefusalMixin,
    GuardedHistoryAdmin,
):
    """Activities with their seats taken, waiting list and check-in desk. A change of
    capacity goes through `services.change_capacity`. Exported to and imported from
    Excel (`activities.resources.ActivityResource`); an activity's sign-ups are exported
    by the action "导出报名名单"."""

    resource_classes = [ActivityResource]
    form = ActivityAdminForm
    list_display = (
        "title",
        "starts_at",
        "status",
        "category",
        "complex",
        "partner_names",
        "seats",
        "waitlisted",
        "is_public",
        "check_ins",
    )
    list_filter = (
        WhenFilter,
        "status",
        CheckInFilter,
        ("series", titled_filter(_("系列活动（空 = 单次活动）"), admin.EmptyFieldListFilter)),
        "category",
        "complex",
        "partners",
        "is_public",
        "audience",
        "residents_only",
    )
    search_fields = ("title", "place", "partners__name")
    autocomplete_fields = ("partners", "commitment", "complex")
    list_select_related = ("complex",)
    date_hierarchy = "starts_at"
    inlines = (SignUpInline,)
    actions = (
        "open_check_in_desk",
        "fill_waiting_list",
        "duplicate_as_draft",
        "cancel_rest_of_series",
        "export_signups",
    )
    #: The fields of the first occurrence on the "create a series" page.
    series_fields = (
        "title",
        "category",
        "partners",
        "commitment",
        "complex",
        "place",
        "summary",
        "description",
        "starts_at",
        "ends_at",
        "capacity",
        "min_age",
        "max_age",
        "party_members_only",
        "audience",
        "residents_only",
        "status",
        "is_public",
    )
    fieldsets = (
        (None, {"fields": ("title", "category", "summary", "description")}),
        (_("承办"), {"fields": ("partners", "commitment", "complex", "place")}),
        (_("时间"), {"fields": ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at")}),
        (
            _("名额与报名条件"),
            {
                "fields": (
                    "capacity",
                    "min_age",
                    "max_age",
                    "party_members_only",
                    "residents_only",
                )
            },
        ),
        (_("发布"), {"fields": ("status", "is_public", "audience")}),
    )

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if db_field.name == "audience":
            # A form sent without it (a page loaded before the field existed, an import's
            # template): the default, this community only.
            field.required = False
            field.empty_value = Activity.Audience.COMMUNITY
        return field

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_seat_counts()
            .with_check_in_counts()
            .prefetch_related("partners")
        )

    def get_ordering(self, request):
        """Soonest first while looking ahead (the list opens on "not ended"), newest
        first when looking back."""
        if request.GET.get(WhenFilter.parameter_name, WhenFilter.default) in (
            WhenFilter.SOONEST_FIRST
        ):
            return ("starts_at", "pk")
        return ("-starts_at", "pk")

    def get_urls(self):
        check_in = path(
            "<path:object_id>/check-in/",
            self.admin_site.admin_view(self.check_in_view),
            name="activities_activity_check_in",
        )
        add_series = path(
            "series/add/",
            self.admin_site.admin_view(self.add_series_view),
            name="activities_activity_add_series",
        )
        sheet = path(
            "<path:object_id>/sign-in-sheet/",
            self.admin_site.admin_view(self.sign_in_sheet_view),
            name="activities_activity_sign_in_sheet",
        )
        return [check_in, sheet, add_series, *super().get_urls()]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.series_id and self.has_change_permission(request, obj):
            fieldsets = (
                *fieldsets,
                (_("系列活动"), {"fields": ("series_scope",)}),
            )
        return fieldsets

    def add_series_view(self, request):
        """创建系列活动: the first occurrence and how it repeats; every occurrence is created
        at once through `activities.series.create_series`."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        fields = {
            name: self.formfield_for_dbfield(Activity._meta.get_field(name), request=request)
            for name in self.series_fields
        }
        form_class = type(
            "SeriesAddForm",
            (SeriesRuleForm,),
            {
                **fields,
                # The first occurrence, then how it repeats.
                "field_order": [*self.series_fields, *SeriesRuleForm.base_fields],
            },
        )
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                activity = Activity(
                    **{name: data[name] for name in self.series_fields if name != "partners"}
                )
                try:
                    series = series_services.create_series(
                        activity=activity,
                        rule=form.rule(),
                        partners=data["partners"],
                        by=request.user,
                    )
                except ValidationError as error:
                    add_service_error(form, error)
                else:
                    count = series.activities.count()
                    self.message_user(
                        request,
                        gettext("已创建系列活动“%(title)s”（%(rule)s），共 %(count)d 次。")
                        % {"title": series.title, "rule": series.description, "count": count},
                        messages.SUCCESS,
                    )
                    changelist = reverse("admin:activities_activity_changelist")
                    return HttpResponseRedirect(
                        f"{changelist}?series__id__exact={series.pk}&when=all"
                    )
        else:
            form = form_class(initial={"interval": 1, "frequency": "weekly"})
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("创建系列活动"),
            "subtitle": None,
            "form": form,
            "opts": self.opts,
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request),
            "is_popup": False,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/service_add_form.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "check_in_url": reverse("admin:activities_activity_check_in", args=[object_id]),
            "sign_in_sheet_url": reverse(
                "admin:activities_activity_sign_in_sheet", args=[object_id]
            ),
            "call_list_url": (
                reverse("admin:activities_calllistentry_call_list")
                + "?"
                + urlencode({"activity": object_id})
                if request.user.has_perm("activities.view_calllistentry")
                else None
            ),
            "sign_up_url": (
                reverse("admin:activities_signup_add") + f"?activity={object_id}"
                if request.user.has_perm("activities.add_signup")
                else None
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        before = Activity.objects.filter(pk=obj.pk).first() if change else None
        self._save_activity(request, obj, form, change)
        # In the admin's transaction: the summary's roll-ups follow a new date or status.
        rollups.activity_changed(activity=obj, before=before)
        # Cancelled here: what the apps above registered (volunteers' places) is cancelled too.
        services.after_cancellation(activity=obj, before=before, by=request.user)
        # Residents signed up hear of a cancellation or a new time or place.
        services.tell_activity_changed(activity=obj, before=before)

    def _save_activity(self, request, obj, form, change):
        """A changed capacity goes through `services.change_capacity`: new seats go to the
        waiting list at once; lowered below the residents confirmed, they keep their seats.
        An occurrence of a series changed "this and the following" goes through
        `activities.series.change_following` first."""
        following = form.cleaned_data.get("series_scope") == series_services.Scope.FOLLOWING
        if change and obj.series_id and following:
            self._change_following(request, obj, form)
        if not change or "capacity" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        try:
            result = services.change_capacity(activity=obj, capacity=obj.capacity, by=request.user)
        except ValidationError as error:
            raise ServiceRefused(error) from error
        if result.promoted:
            self.message_user(
                request,
                gettext("名额增加后，已有 %(count)d 位候补居民转为正式报名：%(names)s。")
                % {
                    "count": len(result.promoted),
                    "names": "、".join(s.resident.name for s in result.promoted),
                },
                messages.SUCCESS,
            )
        if result.overbooked:
            self.message_user(
                request,
                gettext(
                    "名额（%(capacity)d）少于已报名人数（%(confirmed)d）："
                    "已报名的居民仍保留名额，新报名的居民将进入候补。"
                )
                % {"capacity": obj.capacity, "confirmed": result.confirmed},
                messages.WARNING,
            )

    def _change_following(self, request, obj, form):
        changed = set(form.changed_data) & {"starts_at", "ends_at", "place", "capacity"}
        if not changed:
            return
        try:
            result = series_services.change_following(
                activity=obj.pk,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                place=obj.place,
                capacity=obj.capacity,
                by=request.user,
            )
        except ValidationError as error:
            raise ServiceRefused(error) from error
        self.message_user(
            request,
            gettext("已同时修改本系列此次及以后的 %(count)d 次活动。")
            % {"count": len(result.changed)},
            messages.SUCCESS,
        )

    @admin.action(description=_("导出所选活动的报名名单（Excel）"), permissions=("change",))
    def export_signups(self, request, queryset):
        return signups_workbook(SignUp.objects.filter(activity__in=queryset))

    @admin.action(description=_("取消所选系列活动此次及以后各次"), permissions=("change",))
    def cancel_rest_of_series(self, request, queryset):
        cancelled, refused = 0, []
        for activity in queryset.filter(series__isnull=False).order_by("starts_at"):
            try:
                cancelled += len(series_services.cancel_rest(activity=activity, by=request.user))
            except ValidationError as error:
                refused.append(f"{activity.title}：{'；'.join(error.messages)}")
        self.message_user(
            request,
            gettext("已取消 %(count)d 次系列活动；已报名的居民会看到“活动已取消”。")
            % {"count": cancelled},
            messages.SUCCESS if cancelled else messages.WARNING,
        )
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.display(description=_("共建单位"))
    def partner_names(self, activity):
        return "、".join(p.display_name for p in activity.partners.all())

    @admin.display(description=_("已报名/名额"), ordering="confirmed_count")
    def seats(self, activity):
        capacity = gettext("不限") if activity.capacity is None else activity.capacity
        return f"{activity.confirmed_count}/{capacity}"

    @admin.display(description=_("候补"), ordering="waitlisted_count")
    def waitlisted(self, activity):
        return activity.waitlisted_count

    @admin.display(description=_("签到/已报名"), ordering="checked_in_count")
    def check_ins(self, activity):
        return f"{activity.checked_in_count}/{activity.confirmed_count}"

    @admin.action(description=_("复制为新的草稿活动"), permissions=("add",))
    def duplicate_as_draft(self, request, queryset):
        copies = [
            services.duplicate_activity(activity=activity, by=request.user)
            for activity in queryset.order_by("starts_at", "pk")
        ]
        if len(copies) == 1:
            self.message_user(
                request,
                gettext("已复制为新的草稿活动，请修改时间后发布。"),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:activities_activity_change", args=[copies[0].pk])
            )
        self.message_user(
            request,
            gettext("已复制 %(count)d 个活动为草稿（筹备中、不公开）。") % {"count": len(copies)},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("打开签到台"), permissions=("change",))
    def open_check_in_desk(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("请只选择一个活动打开签到台。"), messages.WARNING)
            return None
        activity = queryset.first()
        return HttpResponseRedirect(
            reverse("admin:activities_activity_check_in", args=[activity.pk])
        )

    @admin.action(description=_("按候补顺序补满空余名额"), permissions=("change",))
    def fill_waiting_list(self, request, queryset):
        promoted = []
        for activity in queryset:
            promoted += services.fill_free_seats(activity=activity)
        self.message_user(
            request, gettext("已有 %(count)d 位候补居民转为正式报名。") % {"count": len(promoted)}
        )

    def _desk_activity(self, request, object_id, *, change=True):
        activity = self.get_object(request, unquote(object_id))
        if activity is None:
            raise Http404(gettext("找不到该活动。"))
        allowed = (
            self.has_change_permission(request, activity)
            if change
            else self.has_view_permission(request, activity)
        )
        if not allowed:
            raise PermissionDenied
        return activity

    def check_in_view(self, request, object_id):
        """签到台 (usable on a phone): the camera reads a resident's QR code, or staff type
        the six-digit code, search by name or the last four digits of a phone number, or
        register a walk-in. Each action posts back here; the result is shown large once."""
        activity = self._desk_activity(request, object_id)
        if request.method == "POST":
            result = self._desk_action(request, activity)
            request.session[DESK_RESULT_KEY] = result
            query = request.POST.get("q", "").strip()
            return HttpResponseRedirect(
                request.path + (f"?{urlencode({'q': query})}" if query else "")
            )
        result = request.session.pop(DESK_RESULT_KEY, None)
        query = request.GET.get("q", "").strip()[:40]
        signups = activity.signups.select_related("resident__household__building")
        checked_in = list(signups.filter(attended=True).order_by("-checked_in_at", "-pk"))
        not_yet = by_pinyin(
            signups.filter(status=SignUp.Status.CONFIRMED, attended=False),
            lambda signup: signup.resident.name,
        )
        typed = result.get("typed", "") if result and result["level"] == "error" else ""
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("签到台"),
            "subtitle": activity.title,
            "opts": self.opts,
            "original": activity,
            "activity": activity,
            "form": CheckInForm(initial={"code": typed}),
            "walk_in_form": WalkInForm(activity=activity),
            "result": result,
            "query": query,
            "found": self._desk_search(activity, query, request.user) if query else None,
            "checked_in": checked_in,
            "not_yet": not_yet,
            "confirmed_count": len(not_yet) + sum(1 for s in checked_in if s.is_active),
            "door_closed": services.check_in_refusal(activity=activity),
            "window": services.check_in_window(activity),
            "has_view_permission": True,
            "has_change_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/activities/activity/check_in.html", context)

    def _desk_search(self, activity, query, user):
        """Residents (of the user's communities) whose name contains `query`, or whose phone
        ends with it (four digits), in pinyin order, each with their sign-up for this
        activity (if any)."""
        residents = scoped(Resident.objects.active(), user).select_related("household__building")
        if query.isascii() and query.isdigit():
            residents = residents.filter(phone__endswith=query)
        else:
            residents = residents.filter(name__icontains=query)
        found = list(residents.order_by("name", "pk")[:DESK_SEARCH_LIMIT])
        signups = {
            signup.resident_id: signup
            for signup in activity.signups.active().filter(resident__in=found)
        }
        for resident in found:
            resident.desk_signup = signups.get(resident.pk)
        return by_pinyin(found, lambda resident: resident.name)

    def _desk_action(self, request, activity) -> dict:
        """One check-in desk action; returns what the page shows large afterwards."""
        action = request.POST.get("action", "code")
        typed = request.POST.get("code", "").strip()[:200]
        started = timezone.now()
        try:
            if action == "code":
                form = CheckInForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(form.errors["code"])
                signup = services.check_in(
                    activity=activity, code=form.cleaned_data["code"], by=request.user
                )
            elif action == "register":
                form = WalkInForm(request.POST, activity=activity)
                if not form.is_valid():
                    return _desk_result(
                        "error",
                        "；".join(m for errors in form.errors.values() for m in errors),
                        typed=request.POST.get("name", ""),
                    )
                data = form.cleaned_data
                resident = register_at_the_door(
                    name=data["name"],
                    phone=data["phone"],
                    building=data["building"],
                    unit=data["unit"],
                    room=data["room"],
                    community=activity.complex.community_id,
                )
                return self._walk_in(request, activity, resident, over_capacity=False)
            elif action == "walk_in":
                resident_id = _parse_id(request.POST.get("resident"))
                residents = scoped(Resident.objects.all(), request.user)
                resident = residents.filter(pk=resident_id).first() if resident_id else None
                if resident is None:
                    raise ValidationError(gettext("找不到该居民。"))
                over = request.POST.get("over_capacity") == "1"
                return self._walk_in(request, activity, resident, over_capacity=over)
            else:
                signup_id = _parse_id(request.POST.get("signup"))
                signup = activity.signups.filter(pk=signup_id).first() if signup_id else None
                if signup is None:
                    raise ValidationError(gettext("找不到该报名记录。"))
                if action == "undo":
                    signup = services.undo_check_in(signup=signup, by=request.user)
                    return _desk_result(
                        "warning",
                        gettext("已撤销 %(name)s 的签到。") % {"name": signup.resident.name},
                    )
                signup = services.check_in(
                    activity=activity, code=signup.check_in_code, by=request.user
                )
        except ValidationError as error:
            return _desk_result("error", "；".join(error.messages), typed=typed)
        return _checked_in_result(signup, started=started, typed=typed)

    def _walk_in(self, request, activity, resident, *, over_capacity) -> dict:
        started = timezone.now()
        try:
            signup = services.walk_in(
                activity=activity, resident=resident, over_capacity=over_capacity, by=request.user
            )
        except ValidationError as error:
            result = _desk_result(
                "error", "；".join(error.messages), typed=resident.name, resident=resident
            )
            if error.code == "full":
                result["over_capacity_for"] = resident.pk
            return result
        result = _checked_in_result(signup, started=started, typed=resident.name)
        if signup.over_capacity_at and signup.over_capacity_at >= started:
            result["headline"] += " " + gettext("（超额参加）")
        return result

    def sign_in_sheet_view(self, request, object_id):
        """签到表: a printable A4 list of the confirmed residents in pinyin order, with a
        signature column and blank rows for walk-ins."""
        activity = self._desk_activity(request, object_id, change=False)
        signups = by_pinyin(
            activity.signups.filter(status=SignUp.Status.CONFIRMED).select_related(
                "resident__household__building"
            ),
            lambda signup: signup.resident.name,
        )
        return TemplateResponse(
            request,
            "admin/activities/activity/sign_in_sheet.html",
            {
                "activity": activity,
                "signups": signups,
                "blank_rows": range(SIGN_IN_SHEET_BLANK_ROWS),
                "community_name": settings.COMMUNITY_NAME,
            },
        )


DESK_RESULT_KEY = "activities_check_in_desk_result"
#: Residents listed by a desk search (a name or four digits finds a handful).
DESK_SEARCH_LIMIT = 20
#: Empty rows at the end of a printed sign-in sheet, for residents who walk in.
SIGN_IN_SHEET_BLANK_ROWS = 10


def _desk_result(level, headline, *, typed="", resident=None, signup=None) -> dict:
    """What the desk shows large after an action (kept in the session until shown)."""
    person = resident or (signup.resident if signup is not None else None)
    household = person.household if person is not None and person.household_id else None
    return {
        "level": level,
        "headline": str(headline),
        "name": person.name if person is not None else "",
        "household": str(household) if household is not None else "",
        "typed": typed,
    }


def _checked_in_result(signup, *, started, typed) -> dict:
    if signup.checked_in_at < started:
        when = date_format(timezone.localtime(signup.checked_in_at), "H:i")
        return _desk_result(
            "warning",
            gettext("%(name)s 已于 %(time)s 签到，无需重复签到。")
            % {"name": signup.resident.name, "time": when},
            typed=typed,
            signup=signup,
        )
    return _desk_result(
        "success",
        gettext("签到成功：%(name)s。") % {"name": signup.resident.name},
        typed=typed,
        signup=signup,
    )


@admin.register(Series)
class SeriesAdmin(CommunityScopedAdmin, admin.ModelAdmin):
    """Repeating activities; created from the activity list ("创建系列活动"), each
    occurrence changed there like any activity."""

    list_display = ("title", "description", "occurrences", "created_by", "created_at")
    search_fields = ("title",)
    list_select_related = ("created_by",)
    fields = ("title", "description", "rule", "created_by", "created_at", "occurrences")
    readonly_fields = ("description", "rule", "created_by", "created_at", "occurrences")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(occurrence_total=Count("activities"))

    def add_view(self, request, form_url="", extra_context=None):
        # A series is created with its occurrences, on the activities' "创建系列活动" page.
        return self.admin_site._registry[Activity].add_series_view(request)

    @admin.display(description=_("活动"), ordering="occurrence_total")
    def occurrences(self, series):
        url = reverse("admin:activities_activity_changelist")
        return format_html(
            '<a href="{}?series__id__exact={}&amp;when=all">{}</a>',
            url,
            series.pk,
            gettext("%(count)d 次") % {"count": series.occurrence_total},
        )


def signups_workbook(queryset):
    """The sign-ups as an Excel download with Chinese headers."""
    data = SignUpResource().export(queryset=queryset)
    response = HttpResponse(
        data.export("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = gettext("报名名单-%(day)s.xlsx") % {"day": timezone.localdate().isoformat()}
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@admin.register(SignUp)
class SignUpAdmin(
    CommunityScopedAdmin, SafeExportMixin, ExportMixin, ServiceAddMixin, GuardedHistoryAdmin
):
    """Sign-ups. Staff sign up residents without a smartphone on the add page; the status
    changes only through the actions (cancel, check in, undo a check-in), and the history
    shows who did what and when."""

    list_display = (
        "resident",
        "resident_phone",
        "activity",
        "status",
        "queue_position",
        "attended",
        "checked_in_at",
        "created_at",
        "signed_up_by",
    )
    # No filter listing every activity ever held: an activity's sign-ups are on its page
    # (and at ?activity__id__exact=<id>, where the add page returns).
    list_filter = (
        "status",
        "attended",
        ("activity__status", titled_filter(_("活动状态"))),
        ("activity__category", titled_filter(_("活动类别"))),
    )
    search_fields = (
        "resident__name",
        "resident__phone",
        "activity__title",
        "=check_in_code",
    )
    autocomplete_fields = ("activity", "resident")
    list_select_related = ("resident", "activity", "signed_up_by")
    date_hierarchy = "created_at"
    actions = ("cancel_signups", "check_in_signups", "undo_check_ins")
    add_form_fields = ("activity", "resident")
    resource_classes = [SignUpResource]
    export_formats = [base_formats.XLSX, base_formats.CSV]
    export_form_class = ColumnNamedExportForm
    fields = (
        "activity",
        "resident",
        "household",
        "status",
        "queue_position",
        "check_in_code",
        "attended",
        "checked_in_at",
        "checked_in_by",
        "walk_in",
        "over_capacity_at",
        "over_capacity_by",
        "signed_up_by",
        "created_at",
        "confirmed_at",
        "promoted_at",
        "cancelled_at",
        "cancelled_by",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # Joined here, not only in the changelist, for the autocomplete of sign-ups; the
        # changelist then leaves list_select_related aside, so both name the same tables.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .with_waitlist_position()
        )

    def has_delete_permission(self, request, obj=None):
        # Deleting would skip the waiting list; cancel instead.
        return False

    def has_export_permission(self, request):
        # Residents' phone numbers: staff only, not the secretary who reads.
        return self.has_change_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def perform_add(self, request, data):
        result = services.sign_up(
            activity=data["activity"], resident=data["resident"], by=request.user
        )
        signup = result.signup
        names = {"name": signup.resident.name, "title": signup.activity.title}
        if not result.created:
            self.message_user(
                request,
                gettext("%(name)s 已报名“%(title)s”（%(status)s），未重复报名。")
                % {**names, "status": signup.get_status_display()},
                messages.WARNING,
            )
        elif signup.status == SignUp.Status.CONFIRMED:
            self.message_user(
                request,
                gettext("已为 %(name)s 报名“%(title)s”：已报名。") % names,
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                gettext("“%(title)s”名额已满，%(name)s 已进入候补：候补第%(position)d位。")
                % {**names, "position": services.waitlist_position(signup)},
                messages.WARNING,
            )
        return signup, result.created

    def add_success_url(self, request, obj):
        changelist = reverse("admin:activities_signup_changelist")
        return f"{changelist}?activity__id__exact={obj.activity_id}"

    @admin.display(description=_("手机号码"), ordering="resident__phone")
    def resident_phone(self, signup):
        return signup.resident.phone

    @admin.display(description=_("候补顺位"), ordering="waitlist_position")
    def queue_position(self, signup):
        return signup.waitlist_position or ""

    @admin.action(description=_("取消所选报名"), permissions=("change",))
    def cancel_signups(self, request, queryset):
        report_each(
            request,
            self,
            queryset.active(),
            lambda signup: services.cancel(signup=signup, by=request.user),
            gettext("已取消 %(count)d 条报名。"),
        )

    @admin.action(description=_("签到"), permissions=("change",))
    def check_in_signups(self, request, queryset):
        report_each(
            request,
            self,
            queryset.filter(attended=False),
            lambda signup: services.check_in(
                activity=signup.activity_id, code=signup.check_in_code, by=request.user
            ),
            gettext("已为 %(count)d 位居民签到。"),
        )

    @admin.action(description=_("撤销签到"), permissions=("change",))
    def undo_check_ins(self, request, queryset):
        report_each(
            request,
            self,
            queryset.filter(attended=True),
            lambda signup: services.undo_check_in(signup=signup, by=request.user),
            gettext("已撤销 %(count)d 位居民的签到。"),
        )


class CalledFilter(admin.SimpleListFilter):
    title = _("是否已通知")
    parameter_name = "called"

    def lookups(self, request, model_admin):
        return (("no", _("待通知")), ("yes", _("已通知")))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.to_call()
        if self.value() == "yes":
            return queryset.filter(called_at__isnull=False)
        return queryset


@admin.register(CallListEntry)
class CallListEntryAdmin(CommunityScopedAdmin, GuardedHistoryAdmin):
    """电话通知名单: residents without a login or an e-mail address whom staff must phone
    (promoted from the waiting list, their activity moved or cancelled). Entries are written
    by `activities.services`; staff only tick "called" (who and when are recorded). The
    printable page (`call-list/`, `?activity=<id>` for one activity) is what staff phone from."""

    list_display = (
        "resident",
        "resident_phone",
        "resident_address",
        "activity",
        "reason",
        "detail",
        "created_at",
        "called_at",
        "called_by",
    )
    list_filter = (CalledFilter, "reason")
    # Those still to call first, the newest on top.
    ordering = (F("called_at").desc(nulls_first=True), "-created_at", "-pk")
    search_fields = ("resident__name", "resident__phone", "activity__title")
    autocomplete_fields = ("activity", "resident")
    list_select_related = ("resident__household__building", "activity", "called_by")
    date_hierarchy = "created_at"
    actions = ("mark_called", "mark_not_called")
    fields = (
        "activity",
        "resident",
        "signup",
        "reason",
        "detail",
        "created_at",
        "called_at",
        "called_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        call_list = path(
            "call-list/",
            self.admin_site.admin_view(self.call_list_view),
            name="activities_calllistentry_call_list",
        )
        return [call_list, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "call_list_url": reverse("admin:activities_calllistentry_call_list"),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("手机号码"), ordering="resident__phone")
    def resident_phone(self, entry):
        return entry.resident.phone

    @admin.display(description=_("住址"))
    def resident_address(self, entry):
        household = entry.resident.household
        return str(household) if household is not None else ""

    @admin.action(description=_("标记为已通知"), permissions=("change",))
    def mark_called(self, request, queryset):
        report_call(request, self, queryset.to_call(), called=True)

    @admin.action(description=_("改回未通知"), permissions=("change",))
    def mark_not_called(self, request, queryset):
        report_call(request, self, queryset.filter(called_at__isnull=False), called=False)

    def call_list_view(self, request):
        """The call list to phone from, printable on A4: every entry still to call (of one
        activity with `?activity=<id>`), then the ones called in the last week."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        may_change = self.has_change_permission(request)
        activity = None
        activity_id = _parse_id(request.GET.get("activity"))
        if activity_id is not None:
            activity = scoped(Activity.objects.all(), request.user).filter(pk=activity_id).first()
            if activity is None:
                raise Http404(gettext("找不到该活动。"))
        if request.method == "POST":
            if not may_change:
                raise PermissionDenied
            entry_id = _parse_id(request.POST.get("entry"))
            try:
                in_scope = scoped(CallListEntry.objects.all(), request.user)
                if entry_id is None or not in_scope.filter(pk=entry_id).exists():
                    raise ValidationError(gettext("找不到该通知记录。"))
                entry = services.mark_called(
                    entry=entry_id, by=request.user, called=request.POST.get("called") != "0"
                )
            except ValidationError as error:
                self.message_user(request, "；".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    (
                        gettext("已记录：已通知 %(name)s。")
                        if entry.is_called
                        else gettext("已改回未通知：%(name)s。")
                    )
                    % {"name": entry.resident.name},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(request.get_full_path())
        entries = scoped(CallListEntry.objects.all(), request.user).select_related(
            "resident__household__building", "activity", "called_by"
        )
        if activity is not None:
            entries = entries.filter(activity=activity)
        week_ago = timezone.now() - dt.timedelta(days=7)
        to_call = list(entries.to_call().order_by("activity__starts_at", "created_at", "pk"))
        called = list(
            entries.filter(called_at__gte=week_ago).order_by("-called_at", "-pk")[:CALLED_SHOWN]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("电话通知名单"),
            "subtitle": activity.title if activity else "",
            "opts": self.opts,
            "activity": activity,
            "to_call": to_call,
            "called": called,
            "may_change": may_change,
            "printed_at": timezone.now(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/activities/calllistentry/call_list.html", context)


#: Entries already called shown under the call list (the admin list has all of them).
CALLED_SHOWN = 50


def report_call(request, model_admin, entries, *, called):
    done = 0
    for entry in entries:
        services.mark_called(entry=entry, by=request.user, called=called)
        done += 1
    model_admin.message_user(
        request,
        (
            gettext("已标记 %(count)d 位居民为已通知。")
            if called
            else gettext("已改回 %(count)d 条为未通知。")
        )
        % {"count": done},
        messages.SUCCESS,
    )


class MilestoneInline(CommunityScopedInline, admin.TabularInline):
    model = Milestone
    fields = ("title", "due_on", "done_on")
    extra = 1


class NeedOfProjectInline(CommunityScopedInline, ReadOnlyInline):
    model = Need
    fields = ("title", "status", "urgency", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("对应的居民需求")


@admin.register(ServiceProject)
class ServiceProjectAdmin(CommunityScopedAdmin, ServiceRefusalMixin, GuardedHistoryAdmin):
    """Projects answering residents' needs. Marking one done goes through
    `services.complete_project` (milestones done, or a reason to override), which resolves
    its needs in the same transaction and tells their residents."""

    form = ServiceProjectAdminForm
    actions = ("mark_done",)
    list_display = (
        "title",
        "partner",
        "complex",
        "status",
        "progress_bar",
        "milestones_done",
        "building_names",
        "need_count",
        "starts_on",
        "due_on",
    )
    list_filter = ("status", "category", "complex", "partner")
    search_fields = ("title", "description", "partner__name")
    autocomplete_fields = ("partner", "complex", "buildings")
    list_select_related = ("partner", "complex")
    date_hierarchy = "starts_on"
    inlines = (MilestoneInline, NeedOfProjectInline)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "buildings":
            # A building's name includes its complex's.
            kwargs["queryset"] = Building.objects.select_related("complex")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                milestone_total=Count("milestones", distinct=True),
                milestone_done=Count(
                    "milestones", filter=Q(milestones__done_on__isnull=False), distinct=True
                ),
                need_total=Count("needs", distinct=True),
            )
            .prefetch_related("buildings")
        )

    @admin.display(description=_("进度"), ordering="progress")
    def progress_bar(self, project):
        return format_html(
            '<progress value="{}" max="100">{}%</progress> {}%',
            project.progress,
            project.progress,
            project.progress,
        )

    @admin.display(description=_("完成节点"), ordering="milestone_done")
    def milestones_done(self, project):
        return f"{project.milestone_done}/{project.milestone_total}"

    @admin.display(description=_("涉及楼栋"))
    def building_names(self, project):
        return "、".join(b.number for b in project.buildings.all())

    @admin.display(description=_("对应需求"), ordering="need_total")
    def need_count(self, project):
        return project.need_total

    def save_model(self, request, obj, form, change):
        stored_status = (
            ServiceProject.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if change
            else None
        )
        if obj.status != ServiceProject.Status.DONE or stored_status == ServiceProject.Status.DONE:
            super().save_model(request, obj, form, change)
            return
        if not change:
            # A project recorded as already done: saved first, then completed.
            obj.status = ServiceProject.Status.PLANNED
            super().save_model(request, obj, form, change)
        try:
            services.complete_project(
                project=obj, override_reason=obj.completion_note, by=request.user
            )
        except ValidationError as error:
            raise ServiceRefused(error) from error

    @admin.action(description=_("标记为已完成（同时解决对应需求）"), permissions=("change",))
    def mark_done(self, request, queryset):
        done, refused = 0, []
        for project in queryset.exclude(status=ServiceProject.Status.DONE):
            try:
                services.complete_project(project=project.pk, by=request.user)
            except ValidationError as error:
                refused.append(f"{project.title}：{'；'.join(error.messages)}")
            else:
                done += 1
        self.message_user(
            request, gettext("已完成 %(count)d 个项目。") % {"count": done}, messages.SUCCESS
        )
        for line in refused:
            self.message_user(request, line, messages.ERROR)


@admin.register(Milestone)
class MilestoneAdmin(CommunityScopedAdmin, admin.ModelAdmin):
    list_display = ("title", "project", "due_on", "done_on", "is_done")
    list_filter = (
        ("done_on", admin.EmptyFieldListFilter),
        ("project__status", titled_filter(_("项目状态"))),
    )
    search_fields = ("title", "project__title")
    autocomplete_fields = ("project",)
    list_select_related = ("project",)
    date_hierarchy = "due_on"

    @admin.display(description=_("已完成"), boolean=True, ordering="done_on")
    def is_done(self, milestone):
        return milestone.is_done


URGENCY_FIRST = Case(
    When(urgency=Need.Urgency.URGENT, then=Value(0)),
    When(urgency=Need.Urgency.NORMAL, then=Value(1)),
    default=Value(2),
)


class NeedStatusFilter(DefaultChoiceFilter):
    """A need's status; the list opens on those nobody has looked at yet (待处理)."""

    title = _("状态")
    parameter_name = "status"
    default = Need.Status.NEW.value
    #: Untriaged for longer than this many days: late (on the index's today's work).
    LATE_AFTER_DAYS = 7

    def lookups(self, request, model_admin):
        return (
            (Need.Status.NEW.value, _("待处理")),
            ("late", _("待处理超过7天")),
            *[(value, label) for value, label in Need.Status.choices if value != Need.Status.NEW],
            ("all", _("全部")),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value == "late":
            return queryset.untriaged(for_days=self.LATE_AFTER_DAYS)
        if value in Need.Status.values:
            return queryset.filter(status=value)
        return queryset


@admin.register(Need)
class NeedAdmin(CommunityScopedAdmin, ServiceRefusalMixin, GuardedHistoryAdmin):
    """Residents' needs to triage: the newest urgent ones first. Status, project and reply
    are written through `services.triage_need`, from the form and from the actions."""

    form = NeedAdminForm
    list_display = (
        "title",
        "urgency",
        "status",
        "category",
        "complex",
        "resident",
        "project",
        "created_at",
    )
    list_filter = (NeedStatusFilter, "urgency", "category", "complex", "is_invalid")
    search_fields = ("title", "description", "location", "resident__name", "resident__phone")
    autocomplete_fields = ("resident", "complex", "project")
    list_select_related = ("resident", "complex", "project")
    date_hierarchy = "created_at"
    ordering = (URGENCY_FIRST.asc(), "-created_at")
    readonly_fields = ("created_at", "updated_at", "resolved_at")
    actions = ("accept", "resolve", "decline")
    fieldsets = (
        (None, {"fields": ("title", "description", "location", "category", "urgency")}),
        (_("提出人"), {"fields": ("resident", "complex")}),
        (_("处理"), {"fields": ("status", "project", "staff_reply", "is_invalid")}),
        (_("时间"), {"fields": ("created_at", "updated_at", "resolved_at")}),
    )

    def save_model(self, request, obj, form, change):
        """Through `services.triage_need`, which sets or clears `resolved_at`."""
        try:
            services.triage_need(
                need=obj,
                status=obj.status,
                staff_reply=obj.staff_reply,
                project=obj.project,
                by=request.user,
            )
        except ValidationError as error:
            raise ServiceRefused(error) from error

    def _set_status(self, request, queryset, status):
        changed, refused = 0, []
        for need in queryset.exclude(status=status):
            try:
                services.triage_need(need=need.pk, status=status, by=request.user)
            except ValidationError as error:
                refused.append(f"{need.title}：{'；'.join(error.messages)}")
            else:
                changed += 1
        self.message_user(
            request,
            gettext("已将 %(count)d 条需求标记为“%(status)s”。")
            % {"count": changed, "status": Need.Status(status).label},
        )
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    def _action_form(self, request, queryset, form_class, action, title):
        """An action's intermediate page: a form applied to every selected need."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            return form
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/activities/need/action_form.html", context)

    def _each(self, request, queryset, act, done_message):
        done, refused = 0, []
        for need in queryset:
            try:
                act(need)
            except ValidationError as error:
                refused.append(f"{need.title}：{'；'.join(error.messages)}")
            else:
                done += 1
        self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("受理所选需求（可纳入项目）"), permissions=("change",))
    def accept(self, request, queryset):
        form = self._action_form(request, queryset, AcceptNeedsForm, "accept", gettext("受理需求"))
        if isinstance(form, TemplateResponse):
            return form
        data = form.cleaned_data
        # A new project is created once, for all the selected needs.
        project = data["project"]
        title = (data["new_project_title"] or "").strip()
        state = {"project": project, "title": title}

        def act(need):
            accepted = services.accept_need(
                need=need.pk,
                project=state["project"],
                new_project_title=state["title"],
                staff_reply=data["staff_reply"] or None,
                by=request.user,
            )
            if state["title"]:
                state["project"], state["title"] = accepted.project, ""

        self._each(
            request,
            queryset.exclude(status__in=[Need.Status.IN_PROJECT, Need.Status.RESOLVED]),
            act,
            gettext("已受理 %(count)d 条需求。"),
        )
        return None

    @admin.action(description=_("标记为已解决"), permissions=("change",))
    def resolve(self, request, queryset):
        self._set_status(request, queryset, Need.Status.RESOLVED)

    @admin.action(description=_("暂不受理所选需求（需写明原因）"), permissions=("change",))
    def decline(self, request, queryset):
        form = self._action_form(
            request, queryset, DeclineNeedsForm, "decline", gettext("暂不受理需求")
        )
        if isinstance(form, TemplateResponse):
            return form
        reply = form.cleaned_data["staff_reply"]
        self._each(
            request,
            queryset.exclude(status=Need.Status.DECLINED),
            lambda need: services.triage_need(
                need=need.pk, status=Need.Status.DECLINED, staff_reply=reply, by=request.user
            ),
            gettext("已将 %(count)d 条需求标记为“暂不受理”。"),
        )
        return None


@admin.register(Feedback)
class FeedbackAdmin(CommunityScopedAdmin, ServiceAddMixin, admin.ModelAdmin):
    """Attendees' ratings. Publishing goes through `services.publish_feedback`, which refuses
    a comment whose author did not agree to its publication."""

    list_display = (
        "activity",
        "resident",
        "rating",
        "short_comment",
        "may_publish",
        "is_published",
        "created_at",
    )
    list_filter = (
        "rating",
        "may_publish",
        "is_published",
        ("signup__activity__category", titled_filter(_("活动类别"))),
    )
    search_fields = ("comment", "signup__resident__name", "signup__activity__title")
    autocomplete_fields = ("signup",)
    list_select_related = ("signup__activity", "signup__resident")
    date_hierarchy = "created_at"
    fields = ("signup", "rating", "comment", "may_publish", "is_published", "created_at")
    readonly_fields = ("signup", "may_publish", "is_published", "created_at")
    add_form_fields = ("signup", "rating", "comment", "may_publish")
    actions = ("publish", "withdraw")

    def get_queryset(self, request):
        # Joined for the autocomplete too (a rating's name includes its activity).
        return super().get_queryset(request).select_related(*self.list_select_related)

    def save_model(self, request, obj, form, change):
        services.save_feedback(feedback=obj)

    def delete_model(self, request, obj):
        services.delete_feedback(feedback_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        services.delete_feedback(feedback_ids=list(queryset.values_list("pk", flat=True)))

    def perform_add(self, request, data):
        existed = Feedback.objects.filter(signup=data["signup"]).exists()
        feedback = services.leave_feedback(
            signup=data["signup"],
            rating=data["rating"],
            comment=data["comment"],
            may_publish=data["may_publish"],
        )
        self.message_user(request, gettext("已记录该居民的评价。"), messages.SUCCESS)
        return feedback, not existed

    @admin.display(description=_("活动"), ordering="signup__activity__title")
    def activity(self, feedback):
        return feedback.signup.activity

    @admin.display(description=_("居民"), ordering="signup__resident__name")
    def resident(self, feedback):
        return feedback.signup.resident

    @admin.display(description=_("评价"))
    def short_comment(self, feedback):
        comment = feedback.comment
        return comment if len(comment) <= 40 else f"{comment[:40]}…"

    @admin.action(description=_("公开所选评价"), permissions=("change",))
    def publish(self, request, queryset):
        self._publish(request, queryset, publish=True)

    @admin.action(description=_("撤回公开"), permissions=("change",))
    def withdraw(self, request, queryset):
        self._publish(request, queryset, publish=False)

    def _publish(self, request, queryset, *, publish):
        done = 0
        for feedback in queryset:
            try:
                services.publish_feedback(feedback=feedback, publish=publish)
            except ValidationError as error:
                self.message_user(
                    request,
                    f"{feedback.signup.resident} · {feedback.signup.activity}："
                    f"{'；'.join(error.messages)}",
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            message = (
                gettext("已公开 %(count)d 条评价。")
                if publish
                else gettext("已撤回 %(count)d 条评价。")
            )
            self.message_user(request, message % {"count": done}, messages.SUCCESS)


# --- partners' commitments (资源清单), measured with the activities held ----------------------
# partners/ cannot read activities (the layers); the partner's page and the commitment list
# are completed here, with the activities' own rule for "held".


class PartnerWithDeliveryAdmin(partners_admin.PartnerAdmin):
    """The partner's page, with each commitment's promised vs delivered per agreement term
    (`selectors.commitment_delivery`)."""

    change_form_template = "admin/partners/partner/change_form_delivery.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        partner = self.get_object(request, unquote(object_id)) if object_id else None
        extra_context = {**(extra_context or {})}
        if partner is not None:
            extra_context["delivery"] = selectors.commitment_delivery(partner=partner)
        return super().change_view(request, object_id, form_url, extra_context)


class CommitmentWithDeliveryAdmin(partners_admin.ResourceCommitmentAdmin):
    """ "已兑现活动" counts only the activities held (not the planned or cancelled ones)."""

    def get_queryset(self, request):
        now = timezone.now()
        held = ActivityQuerySet.held_q(
            dt.datetime(1970, 1, 1, tzinfo=dt.UTC), now + dt.timedelta(days=1), now, "activities__"
        )
        return (
            super(partners_admin.ResourceCommitmentAdmin, self)
            .get_queryset(request)
            .annotate(activity_total=Count("activities", filter=held))
        )


for _model, _admin_class in (
    (Partner, PartnerWithDeliveryAdmin),
    (ResourceCommitment, CommitmentWithDeliveryAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
