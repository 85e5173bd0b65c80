"""What partners/ holds about residents: the leads (招募令) they offered.

Registered with the resident-data registry (`residents.privacy`): shown on /me/, in the
data download, and forgotten when the resident deletes their data (the lead stays, for the
monthly figures, without what identifies the resident).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from residents.models import Resident
from residents.privacy import Eraser, MePage, ResidentData, Shortcut, iso, register

from .models import Lead, LeadNote


def _my_leads(resident: Resident) -> list[Lead]:
    return list(
        Lead.objects.filter(offered_by=resident)
        .select_related("partner")
        .order_by("-created_at", "-pk")
    )


def _export(resident: Resident, people: list[int]) -> list[dict]:
    return [
        {
            "organisation": lead.organisation,
            "offer": lead.offer,
            "relationship": lead.relationship,
            "contact": lead.contact,
            "stage": lead.stage,
            "stage_label": str(lead.get_stage_display()),
            "submitted_at": iso(lead.created_at),
        }
        for lead in _my_leads(resident)
    ]


def _forget(eraser: Eraser) -> None:
    lead_ids = list(Lead.objects.filter(offered_by=eraser.resident).values_list("pk", flat=True))
    for model in (Lead, Lead.history.model):
        model.objects.filter(id__in=lead_ids).update(
            relationship="",
            contact="",
            offered_by=None,
            **eraser.scrub(Lead, "organisation", "offer", "note"),
        )
    LeadNote.objects.filter(lead_id__in=lead_ids).update(**eraser.scrub(LeadNote, "text"))
    eraser.scrub_log_entries(Lead, lead_ids)


def _on_me(page: MePage) -> dict:
    leads = _my_leads(page.resident)
    # The partners the resident brought in (credited to them: 招募令).
    credited = [lead for lead in leads if lead.stage == Lead.Stage.SIGNED]
    return {"leads": leads, "credited": credited}


register(
    ResidentData(
        key="leads",
        models=("partners.Lead",),
        export=_export,
        forget=_forget,
        me_template="partners/includes/me_leads.html",
        me_context=_on_me,
        shortcuts=(Shortcut(_("提供资源线索"), "partners:lead_create"),),
        order=40,
    )
)
