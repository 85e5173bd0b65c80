"""Data for the residents' pages tests: a community with N activities, sign-ups, partners,
projects and feedback, so that query counts can be compared at two sizes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from activities.models import Activity, SignUp
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    FeedbackFactory,
    MilestoneFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    ServiceProjectFactory,
    SignUpFactory,
)


def populate(n: int, *, resident=None, partner=None, start: int = 0) -> dict:
    """Add `n` activities (a third of them past), about n/5 partners and projects, the
    resident's own confirmed and waitlisted sign-ups, other residents' sign-ups and
    published feedback. Returns what it made."""
    now = timezone.now()
    partners = [partner] if partner else []
    partners += [PartnerFactory() for _ in range(max(1, n // 5))]
    for p in partners[1:]:
        AgreementFactory(partner=p)
        ResourceCommitmentFactory(partner=p)
    other = ResidentFactory()
    activities = []
    for i in range(n):
        past = i % 3 == 2
        starts = now + dt.timedelta(days=(-10 - i) if past else (2 + i % 20), hours=i % 7)
        activity = ActivityFactory(
            title=f"活动{start + i}",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            capacity=1 if i % 2 else 10,
            status=Activity.Status.HELD if past else Activity.Status.OPEN,
            partners=[partners[0], partners[i % len(partners)]],
        )
        activities.append(activity)
        taker = SignUpFactory(
            activity=activity,
            resident=other,
            attended=past,
            checked_in_at=now if past else None,
        )
        if past:
            FeedbackFactory(signup=taker, may_publish=True, is_published=True)
        if resident is not None:
            status = SignUp.Status.WAITLISTED if i % 2 else SignUp.Status.CONFIRMED
            SignUpFactory(activity=activity, resident=resident, status=status)
    for i in range(max(1, n // 5)):
        project = ServiceProjectFactory(partner=partners[i % len(partners)])
        project.buildings.set([BuildingFactory(), BuildingFactory()])
        MilestoneFactory(project=project, done_on=timezone.localdate())
        MilestoneFactory(project=project, due_on=timezone.localdate() + dt.timedelta(days=9))
    return {"activities": activities, "partners": partners}
