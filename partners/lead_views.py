"""A resident offers a connection (资源线索) in answer to the recruitment call (招募令)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_error
from residents.decorators import resident_required

from . import services
from .forms import LeadForm


@require_http_methods(["GET", "POST"])
@resident_required
def lead_create(request, *, resident):
    form = LeadForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.submit_lead(resident=resident, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("谢谢您！“%(organisation)s”这条线索已提交，社区工作人员会尽快与您联系。")
                % {"organisation": lead.organisation},
            )
            return redirect(reverse("residents:me") + "#leads")
    return render(request, "partners/lead_form.html", {"form": form})
