"""Back office for partner organisations, their agreements and commitments, and the leads
residents offer in answer to the recruitment call (招募令).

A lead's stage is written through `partners.services.move_lead`; a partner is deleted
through `partners.services.delete_partner`, which refuses one the past months' figures need
(see templates/admin/partners/partner/ for what the page says to do instead).
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Q
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _gettext, gettext_lazy as _

from core.admin import GuardedHistoryAdmin, ServiceRefusalMixin, ServiceRefused, titled_filter

from . import services
from .models import CLOSED_LEAD_STAGES, Agreement, Lead, Partner, ResourceCommitment


# Shared with activities.admin; they belong in core.admin (being changed elsewhere now).
class AgreementInline(admin.TabularInline):
    model = Agreement
    fields = ("title", "complex", "status", "signed_on", "starts_on", "ends_on", "document")
    autocomplete_fields = ("complex",)
    extra = 0
    show_change_link = True


class ResourceCommitmentInline(admin.TabularInline):
    model = ResourceCommitment
    fields = ("title", "agreement", "frequency", "times_per_month", "is_active")
    autocomplete_fields = ("agreement",)
    extra = 0
    show_change_link = True


@admin.register(Partner)
class PartnerAdmin(GuardedHistoryAdmin):
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
            partner._change_reason = _gettext("后台批量操作")
            partner.save(update_fields=["is_active"])
            changed += 1
        self.message_user(
            request,
            _gettext("已更新 %(count)d 个共建单位。") % {"count": changed},
        )


class CommitmentOfAgreementInline(admin.TabularInline):
    model = ResourceCommitment
    fk_name = "agreement"
    fields = ("title", "frequency", "times_per_month", "is_active")
    extra = 0
    show_change_link = True


@admin.register(Agreement)
class AgreementAdmin(GuardedHistoryAdmin):
    list_display = (
        "title",
        "partner",
        "complex",
        "status",
        "signed_on",
        "starts_on",
        "ends_on",
        "in_force",
    )
    list_filter = ("status", "complex", ("partner__category", titled_filter(_("单位类别"))))
    search_fields = ("title", "number", "partner__name")
    autocomplete_fields = ("partner", "complex", "renews")
    list_select_related = ("partner", "complex")
    date_hierarchy = "starts_on"
    inlines = (CommitmentOfAgreementInline,)

    def save_formset(self, request, form, formset, change):
        # A commitment added under an agreement belongs to that agreement's partner.
        instances = formset.save(commit=False)
        for commitment in instances:
            commitment.partner = form.instance.partner
            commitment.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    @admin.display(description=_("当前有效"), boolean=True)
    def in_force(self, agreement):
        return agreement.is_in_force()


@admin.register(ResourceCommitment)
class ResourceCommitmentAdmin(GuardedHistoryAdmin):
    list_display = (
        "title",
        "partner",
        "agreement",
        "frequency",
        "times_per_month",
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


class FollowUpFilter(admin.SimpleListFilter):
    """Which open leads need following up: overdue, due today, due within a week, unplanned."""

    title = _("跟进")
    parameter_name = "follow_up"
    CLOSED = CLOSED_LEAD_STAGES

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("已逾期")),
            ("today", _("今天跟进")),
            ("week", _("七天内跟进")),
            ("unplanned", _("未安排跟进")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        open_leads = queryset.exclude(stage__in=self.CLOSED)
        match self.value():
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


@admin.register(Lead)
class LeadAdmin(ServiceRefusalMixin, GuardedHistoryAdmin):
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
    fieldsets = (
        (None, {"fields": ("organisation", "offer", "relationship", "contact", "offered_by")}),
        (
            _("跟进"),
            {"fields": ("stage", "follow_up_on", "assigned_to", "partner", "note", "is_invalid")},
        ),
        (_("时间"), {"fields": ("created_at", "updated_at", "closed_at")}),
    )

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
            return _gettext("逾期 %(days)d 天") % {"days": -days}
        if days == 0:
            return _gettext("今天")
        return _gettext("%(days)d 天后") % {"days": days}

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
            _gettext("已放弃 %(count)d 条线索。") % {"count": dropped},
        )
        for line in refused:
            self.message_user(request, line, messages.ERROR)
