"""Response and session rules for logged-in people.

- `PrivateResponsesMiddleware`: every response to a logged-in person (their name in the
  header, their sign-ups, a child's birth year, the back office) is `Cache-Control: private,
  no-store`: no shared proxy or browser history keeps it.
- `StaffSessionMiddleware`: a back-office session ends when the browser closes and at the
  latest `STAFF_SESSION_SECONDS` after login (residents keep the default).
"""

import logging
import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control

logger = logging.getLogger(__name__)

STAFF_LOGIN_AT = "_staff_login_at"


class PrivateResponsesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
            if "public" in response.get("Cache-Control", ""):
                response["Cache-Control"] = ", ".join(
                    part.strip()
                    for part in response["Cache-Control"].split(",")
                    if part.strip() != "public"
                )
        return response


@receiver(user_logged_in)
def _shorten_staff_sessions(sender, request, user, **kwargs):
    if request is not None and user.is_staff and hasattr(request, "session"):
        request.session.set_expiry(0)  # the cookie ends with the browser
        request.session[STAFF_LOGIN_AT] = int(time.time())


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            started = request.session.get(STAFF_LOGIN_AT)
            if started is None:
                # A session from before this rule (or force_login): start counting now.
                request.session.set_expiry(0)
                request.session[STAFF_LOGIN_AT] = int(time.time())
            elif time.time() - started > settings.STAFF_SESSION_SECONDS:
                logout(request)
                admin = request.path_info.lstrip("/").split("/", 2)[:2]
                login_url = "admin:login" if "admin" in admin else settings.LOGIN_URL
                return redirect_to_login(request.get_full_path(), login_url)
        return self.get_response(request)


#: Errors that only malformed input reaching the database raises: a number too large for
#: an integer column (SQLite: OverflowError; PostgreSQL: DataError "out of range"), a NUL
#: byte in a string (PostgreSQL refuses it), a non-numeric id.
_MALFORMED_MESSAGES = (
    "out of range",
    "cannot contain nul",
    "expected a number but got",
    "too large to convert",
)


class MalformedInputMiddleware:
    """Answer 400 Bad Request, not 500, when malformed input (an id of 20 digits, a NUL
    byte) reaches the database through a form or filter that did not check it (Django's
    ModelChoiceField does not catch OverflowError, for one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import DataError

        message = str(exception).lower()
        if isinstance(exception, OverflowError | DataError | ValueError) and any(
            text in message for text in _MALFORMED_MESSAGES
        ):
            logger.warning("Malformed input refused on %s: %s", request.path, exception)
            return render(request, "400.html", status=400)
        return None
