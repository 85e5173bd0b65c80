"""Text messages to residents' phones, behind a small backend interface.

`settings.SMS_BACKEND` names the class (default: `residents.sms.ConsoleBackend`, which
prints the message, as Django's console e-mail backend does). A provider is a class with
`send_messages(messages) -> int`; `HttpSmsBackend` posts each message as JSON to a gateway
(`SMS_GATEWAY_URL`, `SMS_API_KEY`), the shape most Chinese SMS providers' HTTP bridges take.
Tests use `LocmemBackend` (messages collected in `residents.sms.outbox`).
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

#: What `LocmemBackend` sent (tests read and clear it).
outbox: list[TextMessage] = []


@dataclass(frozen=True)
class TextMessage:
    phone: str
    text: str


class BaseBackend:
    def send_messages(self, messages: list[TextMessage]) -> int:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send_messages(self, messages):
        for message in messages:
            sys.stdout.write(f"SMS to {message.phone}: {message.text}\n")
        return len(messages)


class LocmemBackend(BaseBackend):
    def send_messages(self, messages):
        outbox.extend(messages)
        return len(messages)


class HttpSmsBackend(BaseBackend):
    """POST {"phone": …, "text": …} to `settings.SMS_GATEWAY_URL` with
    `Authorization: Bearer <SMS_API_KEY>`; a 2xx answer counts as sent."""

    timeout = 10

    def send_messages(self, messages):
        sent = 0
        for message in messages:
            request = urllib.request.Request(  # noqa: S310 - the operator's configured URL
                settings.SMS_GATEWAY_URL,
                data=json.dumps({"phone": message.phone, "text": message.text}).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {settings.SMS_API_KEY}",
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if 200 <= response.status < 300:
                    sent += 1
        return sent


def get_backend() -> BaseBackend:
    path = getattr(settings, "SMS_BACKEND", "residents.sms.ConsoleBackend")
    return import_string(path)()


def send_text(phone: str, text: str) -> bool:
    """Send one text; never raise (a failed text must not undo what caused it)."""
    try:
        return get_backend().send_messages([TextMessage(phone=phone, text=text)]) == 1
    except Exception:  # noqa: BLE001
        logger.exception("Could not text %s", phone[:3] + "****")
        return False
