"""Back office for partner organisations, their agreements and commitments, and the leads
residents offer in answer to the recruitment call (招募令).

A lead's stage is written through `partners.services.move_lead`; a partner is deleted
through `partners.services.delete_partner`, which refuses one the past months' figures need
(see templates/admin/partners/partner/ for what the page says to do instead).
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy as _
from import_export.admin import ImportExportMixin

from core.admin import (
    GuardedHistoryAdmin,
    ServiceRefusalMixin,
    ServiceRefused,
    StaffImportExportMixin,
    titled_filter,
)
from core.forms import add_service_error
from residents.admin_scope import CommunityScopedAdmin, CommunityScopedInline

from . import services
from .models import (
    CLOSED_LEAD_STAGES,
    Agreement,
    AgreementState,
    AgreementStatus,
    Lead,
    LeadNote,
    Partner,
    ResourceCommitment,
)
from .resources import PartnerResource


# Shared with activities.admin; they belong in core.admin (being changed elsewhere now).
class AgreementInline(CommunityScopedInline, admin.TabularInline):
    model = Agreement
    fields = (
        "title",
        "complex",
        "status",
        "signed_on",
        "starts_on",
        "ends_on",
        "state_display",
        "document",
    )
    readonly_fields = ("state_display",)
    autocomplete_fields = ("complex",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).with_state()

    @admin.display(description=_("当前状态"))
    def state_display(self, agreement):
        return agreement.get_state_display() if agreement.pk else ""


class ResourceCommitmentInline(CommunityScopedInline, admin.TabularInline):
    model = ResourceCommitment
    fields = ("title", "agreement", "frequency", "promise", "times", "is_active")
    autocomplete_fields = ("agreement",)
    extra = 0
    show_change_link = True


@admin.register(Partner)
class PartnerAdmin(
    CommunityScopedAdmin, StaffImportExportMixin, ImportExportMixin, GuardedHistoryAdmin
):
    """Partners; exported to Excel with their agreements and commitments, imported from
    the template (`partners.resources.PartnerResource`)."""

    resource_classes = [PartnerResource]
    # A website typed without a scheme is taken as https:// (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "name",
        "short_name",
        "category",
        "contact_name",
        "contact_phone",
        "is_active",
        "joined_on",
        "agreement_count",
        "commitment_count",
    )
    list_filter = ("category", "is_active")
    search_fields = ("name", "short_name", "contact_name")
    date_hierarchy = "joined_on"
    inlines = (AgreementInline, ResourceCommitmentInline)
    actions = ("mark_inactive", "mark_active")
    fieldsets = (
        (None, {"fields": ("name", "short_name", "category", "description", "logo")}),
        (_("联系方式"), {"fields": ("contact_name", "contact_phone", "address", "website")}),
        (_("入驻"), {"fields": ("is_active", "joined_on")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                agreement_total=Count("agreements", distinct=True),
                commitment_total=Count(
                    "commitments", filter=Q(commitments__is_active=True), distinct=True
                ),
            )
        )

    def get_deleted_objects(self, objs, request):
        """Django lists what protects a partner (agreements, a lead's partner); activities
        run together with others are a many-to-many link Django would silently drop, so
        they are listed as protecting it too: the page then refuses the deletion."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for partner in objs:
            for activity in partner.activities.all():
                protected.append(
                    format_html("{}: {}", capfirst(activity._meta.verbose_name), activity)
                )
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        """Through `services.delete_partner`, which refuses a partner the figures need."""
        services.delete_partner(partner=obj)

    def delete_queryset(self, request, queryset):
        # The page refused partners the figures need; one that came to be needed since
        # (an agreement added meanwhile) stops the whole deletion.
        try:
            with transaction.atomic():
                for partner in queryset:
                    services.delete_partner(partner=partner)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description=_("协议数"), ordering="agreement_total")
    def agreement_count(self, partner):
        return partner.agreement_total

    @admin.display(description=_("有效资源承诺"), ordering="commitment_total")
    def commitment_count(self, partner):
        return partner.commitment_total

    @admin.action(description=_("标记为已撤离（不在驻）"), permissions=("change",))
    def mark_inactive(self, request, queryset):
        self._set_active(request, queryset, active=False)

    @admin.action(description=_("标记为在驻"), permissions=("change",))
    def mark_active(self, request, queryset):
        self._set_active(request, queryset, active=True)

    def _set_active(self, request, queryset, *, active):
        changed = 0
        for partner in queryset.filter(is_active=not active):
            partner.is_active = active
            partner._change_reason = gettext("后台批量操作")
            partner.save(update_fields=["is_active"])
            changed += 1
        self.message_user(
            request,
            gettext("已更新 %(count)d 个共建单位。") % {"count": changed},
        )


class CommitmentOfAgreementInline(CommunityScopedInline, admin.TabularInline):
    model = ResourceCommitment
    fk_name = "agreement"
    fields = ("title", "frequency", "promise", "times", "is_active")
    extra = 0
    show_change_link = True


class AgreementStateFilter(admin.SimpleListFilter):
    """Where agreements stand today (`AgreementQuerySet.with_state`)."""

    title = _("当前状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return AgreementState.choices

    def queryset(self, request, queryset):
        if self.value() in AgreementState.values:
            return queryset.filter(state=self.value())
        return queryset


class AgreementAdminForm(forms.ModelForm):
    """Staff draft and sign agreements here; termination and renewal have their own steps
    (buttons on the page), so the recorded status offers only draft and signed."""

    class Meta:
        model = Agreement
        fields = (
            "partner",
            "complex",
            "title",
            "number",
            "status",
            "signed_on",
            "starts_on",
            "ends_on",
            "renews",
            "document",
            "note",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        current = self.instance.status if self.instance.pk else None
        if status is not None:
            allowed = {AgreementStatus.DRAFT, AgreementStatus.ACTIVE, current}
            status.choices = [c for c in status.choices if c[0] in allowed]


class TerminateForm(forms.Form):
    terminated_on = forms.DateField(
        label=_("终止日期"),
        help_text=_("协议有效的最后一天。"),
        widget=admin.widgets.AdminDateWidget,
    )
    reason = forms.CharField(label=_("终止原因"), widget=forms.Textarea(attrs={"rows": 4}))


@admin.register(Agreement)
class AgreementAdmin(CommunityScopedAdmin, GuardedHistoryAdmin):
    """Agreements with the state they are in today (derived from the dates and what staff
    did: `AgreementQuerySet.with_state`). Renewing (a draft successor with the commitments
    copied) and terminating (asks for the date and the reason) go through
    `services.renew_agreement` / `services.terminate_agreement`."""

    form = AgreementAdminForm
    list_display = (
        "title",
        "partner",
        "complex",
        "state_display",
        "signed_on",
        "starts_on",
        "ends_on",
        "terminated_on",
    )
    list_filter = (
        AgreementStateFilter,
        "complex",
        ("partner__category", titled_filter(_("单位类别"))),
    )
    search_fields = ("title", "number", "partner__name")
    autocomplete_fields = ("partner", "complex", "renews")
    list_select_related = ("partner", "complex")
    date_hierarchy = "starts_on"
    inlines = (CommitmentOfAgreementInline,)
    readonly_fields = ("state_display", "terminated_on", "termination_reason")
    actions = ("renew_selected",)
    fieldsets = (
        (None, {"fields": ("partner", "complex", "title", "number", "renews")}),
        (
            _("签订与期限"),
            {"fields": ("status", "state_display", "signed_on", "starts_on", "ends_on")},
        ),
        (_("终止"), {"fields": ("terminated_on", "termination_reason")}),
        (None, {"fields": ("document", "note")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_state()

    def get_urls(self):
        return [
            path(
                "<path:object_id>/renew/",
                self.admin_site.admin_view(self.renew_view),
                name="partners_agreement_renew",
            ),
            path(
                "<path:object_id>/terminate/",
                self.admin_site.admin_view(self.terminate_view),
                name="partners_agreement_terminate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        agreement = self.get_object(request, unquote(object_id))
        extra_context = {**(extra_context or {})}
        if agreement is not None and self.has_change_permission(request, agreement):
            if services.renewal_refusal(agreement=agreement) is None:
                extra_context["renew_url"] = reverse(
                    "admin:partners_agreement_renew", args=[agreement.pk]
                )
            if agreement.status in (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED):
                extra_context["terminate_url"] = reverse(
                    "admin:partners_agreement_terminate", args=[agreement.pk]
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_formset(self, request, form, formset, change):
        # A commitment added under an agreement belongs to that agreement's partner.
        instances = formset.save(commit=False)
        for commitment in instances:
            commitment.partner = form.instance.partner
            commitment.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    @admin.display(description=_("当前状态"), ordering="state")
    def state_display(self, agreement):
        return agreement.get_state_display()

    def _change_page(self, agreement):
        return HttpResponseRedirect(reverse("admin:partners_agreement_change", args=[agreement.pk]))

    def renew_view(self, request, object_id):
        """POST only: renew in one step and open the draft successor."""
        agreement = self.get_object(request, unquote(object_id))
        if agreement is None:
            raise Http404
        if not self.has_change_permission(request, agreement) or not self.has_add_permission(
            request
        ):
            raise PermissionDenied
        if request.method != "POST":
            return self._change_page(agreement)
        try:
            new = services.renew_agreement(agreement=agreement, by=request.user)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
            return self._change_page(agreement)
        self.log_addition(request, new, [{"added": {}}])
        self.message_user(
            request,
            gettext("已生成续签协议草稿，资源承诺已复制；请核对日期后签订。"),
            messages.SUCCESS,
        )
        return self._change_page(new)

    def terminate_view(self, request, object_id):
        """Ask for the termination date and the reason, then terminate."""
        agreement = self.get_object(request, unquote(object_id))
        if agreement is None:
            raise Http404
        if not self.has_change_permission(request, agreement):
            raise PermissionDenied
        form = TerminateForm(request.POST or None, initial={"terminated_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                services.terminate_agreement(
                    agreement=agreement,
                    on=form.cleaned_data["terminated_on"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                self.log_change(request, agreement, gettext("终止协议"))
                self.message_user(request, gettext("协议已终止。"), messages.SUCCESS)
                return self._change_page(agreement)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("终止协议：%(title)s") % {"title": agreement.title},
            "opts": self.model._meta,
            "agreement": agreement,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/partners/agreement/terminate.html", context)

    @admin.action(description=_("续签所选协议（生成草稿并复制资源承诺）"), permissions=("add",))
    def renew_selected(self, request, queryset):
        renewed, refused = 0, []
        for agreement in queryset:
            try:
                new = services.renew_agreement(agreement=agreement.pk, by=request.user)
            except ValidationError as error:
                refused.append(f"{agreement.title}：{'；'.join(error.messages)}")
            else:
                self.log_addition(request, new, [{"added": {}}])
                renewed += 1
        self.message_user(
            request, gettext("已生成 %(count)d 份续签协议草稿。") % {"count": renewed}
        )
        for line in refused:
            self.message_user(request, line, messages.ERROR)


@admin.register(ResourceCommitment)
class ResourceCommitmentAdmin(CommunityScopedAdmin, GuardedHistoryAdmin):
    list_display = (
        "title",
        "partner",
        "agreement",
        "frequency",
        "promise_display",
        "is_active",
        "activity_count",
    )
    list_filter = ("is_active", ("partner__category", titled_filter(_("单位类别"))))
    search_fields = ("title", "partner__name", "partner__short_name")
    autocomplete_fields = ("partner", "agreement")
    list_select_related = ("partner", "agreement")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(activity_total=Count("activities"))

    @admin.display(description=_("已兑现活动"), ordering="activity_total")
    def activity_count(self, commitment):
        return commitment.activity_total

    @admin.display(description=_("承诺"), ordering="promise")
    def promise_display(self, commitment):
        return commitment.get_promise_label()


class FollowUpFilter(admin.SimpleListFilter):
    """Which open leads need following up: overdue, due today, due within a week, unplanned."""

    title = _("跟进")
    parameter_name = "follow_up"
    CLOSED = CLOSED_LEAD_STAGES

    def lookups(self, request, model_admin):
        return (
            ("due", _("今天或已逾期")),
            ("overdue", _("已逾期")),
            ("today", _("今天跟进")),
            ("week", _("七天内跟进")),
            ("unplanned", _("未安排跟进")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        open_leads = queryset.exclude(stage__in=self.CLOSED)
        match self.value():
            case "due":
                return queryset.follow_up_due(today)
            case "overdue":
                return open_leads.filter(follow_up_on__lt=today)
            case "today":
                return open_leads.filter(follow_up_on=today)
            case "week":
                return open_leads.filter(
                    follow_up_on__gte=today, follow_up_on__lte=today + dt.timedelta(days=7)
                )
            case "unplanned":
                return open_leads.filter(follow_up_on__isnull=True)
        return queryset


class LeadAdminForm(forms.ModelForm):
    """A lead as staff follow it up: the refusals of `services.move_lead` (a signed lead
    without the partner it became) are shown on the form before anything is saved."""

    class Meta:
        model = Lead
        fields = (
            "organisation",
            "offer",
            "relationship",
            "contact",
            "offered_by",
            "stage",
            "follow_up_on",
            "assigned_to",
            "partner",
            "note",
        )

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        if stage and "partner" not in self.errors:
            refusal = services.lead_move_refusal(
                lead=self.instance, stage=stage, partner=cleaned.get("partner")
            )
            if refusal is not None:
                self.add_error(
                    "partner" if refusal.code == "partner_required" else "stage", refusal
                )
        return cleaned


class LeadNoteInline(CommunityScopedInline, admin.TabularInline):
    """The lead's dated follow-up notes (who, when, what), stage changes included; a note
    once written is not changed."""

    model = LeadNote
    fields = ("written_at", "written_by", "text", "stage_from", "stage_to")
    readonly_fields = ("written_at", "written_by", "stage_from", "stage_to")
    extra = 1
    can_delete = False
    verbose_name_plural = _("跟进记录")

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("written_by")


class ConvertLeadForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("关联已有共建单位"),
        queryset=Partner.objects.order_by("name"),
        required=False,
        help_text=_("不选则按下面的名称新建共建单位。"),
    )
    partner_name = forms.CharField(label=_("新单位名称"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("单位类别"), choices=Partner.Category.choices, initial=Partner.Category.OTHER
    )
    complex = forms.ModelChoiceField(label=_("小区"), queryset=None)
    agreement_title = forms.CharField(
        label=_("协议名称"), max_length=200, required=False, help_text=_("不填则自动命名。")
    )

    def __init__(self, *args, **kwargs):
        from residents.models import Complex

        super().__init__(*args, **kwargs)
        self.fields["complex"].queryset = Complex.objects.order_by("name")


@admin.register(Lead)
class LeadAdmin(CommunityScopedAdmin, ServiceRefusalMixin, GuardedHistoryAdmin):
    """Leads by stage, with the next follow-up date; the overdue ones are flagged. The stage
    is written through `services.move_lead`, which records when a lead closes."""

    form = LeadAdminForm

    list_display = (
        "organisation",
        "stage",
        "follow_up_on",
        "follow_up_due",
        "offered_by",
        "assigned_to",
        "partner",
        "created_at",
    )
    # Only the staff who follow some lead up, not every login (residents have logins too).
    list_filter = (
        "stage",
        FollowUpFilter,
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
        "is_invalid",
    )
    search_fields = (
        "organisation",
        "offer",
        "contact",
        "offered_by__name",
        "offered_by__phone",
    )
    autocomplete_fields = ("offered_by", "partner")
    list_select_related = ("offered_by", "assigned_to", "partner")
    date_hierarchy = "created_at"
    ordering = (F("follow_up_on").asc(nulls_last=True), "-created_at")
    readonly_fields = ("created_at", "updated_at", "closed_at")
    actions = ("mark_dropped",)
    inlines = (LeadNoteInline,)
    fieldsets = (
        (None, {"fields": ("organisation", "offer", "relationship", "contact", "offered_by")}),
        (
            _("跟进"),
            {"fields": ("stage", "follow_up_on", "assigned_to", "partner", "note", "is_invalid")},
        ),
        (_("时间"), {"fields": ("created_at", "updated_at", "closed_at")}),
    )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/convert/",
                self.admin_site.admin_view(self.convert_view),
                name="partners_lead_convert",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        lead = self.get_object(request, unquote(object_id))
        extra_context = {**(extra_context or {})}
        if (
            lead is not None
            and lead.stage not in CLOSED_LEAD_STAGES
            and self.has_change_permission(request, lead)
        ):
            extra_context["convert_url"] = reverse("admin:partners_lead_convert", args=[lead.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def save_formset(self, request, form, formset, change):
        if formset.model is not LeadNote:
            return super().save_formset(request, form, formset, change)
        for note in formset.save(commit=False):
            if note.pk is None and note.text.strip():
                services.add_lead_note(lead=form.instance, text=note.text, by=request.user)
        return None

    def convert_view(self, request, object_id):
        """Convert in one step: partner (new or existing), draft agreement, lead signed."""
        lead = self.get_object(request, unquote(object_id))
        if lead is None:
            raise Http404
        if not self.has_change_permission(request, lead) or not request.user.has_perm(
            "partners.add_agreement"
        ):
            raise PermissionDenied
        form = ConvertLeadForm(request.POST or None, initial={"partner_name": lead.organisation})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                agreement = services.convert_lead(
                    lead=lead.pk,
                    complex=data["complex"],
                    partner=data["partner"],
                    partner_name=data["partner_name"],
                    category=data["category"],
                    agreement_title=data["agreement_title"],
                    by=request.user,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                self.message_user(
                    request,
                    gettext("线索已转为共建单位，并生成协议草稿；请补全协议后签订。"),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:partners_agreement_change", args=[agreement.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("转为共建单位：%(name)s") % {"name": lead.organisation},
            "opts": self.model._meta,
            "object": lead,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/partners/lead/convert.html", context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Through `services.move_lead`, which sets or clears `closed_at`."""
        try:
            services.move_lead(lead=obj, stage=obj.stage, partner=obj.partner, by=request.user)
        except ValidationError as error:
            raise ServiceRefused(error) from error

    @admin.display(description=_("跟进提醒"))
    def follow_up_due(self, lead):
        if lead.stage in FollowUpFilter.CLOSED or lead.follow_up_on is None:
            return ""
        days = (lead.follow_up_on - timezone.localdate()).days
        if days < 0:
            return gettext("逾期 %(days)d 天") % {"days": -days}
        if days == 0:
            return gettext("今天")
        return gettext("%(days)d 天后") % {"days": days}

    @admin.action(description=_("放弃所选线索"), permissions=("change",))
    def mark_dropped(self, request, queryset):
        dropped, refused = 0, []
        for lead in queryset.exclude(stage__in=FollowUpFilter.CLOSED):
            try:
                services.move_lead(lead=lead.pk, stage=Lead.Stage.DROPPED, by=request.user)
            except ValidationError as error:
                refused.append(f"{lead.organisation}：{'；'.join(error.messages)}")
            else:
                dropped += 1
        self.message_user(
            request,
            gettext("已放弃 %(count)d 条线索。") % {"count": dropped},
        )
        for line in refused:
            self.message_user(request, line, messages.ERROR)
