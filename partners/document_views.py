"""Scanned agreements, for staff and the party secretary only (logos stay public)."""

import mimetypes
from pathlib import PurePath

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from residents.scoping import scoped

from .models import Agreement


@require_safe
@never_cache
def agreement_document(request, name: str):
    if not request.user.is_authenticated:
        return redirect(f"/admin/login/?next={request.path}")
    if not (request.user.is_staff and request.user.has_perm("partners.view_agreement")):
        raise PermissionDenied
    if "\x00" in name or ".." in PurePath(name).parts:
        raise Http404
    # Another community's agreement is not found (`residents.scoping`).
    agreements = scoped(Agreement.objects.filter(document=name), request.user)
    agreement = agreements.only("document").first()
    if agreement is None or not agreement.document.storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        agreement.document.open("rb"),
        content_type=content_type,
        filename=PurePath(name).name,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
