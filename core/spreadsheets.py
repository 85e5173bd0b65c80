"""Spreadsheets the product writes never carry a live formula from someone's text.

A resident types "=HYPERLINK(…)" as a room number, a partner's contact name starts with
"+", an imported name with "@": opened in Excel or WPS, such a cell would be evaluated
("CSV/formula injection"). Every text cell that starts with a character a spreadsheet
reads as the start of a formula (= + - @, or a tab / carriage return / line feed before
one) is written with a leading apostrophe, which spreadsheets show as plain text.

Used by every writer: the summary workbook (`summary/export.py`) and every admin export
(`core.admin.StaffImportExportMixin`, for all formats and resources). A new writer calls
`neutralise()` on each value, `neutralise_dataset()` on a tablib Dataset or
`neutralise_workbook()` on an openpyxl Workbook before saving.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def is_dangerous(value: Any) -> bool:
    """Whether a spreadsheet could read this value as a formula."""
    if not isinstance(value, str) or not value:
        return False
    return value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """The value itself, or, for text a spreadsheet would evaluate, the text behind an
    apostrophe (numbers, dates and None pass unchanged)."""
    if is_dangerous(value):
        return "'" + value
    return value


def neutralise_dataset(dataset):
    """A copy of a tablib Dataset with every text cell neutralised (headers are ours)."""
    import tablib

    clean = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        clean.append([neutralise(value) for value in row])
    return clean


def neutralise_workbook(workbook) -> None:
    """Neutralise every text cell of every sheet of an openpyxl Workbook, in place."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (
                    cell.data_type == "f" or is_dangerous(cell.value)
                ):
                    cell.value = neutralise(cell.value) if is_dangerous(cell.value) else cell.value
                    cell.data_type = "s"


def formula_cells(workbook) -> list[str]:
    """Coordinates of cells that a spreadsheet would evaluate (for tests and checks)."""
    found = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or is_dangerous(cell.value):
                    found.append(f"{sheet.title}!{cell.coordinate}")
    return found
