"""A resident reports a need (需求清单) for staff to triage."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_error
from residents.decorators import resident_required

from . import services
from .need_forms import NeedForm


@require_http_methods(["GET", "POST"])
@resident_required
def need_create(request, *, resident):
    form = NeedForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            need = services.submit_need(resident=resident, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("您反映的“%(title)s”已提交，社区工作人员处理后会在“我的”页面答复。")
                % {"title": need.title},
            )
            return redirect(reverse("residents:me") + "#needs")
    return render(request, "activities/need_form.html", {"form": form})
