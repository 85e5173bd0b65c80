"""Form helpers shared by the residents' pages and the back office."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext, gettext_lazy

_GENERIC_REQUIRED = str(forms.Field.default_error_messages["required"])


class LargeInputsMixin:
    """Big inputs for elderly residents on phones (Bootstrap's `-lg` sizes); a required
    field left empty says which ("请填写手机号码。"), not "这个字段是必填项。"; password
    fields get a show-password button (static/js/site.js)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.required and str(field.error_messages.get("required")) in {
                _GENERIC_REQUIRED,
                str(gettext_lazy("This field is required.")),
            }:
                template = (
                    gettext("请选择%(label)s。")
                    if isinstance(field.widget, forms.Select)
                    else gettext("请填写%(label)s。")
                )
                field.error_messages["required"] = template % {"label": field.label}
            widget = field.widget
            if isinstance(widget, forms.PasswordInput):
                widget.attrs.update(
                    {
                        "data-password-toggle": "",
                        "data-show-text": gettext("显示密码"),
                        "data-hide-text": gettext("隐藏密码"),
                    }
                )
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
