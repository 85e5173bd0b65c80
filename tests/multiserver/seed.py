"""Data for the two-server test, written into the database of DATABASE_URL by a subprocess
(`python -m tests.multiserver.seed N`): an activity with 30 seats, N residents already
logged in (their session keys, in the shared session store), one resident who logs in with
a password and one whose login is attacked. Prints JSON for the test."""

import json
import os
import sys
from importlib import import_module

import django


def main(residents: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from tests.factories import ActivityFactory, HouseholdFactory, ResidentFactory

    store = import_module(settings.SESSION_ENGINE).SessionStore
    household = HouseholdFactory()
    activity = ActivityFactory(capacity=30, title="热门活动：八段锦体验课")
    sessions = []
    for n in range(residents):
        # No password (hashing 200 would take minutes): they arrive logged in.
        phone = f"1360000{n:04d}"
        user = User.objects.create(username=phone, password=make_password(None))
        resident = ResidentFactory(phone=phone, household=household, user=user)
        session = store()
        session[SESSION_KEY] = str(resident.user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = resident.user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    password = "Lanzhou-2026-xp"
    hashed = make_password(password)
    logs_in, attacked = (
        ResidentFactory(
            phone=phone,
            household=household,
            user=User.objects.create(username=phone, password=hashed),
        )
        for phone in ("13500000001", "13500000002")
    )
    return {
        "activity": activity.pk,
        "sessions": sessions,
        "login": {"username": logs_in.phone, "password": password},
        "attacked": {"username": attacked.phone, "password": password},
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
