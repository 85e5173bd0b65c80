"""iCalendar (.ics) files: one activity to add to a phone's calendar, and a feed to subscribe to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .models import Activity

PRODID = "-//Gongjian//community activities//ZH"


def activity_uid(activity: Activity) -> str:
    """Stable across downloads, so a calendar updates the event instead of adding another."""
    return f"activity-{activity.pk}@gongjian"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _event(activity: Activity, *, url: str, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", activity_uid(activity))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(activity.starts_at))
    event.add("dtend", _utc(activity.ends_at))
    event.add("summary", activity.title)
    event.add("location", activity.place)
    partners = "、".join(p.display_name for p in activity.partners.all())
    lines = [activity.summary or activity.description]
    if partners:
        lines.append(_("共建单位：%(partners)s") % {"partners": partners})
    lines.append(_("详情与报名：%(url)s") % {"url": url})
    event.add("description", "\n".join(line for line in lines if line))
    event.add("url", url)
    event.add("last-modified", _utc(activity.updated_at or stamp))
    if activity.is_cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal


def activity_calendar(activity: Activity, *, url: str) -> bytes:
    """One VEVENT for the activity; `url` is its absolute address."""
    cal = _calendar(activity.title)
    cal.add("method", "PUBLISH")
    cal.add_component(_event(activity, url=url, stamp=timezone.now()))
    return cal.to_ical()


def feed_calendar(activities: Iterable[Activity], *, url_for) -> bytes:
    """A feed of activities; `url_for(activity)` gives each one's absolute address."""
    name = _("%(community)s · 社区活动") % {"community": settings.COMMUNITY_NAME}
    cal = _calendar(name)
    cal.add("x-published-ttl", "PT6H")
    stamp = timezone.now()
    for activity in activities:
        cal.add_component(_event(activity, url=url_for(activity), stamp=stamp))
    return cal.to_ical()
