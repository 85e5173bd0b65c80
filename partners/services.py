"""Writes about partners: a resident offers a connection (资源线索), staff follow it up to
its close, and a partner is deleted only when nothing in the past months' figures needs it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residents.models import Resident

from .models import CLOSED_LEAD_STAGES, Lead, Partner

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
        return lead


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
