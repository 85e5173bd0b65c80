"""Party members' service (双报到) in the monthly summary: reported party members who served
in the month and their hours, from volunteering's records. Kept beside `report.py` (not in
`monthly_summary()`'s data path) and used by the month page."""

from __future__ import annotations

from core.periods import month_bounds
from volunteering.selectors import PartyService, party_service


def party_members_service(*, year: int, month: int, community=None) -> PartyService:
    """Reported party members who served in the month (volunteer hours recorded for a role
    at an activity starting in it, Asia/Shanghai months) and their hours: at one
    community's activities (and its members reported) when `community` is given."""
    start, end = month_bounds(year, month)
    ids = None if community is None else [community.pk]
    return party_service(start=start, end=end, communities=ids)
