"""HTTP helpers: the client's IP address (also behind a reverse proxy) and a safe `next`.

Behind nginx every request reaches gunicorn from the proxy's address, so REMOTE_ADDR
alone would make all residents one client: ten wrong passwords from anyone would lock
everyone out of that account. The proxy passes the real address in `X-Real-IP`
(`proxy_set_header X-Real-IP $remote_addr;`) or `X-Forwarded-For`; we believe those headers
only from the proxies listed in `TRUSTED_PROXIES`, since anyone else could forge them.
"""

from ipaddress import ip_address

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def _valid(value: str) -> str | None:
    value = (value or "").strip()
    try:
        return str(ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the person making the request (used by django-axes and throttles)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if remote not in settings.TRUSTED_PROXIES:
        return remote or None
    real = _valid(request.META.get("HTTP_X_REAL_IP", ""))
    if real:
        return real
    # The right-most entry was added by our proxy; entries left of it came from the client.
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if forwarded:
        return _valid(forwarded[-1]) or remote
    return remote or None


def safe_next(request, default: str) -> str:
    """The `next` URL (POST, then GET) if it is on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
