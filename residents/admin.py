"""Back office for where residents live: communities, complexes, buildings, households and
residents (with Excel import and export of households and residents)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.cache import never_cache
from import_export.admin import ImportExportModelAdmin

from core.admin import ReadOnlyInline, SelectRelatedListFilter, StaffImportExportMixin
from core.http import id_param
from core.masking import mask_phone
from core.qr import qr_svg

from .admin_scope import CommunityScopedAdmin, CommunityScopedInline
from .forms_admin import ResidentAdminForm
from .models import Building, Community, Complex, Household, Resident, StaffScope, Subdistrict
from .resources import HouseholdResource, ResidentResource
from .scoping import own_community_id, scoped
from .services import (
    anonymise_resident,
    change_phone,
    delete_resident,
    issue_activation_code,
    reset_login,
)

DELETED = _("（已删除个人数据）")


class BuildingListFilter(SelectRelatedListFilter):
    """Filter by building, named with its complex, in one query."""

    select_related = ("complex",)


@admin.register(Subdistrict)
class SubdistrictAdmin(CommunityScopedAdmin, admin.ModelAdmin):
    """The subdistrict office(s) of the installation; only the subdistrict's own staff hold
    its permissions (see `activities/migrations/0016_subdistrict_roles.py`)."""

    list_display = ("name", "city", "phone", "address", "community_count")
    list_filter = ("city",)
    search_fields = ("name", "city")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(community_total=Count("communities"))

    @admin.display(description=_("社区数"), ordering="community_total")
    def community_count(self, subdistrict):
        return subdistrict.community_total


@admin.register(StaffScope)
class StaffScopeAdmin(admin.ModelAdmin):
    """Where each back-office user works (one community, or the subdistrict). Only
    superusers place users: no role holds these permissions."""

    list_display = ("user", "community", "subdistrict")
    list_filter = ("community", "subdistrict")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user", "community", "subdistrict")
    list_select_related = ("user", "community", "subdistrict")


@admin.register(Community)
class CommunityAdmin(CommunityScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "subdistrict", "city", "party_secretary", "phone", "complex_count")
    list_filter = ("city", "subdistrict")
    search_fields = ("name", "subdistrict__name", "party_secretary")
    autocomplete_fields = ("subdistrict",)
    list_select_related = ("subdistrict",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(complex_total=Count("complexes"))

    @admin.display(description=_("小区数"), ordering="complex_total")
    def complex_count(self, community):
        return community.complex_total


class BuildingInline(CommunityScopedInline, admin.TabularInline):
    model = Building
    fields = ("number", "unit_count", "household_count")
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        # A building's name includes its complex's.
        return super().get_queryset(request).select_related("complex")


@admin.register(Complex)
class ComplexAdmin(CommunityScopedAdmin, admin.ModelAdmin):
    list_display = (
        "name",
        "community",
        "built_year",
        "household_count",
        "resident_count",
        "party_member_count",
        "building_count",
        "service_site_name",
    )
    list_filter = ("community",)
    search_fields = ("name", "community__name", "service_site_name")
    autocomplete_fields = ("community",)
    list_select_related = ("community",)
    inlines = (BuildingInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(building_total=Count("buildings"))

    @admin.display(description=_("已登记楼栋"), ordering="building_total")
    def building_count(self, complex_):
        return complex_.building_total


@admin.register(Building)
class BuildingAdmin(CommunityScopedAdmin, admin.ModelAdmin):
    list_display = (
        "number",
        "complex",
        "unit_count",
        "household_count",
        "registered_households",
    )
    list_filter = ("complex",)
    search_fields = ("number", "complex__name")
    autocomplete_fields = ("complex",)
    list_select_related = ("complex",)

    def get_queryset(self, request):
        # Joined for the autocomplete too: a building's name includes its complex.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(registered_total=Count("households"))
        )

    @admin.display(description=_("已登记户数"), ordering="registered_total")
    def registered_households(self, building):
        return building.registered_total


class MemberInline(CommunityScopedInline, ReadOnlyInline):
    """The people of a household; each is changed on their own page."""

    model = Resident
    fk_name = "household"
    fields = ("member_name", "member_phone", "birth_year", "is_party_member", "is_verified")
    readonly_fields = fields
    verbose_name = _("成员")
    verbose_name_plural = _("家庭成员")

    @admin.display(description=_("姓名"))
    def member_name(self, resident):
        return DELETED if resident.is_anonymised else resident.name

    @admin.display(description=_("手机号码"))
    def member_phone(self, resident):
        return "" if resident.is_anonymised else resident.phone


@admin.register(Household)
class HouseholdAdmin(CommunityScopedAdmin, StaffImportExportMixin, ImportExportModelAdmin):
    resource_classes = [HouseholdResource]
    list_display = ("__str__", "building", "size", "member_count", "created_at")
    list_filter = (("building", BuildingListFilter), "building__complex")
    search_fields = ("room", "building__number", "note", "members__name", "members__phone")
    autocomplete_fields = ("building",)
    list_select_related = ("building__complex",)
    date_hierarchy = "created_at"
    inlines = (MemberInline,)

    def get_queryset(self, request):
        # Joined for the autocomplete too: a household's name includes its building.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(member_total=Count("members"))
        )

    @admin.display(description=_("已登记成员"), ordering="member_total")
    def member_count(self, household):
        return household.member_total


class _PhoneChangeRefused(Exception):
    """`change_phone` refused while the change form was being saved: the whole save is
    rolled back and the refusal shown."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


class DataStatusFilter(admin.SimpleListFilter):
    title = _("资料状态")
    parameter_name = "data"

    def lookups(self, request, model_admin):
        return (("active", _("在册")), ("anonymised", _("已删除个人数据")))

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(anonymised_at__isnull=True)
        if self.value() == "anonymised":
            return queryset.filter(anonymised_at__isnull=False)
        return queryset


@admin.register(Resident)
class ResidentAdmin(CommunityScopedAdmin, StaffImportExportMixin, ImportExportModelAdmin):
    """Residents, searchable by phone number and name.

    A resident with sign-ups cannot be deleted (the sign-ups protect them); a resident who
    deleted their data is shown without it and cannot be changed.
    """

    resource_classes = [ResidentResource]
    form = ResidentAdminForm
    list_display = (
        "display_name",
        "display_phone",
        "household",
        "birth_year",
        "is_party_member",
        "is_verified",
        "has_login",
        "created_at",
    )
    list_filter = (
        "is_party_member",
        "is_verified",
        ("household__building", BuildingListFilter),
        DataStatusFilter,
    )
    search_fields = ("name", "phone")
    autocomplete_fields = ("household",)
    list_select_related = ("household__building",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "user",
        "consent_version",
        "consent_at",
        "created_at",
        "anonymised_at",
        "activation_codes",
    )
    fieldsets = (
        (
            None,
            {"fields": ("name", "phone", "email", "household", "registered_in", "birth_year")},
        ),
        (
            _("身份"),
            {
                "fields": (
                    "is_party_member",
                    "party_member_confirmed",
                    "birth_year_confirmed",
                    "is_verified",
                )
            },
        ),
        (
            _("账号与授权"),
            {
                "fields": (
                    "user",
                    "activation_codes",
                    "consent_version",
                    "consent_at",
                    "created_at",
                    "anonymised_at",
                )
            },
        ),
    )
    anonymised_fieldsets = ((None, {"fields": ("household", "created_at", "anonymised_at")}),)
    actions = ("anonymise", "reset_password", "print_activation_codes")

    @admin.display(description=_("打印过的激活码"))
    def activation_codes(self, resident):
        """When codes were printed, by whom, until when, and whether used or superseded
        (never a code itself)."""
        codes = resident.activation_codes.select_related("created_by")[:10] if resident.pk else []
        if not codes:
            return gettext("无")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}：{} {}，{} {}</li>",
                (
                    (
                        code.state,
                        date_format(timezone.localtime(code.created_at), "Y-m-d H:i"),
                        code.created_by or "",
                        gettext("有效期至"),
                        date_format(timezone.localtime(code.expires_at), "Y-m-d H:i"),
                    )
                    for code in codes
                ),
            ),
        )

    def get_urls(self):
        slip = path(
            "<path:object_id>/activation-code/",
            self.admin_site.admin_view(self.activation_code_view),
            name="residents_resident_activation_code",
        )
        return [slip, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "activation_code_url": (
                reverse("admin:residents_resident_activation_code", args=[object_id])
                if self.has_change_permission(request)
                else None
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(never_cache)
    def activation_code_view(self, request, object_id):
        """GET asks first (a new code voids the slip printed before); POST makes the code
        and shows the printable slip."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        resident = get_object_or_404(
            scoped(Resident.objects.select_related("household__building"), request.user),
            pk=id_param(str(object_id)),
        )
        queryset = Resident.objects.filter(pk=resident.pk)
        if request.method == "POST" and request.POST.get("post") == "yes":
            return self._slips(request, queryset)
        return self._confirm(
            request,
            queryset,
            action="print_activation_codes",
            title=gettext("打印激活码"),
        )

    @admin.action(description=_("打印激活码"), permissions=("change",))
    def print_activation_codes(self, request, queryset):
        """After a confirmation page: a new code for each resident (staff registered, no
        login yet), on printable slips. Earlier codes stop working."""
        queryset = queryset.filter(anonymised_at__isnull=True).select_related("household__building")
        if request.POST.get("post") != "yes":
            return self._confirm(
                request, queryset, action="print_activation_codes", title=gettext("打印激活码")
            )
        return self._slips(request, queryset)

    def _slips(self, request, queryset):
        slips = []
        for resident in queryset:
            try:
                code, clear = issue_activation_code(resident=resident, issued_by=request.user)
            except ValidationError as error:
                self.message_user(request, "；".join(error.messages), messages.ERROR)
                continue
            self.log_change(
                request,
                resident,
                gettext("打印了激活码（有效期至 %(date)s）")
                % {"date": date_format(timezone.localtime(code.expires_at), "Y-m-d H:i")},
            )
            slips.append(
                {
                    "resident": resident,
                    "masked_phone": mask_phone(resident.phone),
                    "code": f"{clear[:5]} {clear[5:]}",
                    "expires_at": code.expires_at,
                }
            )
        if not slips:
            return HttpResponseRedirect(reverse("admin:residents_resident_changelist"))
        url = request.build_absolute_uri(reverse("residents:activate"))
        response = TemplateResponse(
            request,
            "admin/residents/resident/activation_slips.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "slips": slips,
                "activate_url": url,
                "qr": qr_svg(url, title=gettext("激活账号")),
            },
        )
        return response

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.is_anonymised:
            return self.anonymised_fieldsets
        return super().get_fieldsets(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_anonymised:
            return False
        return super().has_change_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _PhoneChangeRefused as refused:
            # The form checked the number, but someone took it in the meantime.
            self.message_user(request, "；".join(refused.error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        """A changed phone number goes through `change_phone`, which changes the login
        name (the phone number) too. A resident without an address is the community's that
        registers them (the user's own, when they work in one)."""
        if obj.household_id is None and obj.registered_in_id is None:
            obj.registered_in_id = own_community_id(request.user)
        if not change or "phone" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        new_phone = obj.phone
        obj.phone = form.initial.get("phone") or ""
        super().save_model(request, obj, form, change)
        try:
            change_phone(resident=obj, phone=new_phone)
        except ValidationError as error:
            raise _PhoneChangeRefused(error) from error
        obj.phone = new_phone

    def delete_model(self, request, obj):
        """Through `delete_resident`, which deletes the resident's login too."""
        delete_resident(resident=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for resident in queryset:
                delete_resident(resident=resident)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path.endswith("/autocomplete/"):
            # Residents who deleted their data cannot be signed up or linked any more.
            queryset = queryset.filter(anonymised_at__isnull=True)
        return queryset, may_have_duplicates

    @admin.display(description=_("姓名"), ordering="name")
    def display_name(self, resident):
        return DELETED if resident.is_anonymised else resident.name

    @admin.display(description=_("手机号码"), ordering="phone")
    def display_phone(self, resident):
        return "" if resident.is_anonymised else resident.phone

    @admin.display(description=_("有登录账号"), boolean=True, ordering="user")
    def has_login(self, resident):
        return resident.user_id is not None

    def _confirm(self, request, queryset, *, action: str, title: str):
        """The confirmation page of a bulk action (templates/admin/residents/resident/)."""
        template = {
            "anonymise": "anonymise_confirmation.html",
            "reset_password": "reset_login_confirmation.html",
            "print_activation_codes": "activation_code_confirmation.html",
        }[action]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": action,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, f"admin/residents/resident/{template}", context)

    @admin.action(description=_("删除个人数据（匿名化）"), permissions=("change",))
    def anonymise(self, request, queryset):
        """Through `residents.services.anonymise_resident`, after a confirmation page."""
        queryset = queryset.filter(anonymised_at__isnull=True)
        if request.POST.get("post") != "yes":
            return self._confirm(
                request, queryset, action="anonymise", title=gettext("删除个人数据")
            )
        done = 0
        for resident in queryset:
            try:
                anonymise_resident(resident=resident)
            except ValidationError as error:
                self.message_user(
                    request, f"{resident.name}：{'；'.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        self.message_user(
            request,
            gettext("已删除 %(count)d 位居民的个人数据。") % {"count": done},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("重置登录密码"), permissions=("change",))
    def reset_password(self, request, queryset):
        """Through `residents.services.reset_login`, after a confirmation page: the login is
        deleted and the resident activates their account again with a new password."""
        queryset = queryset.filter(anonymised_at__isnull=True, user__isnull=False).select_related(
            "household__building"
        )
        if not queryset.exists():
            self.message_user(
                request, gettext("所选居民都没有登录账号，无需重置。"), messages.WARNING
            )
            return None
        if request.POST.get("post") != "yes":
            return self._confirm(
                request, queryset, action="reset_password", title=gettext("重置登录密码")
            )
        names = []
        for resident in queryset:
            try:
                reset_login(resident=resident)
            except ValidationError as error:
                self.message_user(
                    request, f"{resident.name}：{'；'.join(error.messages)}", messages.ERROR
                )
            else:
                names.append(resident.name)
        if names:
            self.message_user(
                request,
                gettext(
                    "已重置 %(names)s 的登录密码（原登录账号已删除，报名记录不变）。"
                    "请告诉居民：打开“注册”页面（%(url)s），输入手机号码和收到的短信验证码，"
                    "再设置新密码；收不到短信的，请为居民打印激活码。"
                )
                % {"names": "、".join(names), "url": reverse("residents:register")},
                messages.SUCCESS,
            )
        return None
