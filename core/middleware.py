"""Response and session rules for logged-in people.

- `PrivateResponsesMiddleware`: every response to a logged-in person (their name in the
  header, their sign-ups, a child's birth year, the back office) is `Cache-Control: private,
  no-store`: no shared proxy or browser history keeps it.
- `StaffSessionMiddleware`: a back-office session ends when the browser closes and at the
  latest `STAFF_SESSION_SECONDS` after login (residents keep the default).
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils.cache import add_never_cache_headers, patch_cache_control

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
