"""Pieces shared by the back office's ModelAdmins in every app."""

from urllib.parse import quote

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR, IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from simple_history.admin import SimpleHistoryAdmin

from .forms import add_service_error
from .imports import (
    PREVIEW_ROWS,
    ImportRefused,
    SafeCSV,
    SafeImportForm,
    SafeXLSX,
    background_importer,
    background_list_url_name,
)
from .spreadsheets import neutralise_dataset


class ColumnNamedExportForm(SelectableFieldsExportForm):
    """The export page lists each column by its spreadsheet header (姓名, 手机号码, …),
    not by the English attribute name."""

    def _get_field_label(self, resource, field_name):
        field = resource.fields.get(field_name)
        return str(field.column_name) if field else field_name


class SafeExportMixin:
    """Every admin export: no live formula in any cell, and bad filters go back to the list
    (StaffImportExportMixin includes it; an export-only admin uses it directly)."""

    def export_action(self, request, *args, **kwargs):
        # The export page filters like the list it came from: unknown or malformed filters
        # go back to the list with Django's "invalid filter" notice, not to a server error.
        try:
            return super().export_action(request, *args, **kwargs)
        except IncorrectLookupParameters:
            opts = self.model._meta
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            return HttpResponseRedirect(f"{changelist}?{ERROR_FLAG}=1")

    def get_data_for_export(self, request, queryset, **kwargs):
        # Every export (every resource, every format, the export page and the action) goes
        # through here: no text a resident or partner typed comes out as a live formula.
        return neutralise_dataset(super().get_data_for_export(request, queryset, **kwargs))


class StaffImportExportMixin(SafeExportMixin):
    """django-import-export for community staff only, in Excel (or CSV).

    Importing needs the add and change permissions, exporting the change permission: the
    party secretary reads the back office but neither writes nor takes personal data away.
    An import with any refused row writes nothing (see `residents.resources`).
    """

    # Imports read files through core.imports: limits, encodings, headers, friendly errors.
    import_formats = [SafeXLSX, SafeCSV]
    import_form_class = SafeImportForm
    import_error_display = ("message",)
    export_formats = [base_formats.XLSX, base_formats.CSV]
    export_form_class = ColumnNamedExportForm

    def add_data_read_fail_error_to_form(self, form, e):
        # The form has read the file already; should it fail now, no exception's name.
        if isinstance(e, ImportRefused):
            form.add_error("import_file", e.message)
        else:
            form.add_error("import_file", _("无法读取这个文件，请检查文件格式后重新上传。"))

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def create_import_form(self, request):
        # One form a request: import_action() below and django-import-export's own read
        # (and check) the upload once.
        form = getattr(request, "_gongjian_import_form", None)
        if form is None:
            form = super().create_import_form(request)
            request._gongjian_import_form = form
        return form

    def import_action(self, request, **kwargs):
        # A file too large to check within the request goes to the background importer
        # (core.imports.register_background_importer; the jobs app): queued, then checked
        # and imported by the worker, with a progress page.
        importer = background_importer()
        if request.method == "POST" and importer is not None:
            if not self.has_import_permission(request):
                raise PermissionDenied
            form = self.create_import_form(request)
            if form.is_valid() and form.background:
                return importer(self, request, form)
        return super().import_action(request, **kwargs)

    def get_urls(self):
        opts = self.model._meta
        template = path(
            "import/template.xlsx",
            self.admin_site.admin_view(self.import_template_view),
            name=f"{opts.app_label}_{opts.model_name}_import_template",
        )
        return [template, *super().get_urls()]

    def get_import_context_data(self, **kwargs):
        opts = self.model._meta
        return {
            **super().get_import_context_data(**kwargs),
            "import_template_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_import_template"
            ),
            "preview_rows": PREVIEW_ROWS,
            "preview_slice": f":{PREVIEW_ROWS}",
            "background_jobs_url": (
                reverse(background_list_url_name()) if background_list_url_name() else None
            ),
        }

    def import_template_view(self, request):
        """The spreadsheet to fill in: the import's column headers and one example row."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.get_import_resource_classes(request)[0]()
        headers = resource.template_headers()
        example = getattr(resource, "example_row", {})
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(self.model._meta.verbose_name)[:31]
        sheet.append(headers)
        sheet.append([example.get(header, "") for header in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column, header in enumerate(headers, start=1):
            width = max(len(header), len(str(example.get(header, "")))) * 2 + 4
            sheet.column_dimensions[get_column_letter(column)].width = width
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = _("%(name)s导入模板.xlsx") % {"name": self.model._meta.verbose_name}
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        workbook.save(response)
        return response

    def has_export_permission(self, request):
        return self.has_change_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        # The confirmed import is run again; should a row fail now (the data changed since
        # the preview), everything was rolled back: say so instead of "import finished".
        if result.has_errors() or result.has_validation_errors():
            numbers = sorted(
                {row.number for row in result.invalid_rows}
                | {number for number, _errors in result.row_errors()}
            )
            messages.error(
                request,
                _("导入失败，未写入任何数据。请检查第 %(rows)s 行后重新上传。")
                % {"rows": "、".join(str(n) for n in numbers)},
            )
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)


class GuardedHistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin, whose "revert" form writes only for those who may
    change the record.

    simple_history asks only for the *view* permission on a history version's page, and a
    POST there saves the form: the party secretary, who reads the back office, could change
    any record that way. Reading the old versions stays open to her; writing needs the change
    permission, as on the change page itself.
    """

    def _valid_id(self, value) -> bool:
        try:
            self.model._meta.pk.to_python(unquote(value))
        except (ValidationError, ValueError, TypeError, OverflowError):
            return False
        return "\x00" not in str(value)

    def history_view(self, request, object_id, extra_context=None):
        # simple_history filters by the raw id: "abc" or a NUL byte would be a server error.
        if not self._valid_id(object_id):
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._valid_id(object_id) or not str(version_id).isdigit():
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if request.method not in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyInline(admin.TabularInline):
    """A list of related records shown on a change page, changed only from their own page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SelectRelatedListFilter(admin.RelatedFieldListFilter):
    """A related-object filter whose choices' names need a join (e.g. a building's name
    includes its complex): one query for all choices instead of one for each."""

    select_related: tuple[str, ...] = ()

    def field_choices(self, field, request, model_admin):
        queryset = field.related_model._default_manager.select_related(*self.select_related)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class ServiceAddMixin:
    """An add page for a model that is written only through a service function.

    The page shows a plain form of `add_form_fields` (with the admin's widgets, e.g.
    autocomplete), and `perform_add()` calls the service. A refusal (`ValidationError`)
    is shown on the form; nothing is written.
    """

    add_form_fields: tuple[str, ...] = ()
    add_form_template = "admin/service_add_form.html"

    def perform_add(self, request, data: dict) -> tuple[models.Model, bool]:
        """Write through the service; return the object and whether it was created."""
        raise NotImplementedError

    def add_success_url(self, request, obj) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def get_add_form_class(self, request) -> type[forms.Form]:
        fields = {
            name: self.formfield_for_dbfield(self.model._meta.get_field(name), request=request)
            for name in self.add_form_fields
        }
        return type(f"{self.model.__name__}AddForm", (forms.Form,), fields)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form_class = self.get_add_form_class(request)
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        obj, created = self.perform_add(request, form.cleaned_data)
                        if created:
                            self.log_addition(request, obj, [{"added": {}}])
                except ValidationError as error:
                    add_service_error(form, error)
                else:
                    if IS_POPUP_VAR in request.POST:
                        # Opened from a "+" beside another form's field: Django's own
                        # response closes the popup and selects the new record.
                        return self.response_add(request, obj)
                    if "_addanother" in request.POST:
                        return HttpResponseRedirect(request.get_full_path())
                    return HttpResponseRedirect(self.add_success_url(request, obj))
        else:
            form = form_class(initial=self.get_changeform_initial_data(request))
        context = {
            **self.admin_site.each_context(request),
            "title": _("添加%(name)s") % {"name": self.model._meta.verbose_name},
            "subtitle": None,
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request),
            "is_popup": IS_POPUP_VAR in request.GET or IS_POPUP_VAR in request.POST,
            "is_popup_var": IS_POPUP_VAR,
            "to_field": request.GET.get(TO_FIELD_VAR, request.POST.get(TO_FIELD_VAR)),
            "to_field_var": TO_FIELD_VAR,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.add_form_template, context)


class ServiceRefused(Exception):
    """A service refused a change while the change form was being saved (the form had
    checked it, but the record changed in the meantime): the save is rolled back."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


class ServiceRefusalMixin:
    """Show a `ServiceRefused` raised by `save_model` as an error message on the page it
    came from, instead of a server error; nothing is written."""

    def _refused(self, request, refused: ServiceRefused):
        self.message_user(request, "；".join(refused.error.messages), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            return self._refused(request, refused)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().history_form_view(request, object_id, version_id, extra_context)
        except ServiceRefused as refused:
            return self._refused(request, refused)


def titled_filter(title, base=admin.ChoicesFieldListFilter):
    """A list filter on a related model's field, headed with `title` instead of that
    field's own name (e.g. "活动状态" beside a sign-up's own "状态")."""

    class TitledFilter(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledFilter
