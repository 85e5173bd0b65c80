"""Form helpers shared by the residents' pages and the back office."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class LargeInputsMixin:
    """Big inputs for elderly residents on phones (Bootstrap's `-lg` sizes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                continue
            size = "form-select-lg" if isinstance(widget, forms.Select) else "form-control-lg"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {size}".strip()


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: under the field it names, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        known = field in form.fields and field != NON_FIELD_ERRORS
        form.add_error(field if known else None, errors)
