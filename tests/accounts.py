"""Helpers for tests that register or activate residents through the pages: the phone is
proven with the texted code, read from `residents.sms.outbox` (the tests' SMS backend)."""

from __future__ import annotations

import re

from django.urls import reverse

from residents import sms

NEW_PASSWORD = "Lanzhou-2026-xp"


def last_code(phone: str) -> str:
    """The six digits of the last text sent to `phone`."""
    texts = [message.text for message in sms.outbox if message.phone == phone]
    assert texts, f"no text was sent to {phone[:3]}****"
    return re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1]).group(1)


def prove_phone(client, phone: str, *, next_url: str = ""):
    """Ask for a code for `phone` and type it; returns the response of the code step."""
    start = reverse("residents:register") + (f"?next={next_url}" if next_url else "")
    response = client.post(start, {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.post(reverse("residents:verify_phone"), {"code": last_code(phone)})


def registration_data(building, **overrides) -> dict:
    data = {
        "name": "欧阳娜娜",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "building": str(building.pk),
        "unit": "2",
        "room": "302",
        "birth_year": "1958",
        "email": "",
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def register(client, phone: str, building, *, next_url: str = "", **overrides):
    """Register through the pages (phone, code, details); returns the last response."""
    prove_phone(client, phone, next_url=next_url)
    return client.post(reverse("residents:continue"), registration_data(building, **overrides))
