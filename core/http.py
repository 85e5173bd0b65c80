"""HTTP helpers: the client's IP address (also behind a reverse proxy), a safe `next`, and
a file to download under its Chinese name.

Behind nginx every request reaches gunicorn from the proxy's address, so REMOTE_ADDR
alone would make all residents one client: ten wrong passwords from anyone would lock
everyone out of that account. The proxy passes the real address in ONE header, named by the
setting `CLIENT_IP_HEADER` (default `X-Real-IP`, set by `proxy_set_header X-Real-IP
$remote_addr;`; or `X-Forwarded-For`, of which the right-most entry, added by our proxy, is
taken). That header alone is believed, and only from the proxies listed in
`TRUSTED_PROXIES`: anyone else could forge it, and a second header the proxy does not
overwrite could be forged through the proxy.
"""

from ipaddress import ip_address
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def _valid(value: str) -> str | None:
    value = (value or "").strip()
    try:
        return str(ip_address(value))
    except ValueError:
        return None


def _meta_key(header: str) -> str:
    return "HTTP_" + header.strip().upper().replace("-", "_")


def client_ip(request) -> str | None:
    """The address of the person making the request (used by django-axes and throttles)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if remote not in settings.TRUSTED_PROXIES:
        return remote or None
    header = getattr(settings, "CLIENT_IP_HEADER", "X-Real-IP")
    value = request.META.get(_meta_key(header), "")
    if header.strip().lower() == "x-forwarded-for":
        # The right-most entry was added by our proxy; entries left of it came from the client.
        parts = [part for part in value.split(",") if part.strip()]
        value = parts[-1] if parts else ""
    return _valid(value) or remote or None


def safe_next(request, default: str) -> str:
    """The `next` URL (POST, then GET) if it is on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def attachment(content: bytes, *, content_type: str, ascii_name: str, full_name: str):
    """A download: `ascii_name` for old clients, the full (Chinese) name for the others."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(full_name)}"
    )
    return response


def id_param(value: str | None) -> int | None:
    """A record id from a query parameter, form field or cookie, or None: ASCII digits only
    (`"²".isdigit()` is true, yet `int("²")` fails) and short enough for a database id."""
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None
