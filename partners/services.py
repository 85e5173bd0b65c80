"""Writes about partners that residents start: offering a connection (资源线索)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residents.models import Resident

from .models import Lead


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
        resident = Resident.objects.filter(pk=resident.pk).first()
        if resident is None or resident.is_anonymised:
            raise ValidationError(_("该居民的资料已删除，不能提交线索。"), code="anonymised")
        lead = Lead(
            offered_by=resident,
            organisation=(organisation or "").strip(),
            offer=(offer or "").strip(),
            relationship=(relationship or "").strip(),
            contact=(contact or "").strip(),
            stage=Lead.Stage.NEW,
            created_at=timezone.now(),
        )
        lead.full_clean()
        lead.save()
        return lead
