"""The partner directory (百宝箱) and a partner's public page: what partners commit and
the activities they run, so they live with the activities."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.pagecache import cache_public_page
from partners import selectors as partner_selectors
from partners.models import Partner

from . import readers, selectors as activity_selectors
from .models import Activity

ACTIVITIES_SHOWN = 12


@require_safe
@cache_public_page(vary=readers.cache_variant)
def partner_list(request):
    reading = readers.reading(request, activity_selectors.resident_of(request.user))
    partners = list(activity_selectors.partner_directory(community_id=reading.community_id))
    return render(
        request,
        "activities/partner_list.html",
        {
            "groups": partner_selectors.by_category(partners),
            "partner_count": len(partners),
            "reading": reading,
        },
    )


@require_safe
@cache_public_page(vary=readers.cache_variant)
def partner_detail(request, pk):
    """A partner's page, read as the list is (`readers.reading`): read as a community, its
    agreement, commitments, activities and residents' quotes are that community's (and the
    activities opened to the whole subdistrict); else the whole subdistrict's."""
    partner = get_object_or_404(Partner, pk=pk)
    now = timezone.now()
    resident = activity_selectors.resident_of(request.user)
    community_id = readers.reading(request, resident).community_id
    of_partner = (
        activity_selectors.visible_activities()
        .filter(
            pk__in=Activity.partners.through.objects.filter(partner=partner).values("activity_id")
        )
        .for_community(community_id)
    )
    upcoming = list(of_partner.upcoming(now).not_cancelled()[:ACTIVITIES_SHOWN])
    past = list(of_partner.past(now).not_cancelled()[:ACTIVITIES_SHOWN])
    return render(
        request,
        "activities/partner_detail.html",
        {
            "partner": partner,
            "agreement": partner_selectors.agreement_in_force(partner, community_id=community_id),
            "commitments": list(
                partner_selectors.active_commitments(partner, community_id=community_id)
            ),
            "upcoming": upcoming,
            "past": past,
            "my_signups": activity_selectors.signups_by_activity(
                resident=resident, activities=upcoming
            ),
            "feedback": list(
                activity_selectors.published_feedback(partner=partner, community_id=community_id)
            ),
            "now": now,
        },
    )
