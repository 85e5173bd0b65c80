"""Writes about partners: a resident offers a connection (资源线索), staff follow it up to
its close, and a partner is deleted only when nothing in the past months' figures needs it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.periods import add_months
from residents.models import Notification, Resident
from residents.services import notify

from .models import (
    CLOSED_LEAD_STAGES,
    Agreement,
    Lead,
    LeadNote,
    Partner,
    ResourceCommitment,
)

#: Leads one resident may offer in 24 hours: a real neighbour knows a few organisations;
#: more is someone inflating the secretary's figures (staff can still add leads).
LEADS_PER_DAY = 5


def submit_lead(
    *,
    resident: Resident,
    organisation: str,
    offer: str,
    relationship: str = "",
    contact: str = "",
) -> Lead:
    """A resident answers the recruitment call (招募令) with an organisation they know.

    The lead starts as "new"; staff follow it up in the back office.
    """
    with transaction.atomic():
        # Locked: two submissions at once count against the same limit.
        resident = Resident.objects.select_for_update().filter(pk=resident.pk).first()
        if resident is None or resident.is_anonymised:
            raise ValidationError(_("该居民的资料已删除，不能提交线索。"), code="anonymised")
        since = timezone.now() - dt.timedelta(days=1)
        if Lead.objects.recent_by(resident, since).count() >= LEADS_PER_DAY:
            raise ValidationError(
                _("您今天已提交 %(limit)s 条线索，请明天再提交，或直接联系社区工作人员。"),
                code="too_many",
                params={"limit": LEADS_PER_DAY},
            )
        organisation = " ".join((organisation or "").split())
        if (
            Lead.objects.filter(offered_by=resident, organisation__iexact=organisation)
            .exclude(stage__in=CLOSED_LEAD_STAGES)
            .exists()
        ):
            raise ValidationError(
                {
                    "organisation": ValidationError(
                        _("您已提交过这家单位的线索，工作人员正在跟进。"), code="duplicate"
                    )
                }
            )
        lead = Lead(
            offered_by=resident,
            organisation=organisation,
            offer=(offer or "").strip(),
            relationship=(relationship or "").strip(),
            contact=(contact or "").strip(),
            stage=Lead.Stage.NEW,
            created_at=timezone.now(),
        )
        lead.full_clean()
        lead.save()
        return lead


def lead_move_refusal(
    *, lead: Lead, stage: str, partner: Partner | None = None
) -> ValidationError | None:
    """Why `lead` may not move to `stage` with `partner` (None if it may). Forms call it to
    show the refusal on the field; `move_lead` calls it again under the lock."""
    if stage not in Lead.Stage.values:
        return ValidationError(
            _("“%(stage)s”不是有效的线索进展。"), code="invalid_stage", params={"stage": stage}
        )
    if stage == Lead.Stage.SIGNED and partner is None:
        return ValidationError(_("已签约的线索必须关联签约单位。"), code="partner_required")
    return None


def move_lead(*, lead: Lead | int, stage: str, partner: Partner | None = None, by=None) -> Lead:
    """Staff move a lead to a stage of its follow-up (contacted … signed / dropped).

    Closing it (signed or dropped) records `closed_at`; it is kept while the lead stays in
    that stage, and cleared when the lead is reopened. A signed lead names the partner it
    became. `partner` left None keeps the lead's. A `Lead` instance is saved as given, with
    any other changes the caller made to it (the back office's form), or created if new; an
    id is read under the lock.
    """
    with transaction.atomic():
        pk = lead.pk if isinstance(lead, Lead) else lead
        stored = Lead.objects.select_for_update().filter(pk=pk).first() if pk else None
        if pk is not None and stored is None:
            raise ValidationError(_("找不到该线索。"), code="not_found")
        if not isinstance(lead, Lead):
            lead = stored
        stored_stage = stored.stage if stored is not None else None
        stored_closed_at = stored.closed_at if stored is not None else None
        refusal = lead_move_refusal(
            lead=stored or Lead(stage=Lead.Stage.NEW),
            stage=stage,
            partner=lead.partner if partner is None else partner,
        )
        if refusal is not None:
            raise refusal
        if partner is not None:
            lead.partner = partner
        lead.stage = stage
        if stage not in CLOSED_LEAD_STAGES:
            lead.closed_at = None
        elif stored_stage == stage and stored_closed_at is not None:
            lead.closed_at = stored_closed_at
        else:
            lead.closed_at = timezone.now()
        lead.full_clean()
        if by is not None and getattr(by, "is_authenticated", False):
            lead._history_user = by
        lead.save()
        if stored_stage is not None and stored_stage != stage:
            LeadNote.objects.create(
                lead=lead,
                written_by=_staff(by),
                text=_("进展：%(from)s → %(to)s")
                % {"from": Lead.Stage(stored_stage).label, "to": Lead.Stage(stage).label},
                stage_from=stored_stage,
                stage_to=stage,
            )
        return lead


def _staff(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def add_lead_note(*, lead: Lead | int, text: str, by=None) -> LeadNote:
    """Staff write down what happened in a lead's follow-up (dated, signed)."""
    with transaction.atomic():
        pk = lead.pk if isinstance(lead, Lead) else lead
        lead = Lead.objects.select_for_update().filter(pk=pk).first()
        if lead is None:
            raise ValidationError(_("找不到该线索。"), code="not_found")
        note = LeadNote(lead=lead, written_by=_staff(by), text=(text or "").strip())
        note.full_clean()
        note.save()
        return note


def convert_lead(
    *,
    lead: Lead | int,
    complex,
    partner: Partner | None = None,
    partner_name: str = "",
    category: str = "",
    agreement_title: str = "",
    by=None,
) -> Agreement:
    """The lead became a partner: in one transaction, create the partner (or link an
    existing one), a draft agreement with it for `complex`, close the lead as signed (via
    `move_lead`), and tell the resident who offered it — they are credited with it on /me/
    and in the monthly summary. Returns the draft agreement. Any failure writes nothing."""
    with transaction.atomic():
        pk = lead.pk if isinstance(lead, Lead) else lead
        stored = Lead.objects.select_for_update().filter(pk=pk).first()
        if stored is None:
            raise ValidationError(_("找不到该线索。"), code="not_found")
        if stored.stage in CLOSED_LEAD_STAGES:
            raise ValidationError(
                _("该线索已结束（%(stage)s），不能再转为共建单位。"),
                code="closed",
                params={"stage": stored.get_stage_display()},
            )
        if partner is None:
            name = (partner_name or stored.organisation).strip()
            if Partner.objects.filter(name=name).exists():
                raise ValidationError(
                    _("已有名为“%(name)s”的共建单位，请选择关联该单位。"),
                    code="partner_exists",
                    params={"name": name},
                )
            partner = Partner(
                name=name,
                category=category or Partner.Category.OTHER,
                description=stored.offer,
                contact_phone=stored.contact[:30],
                joined_on=timezone.localdate(),
            )
            partner.full_clean()
            if _staff(by):
                partner._history_user = by
            partner.save()
        agreement = Agreement(
            partner=partner,
            complex=complex,
            title=(agreement_title or "").strip()
            or _("%(partner)s共建协议") % {"partner": partner.name},
            status=Agreement.Status.DRAFT,
            starts_on=timezone.localdate(),
            note=_("由居民提供的资源线索转化而来。"),
        )
        agreement.full_clean()
        if _staff(by):
            agreement._history_user = by
        agreement.save()
        lead = move_lead(lead=stored.pk, stage=Lead.Stage.SIGNED, partner=partner, by=by)
        if lead.offered_by_id:
            notify(
                resident=lead.offered_by_id,
                kind=Notification.Kind.LEAD_CONVERTED,
                title=_("感谢您！您提供的线索“%(organisation)s”已促成共建")
                % {"organisation": lead.organisation},
                body=_("%(partner)s将入驻社区，成为共建单位。") % {"partner": partner.name},
                url=reverse("residents:me") + "#leads",
                dedupe_key=f"lead:{lead.pk}:converted",
            )
        return agreement


def partner_deletion_refusal(*, partner: Partner) -> ValidationError | None:
    """Why the partner may not be deleted (None if it may): the past months' figures count
    its agreements, the activities it ran and the lead that brought it in."""
    if partner.agreements.exists():
        reason, code = _("已签订共建协议"), "has_agreements"
    elif partner.activities.exists():
        reason, code = _("承办过活动"), "has_activities"
    elif partner.leads.exists():
        reason, code = _("由居民提供的线索签约而来"), "has_leads"
    else:
        return None
    return ValidationError(
        _(
            "“%(name)s”%(reason)s，不能删除，以免改变以往的月度统计；"
            "如该单位已撤离，请将其标记为已撤离（不在驻）。"
        ),
        code=code,
        params={"name": partner.name, "reason": reason},
    )


def delete_partner(*, partner: Partner) -> None:
    """Delete a partner entered by mistake; refused (with what to do instead) when the past
    months' figures need it."""
    from django.db.models import ProtectedError, RestrictedError

    with transaction.atomic():
        partner = Partner.objects.select_for_update().filter(pk=partner.pk).first()
        if partner is None:
            return
        refusal = partner_deletion_refusal(partner=partner)
        if refusal is not None:
            raise refusal
        try:
            partner.delete()
        except (ProtectedError, RestrictedError):
            raise ValidationError(
                _("“%(name)s”仍有关联记录，不能删除；请将其标记为已撤离（不在驻）。"),
                code="protected",
                params={"name": partner.name},
            ) from None


# --- agreements ------------------------------------------------------------------------


def _locked_agreement(agreement: Agreement | int) -> Agreement:
    pk = agreement.pk if isinstance(agreement, Agreement) else agreement
    locked = Agreement.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise ValidationError(_("找不到该协议。"), code="not_found")
    return locked


def _same_term(first: dt.date, last: dt.date, new_first: dt.date) -> dt.date:
    """The last day of a term starting on `new_first` as long as [first, last]: in whole
    months when the old term was (1 March – 28 February is a year), else in days."""
    after = last + dt.timedelta(days=1)
    if after.day == first.day and new_first.day == first.day:
        months = (after.year - first.year) * 12 + after.month - first.month
        year, month = add_months(new_first.year, new_first.month, months)
        try:
            return dt.date(year, month, new_first.day) - dt.timedelta(days=1)
        except ValueError:
            pass
    return new_first + (last - first)


def renewal_refusal(*, agreement: Agreement) -> ValidationError | None:
    """Why `agreement` may not be renewed now (None if it may)."""
    if agreement.status == Agreement.Status.DRAFT:
        return ValidationError(_("草拟中的协议尚未签订，不能续签。"), code="draft")
    if agreement.status == Agreement.Status.TERMINATED:
        return ValidationError(_("已终止的协议不能续签。"), code="terminated")
    if agreement.renewals.exists():
        return ValidationError(
            _("该协议已有续签协议，请在续签协议上继续办理。"), code="already_renewed"
        )
    return None


def renew_agreement(*, agreement: Agreement | int, by=None) -> Agreement:
    """Renew in one step: a draft successor (`renews` = this agreement) for the same partner
    and complex, starting the day after this one ends (today if it has no end date) and
    running as long, with copies of this agreement's active commitments. Staff then sign it.
    """
    with transaction.atomic():
        old = _locked_agreement(agreement)
        refusal = renewal_refusal(agreement=old)
        if refusal is not None:
            raise refusal
        if old.ends_on is not None:
            starts_on = old.ends_on + dt.timedelta(days=1)
            ends_on = _same_term(old.starts_on, old.ends_on, starts_on)
        else:
            starts_on, ends_on = timezone.localdate(), None
        new = Agreement(
            partner=old.partner,
            complex=old.complex,
            title=old.title,
            status=Agreement.Status.DRAFT,
            starts_on=starts_on,
            ends_on=ends_on,
            renews=old,
            note=_("续签自“%(title)s”（%(starts)s 起）。")
            % {"title": old.title, "starts": old.starts_on.isoformat()},
        )
        new.full_clean()
        if by is not None and getattr(by, "is_authenticated", False):
            new._history_user = by
        new.save()
        for commitment in old.commitments.filter(is_active=True).order_by("pk"):
            copy = ResourceCommitment(
                partner=old.partner,
                agreement=new,
                title=commitment.title,
                description=commitment.description,
                frequency=commitment.frequency,
                promise=commitment.promise,
                times=commitment.times,
            )
            copy.full_clean()
            copy.save()
        return new


def termination_refusal(
    *, agreement: Agreement, on: dt.date | None, reason: str
) -> ValidationError | None:
    """Why `agreement` may not be terminated on `on` for `reason` (None if it may)."""
    if agreement.status == Agreement.Status.DRAFT:
        return ValidationError(
            _("草拟中的协议尚未签订，无需终止；如不再需要请直接删除。"), code="draft"
        )
    if agreement.status == Agreement.Status.TERMINATED:
        return ValidationError(_("该协议已终止。"), code="already_terminated")
    if not (reason or "").strip():
        return ValidationError(_("请填写终止原因。"), code="reason_required")
    if on is None:
        return ValidationError(_("请填写终止日期。"), code="date_required")
    if agreement.ends_on is not None and on > agreement.ends_on:
        return ValidationError(
            _("终止日期不能晚于协议的到期日期（%(ends)s）。"),
            code="after_end",
            params={"ends": agreement.ends_on.isoformat()},
        )
    return None


def terminate_agreement(
    *, agreement: Agreement | int, on: dt.date, reason: str, by=None
) -> Agreement:
    """End a signed agreement early: `on` is its last day in force; the reason is kept."""
    with transaction.atomic():
        agreement = _locked_agreement(agreement)
        refusal = termination_refusal(agreement=agreement, on=on, reason=reason)
        if refusal is not None:
            raise refusal
        agreement.status = Agreement.Status.TERMINATED
        agreement.terminated_on = on
        agreement.termination_reason = reason.strip()
        agreement.full_clean()
        if by is not None and getattr(by, "is_authenticated", False):
            agreement._history_user = by
        agreement._change_reason = _("终止协议")
        agreement.save()
        return agreement
