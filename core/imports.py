"""Reading the spreadsheets staff import, safely: limits, encodings and friendly refusals.

django-import-export hands the uploaded bytes to tablib, which answers a wrong file with an
exception (shown as "BadZipFile encountered…" or, for a missing column, a traceback with
the server's paths). Here every way a file can be wrong becomes a translated sentence
staff can act on, and a file is refused before it is read whole when it is too big:

- size: more than `IMPORT_MAX_BYTES` (the upload's size, known before it is read);
- rows: more than `IMPORT_MAX_ROWS` rows of data for an import checked within the request,
  more than `IMPORT_JOB_MAX_ROWS` for one done in the background (counted while reading;
  reading stops at the first row over the limit);
- format: an Excel file that is not a .xlsx workbook, a CSV that is not text;
- encoding: CSV in UTF-8 (with or without the BOM Excel writes) or GB18030 (which covers
  GBK and GB2312, what Excel saves on Chinese Windows);
- empty: no header row, or no row of data;
- headers: a column the import needs is missing, or a header is repeated
  (`check_headers()`; the message names every expected column).

`SafeCSV` and `SafeXLSX` are the import formats of every admin import
(`core.admin.StaffImportExportMixin`); `SafeImportForm` checks the upload with them.

Large files: a file of more than `IMPORT_BACKGROUND_ROWS` rows is not checked within the
request (a 20,000-row file takes minutes) but handed to the background importer that an
upper app registers (`register_background_importer`; the `jobs` app queues an import job
with a progress page). Without one, every import is done within the request.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator

import tablib
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext
from import_export.formats import base_formats
from import_export.forms import ImportForm

#: Rows listed in an import's preview (every row is checked; the totals count them all).
PREVIEW_ROWS = 100

#: Encodings tried in turn for a CSV file: UTF-8 (a BOM, as Excel writes it, is dropped),
#: then GB18030, a superset of GBK and GB2312 (Excel's "CSV" on Chinese Windows).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


class ImportRefused(ValueError):
    """A file that cannot be imported, with the sentence that tells staff why."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


#: Set by an upper app (`jobs`): called as importer(model_admin, request, form) with a valid
#: import form of more than `background_rows()` rows; answers the request (e.g. a redirect
#: to the job's progress page).
_background_importer: Callable | None = None
#: The URL name of the list where staff follow background imports (shown on import pages).
_background_list_url_name: str | None = None


def register_background_importer(
    importer: Callable | None, *, list_url_name: str | None = None
) -> None:
    global _background_importer, _background_list_url_name
    _background_importer = importer
    _background_list_url_name = list_url_name


def background_list_url_name() -> str | None:
    return _background_list_url_name if background_importer() is not None else None


def background_importer() -> Callable | None:
    """The registered background importer, or None when imports run only in the request
    (none registered, or `IMPORT_BACKGROUND_ROWS` is 0)."""
    if not settings.IMPORT_BACKGROUND_ROWS:
        return None
    return _background_importer


def background_rows() -> int:
    """Files with more rows than this are imported in the background (when possible)."""
    return settings.IMPORT_BACKGROUND_ROWS


def largest_import() -> int:
    """The most rows of data any import takes: a background job's limit when there are
    background imports, else the request's."""
    if background_importer() is None:
        return max_rows()
    return max(settings.IMPORT_JOB_MAX_ROWS, max_rows())


def limits_text() -> str:
    """The limits in a sentence, for the import form."""
    text = gettext("文件不超过 %(size)s，最多 %(rows)s 行数据（不含表头）。") % {
        "size": filesizeformat(max_bytes()),
        "rows": f"{largest_import():,}",
    }
    if background_importer() is not None:
        text += " " + gettext(
            "超过 %(rows)s 行的文件在后台检查和导入：可以离开页面，稍后在“导入任务”中查看进度。"
        ) % {"rows": f"{background_rows():,}"}
    return text


def check_size(size: int) -> None:
    if size == 0:
        raise ImportRefused(gettext("文件是空的，请选择填好数据的文件。"), "empty")
    if size > max_bytes():
        raise ImportRefused(
            gettext(
                "文件太大（%(size)s），每次最多导入 %(limit)s。请把数据分成几个文件，分批导入。"
            )
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())},
            "too_big",
        )


def _cell(value) -> object:
    if isinstance(value, str):
        return value.strip()
    return "" if value is None else value


def _is_blank(row: Iterable) -> bool:
    return all(value in ("", None) for value in row)


def too_many_rows(limit: int | None = None) -> ImportRefused:
    return ImportRefused(
        gettext(
            "文件的数据超过 %(limit)s 行，每次最多导入 %(limit)s 行。"
            "请把数据分成几个文件，分批导入。"
        )
        % {"limit": f"{max_rows() if limit is None else limit:,}"},
        "too_many_rows",
    )


def build_dataset(rows: Iterator[list], *, limit: int | None = None) -> tablib.Dataset:
    """A Dataset from rows of cells, the first being the header; blank rows are skipped,
    short rows padded. Stops reading at the first row of data over `limit`."""
    limit = max_rows() if limit is None else limit
    headers = None
    for row in rows:
        cells = [_cell(value) for value in row]
        if not _is_blank(cells):
            headers = cells
            break
    if headers is None:
        raise ImportRefused(gettext("文件是空的，没有表头，也没有数据。"), "empty")
    while headers and headers[-1] == "":
        headers.pop()
    headers = [str(header) for header in headers]
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for number, row in enumerate(rows, start=2):
        cells = [_cell(value) for value in row]
        if _is_blank(cells):
            continue
        if len(cells) > width:
            if not _is_blank(cells[width:]):
                raise ImportRefused(
                    gettext("第 %(row)s 行在表头以外的列里还有内容，请删去或补上表头。")
                    % {"row": number},
                    "ragged",
                )
            cells = cells[:width]
        if len(dataset) >= limit:
            raise too_many_rows(limit)
        dataset.append(cells + [""] * (width - len(cells)))
    if not len(dataset):
        raise ImportRefused(gettext("文件里只有表头，没有数据。"), "empty")
    return dataset


def decode_csv(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(
        gettext(
            "无法读取这个 CSV 文件的文字编码。请在 Excel 中“另存为”Excel 工作簿（.xlsx）"
            "或“CSV UTF-8”后重新上传。"
        ),
        "encoding",
    )


def read_csv(data: bytes, *, limit: int | None = None) -> tablib.Dataset:
    if data.startswith(b"PK\x03\x04"):
        raise ImportRefused(
            gettext("这是一个 Excel 文件，不是 CSV 文件：请在“格式”中选择 xlsx。"), "format"
        )
    text = decode_csv(data)
    if "\x00" in text:
        raise ImportRefused(
            gettext("这不是 CSV 文本文件。请上传 Excel 工作簿（.xlsx）或 CSV 文件。"), "format"
        )
    try:
        return build_dataset(csv.reader(io.StringIO(text, newline="")), limit=limit)
    except csv.Error:
        raise ImportRefused(
            gettext("这个 CSV 文件的格式有误（例如引号不成对），无法读取。"), "format"
        ) from None


def read_xlsx(data: bytes, *, limit: int | None = None) -> tablib.Dataset:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    not_xlsx = ImportRefused(
        gettext(
            "这不是 Excel 工作簿（.xlsx）文件，无法读取。旧版 .xls 文件请在 Excel 中"
            "另存为 .xlsx；CSV 文件请在“格式”中选择 csv。"
        ),
        "format",
    )
    if not data.startswith(b"PK\x03\x04"):
        raise not_xlsx
    try:
        # read_only streams the rows: reading stops at the row limit without loading the rest.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        raise not_xlsx from None
    try:
        sheet = workbook.worksheets[0]
        return build_dataset(sheet.iter_rows(values_only=True), limit=limit)
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError):
        raise not_xlsx from None
    finally:
        workbook.close()


def check_headers(
    headers: list[str],
    *,
    expected: list[str],
    required: list[str],
    glosses: dict[str, str] | None = None,
) -> None:
    """Refuse a header row that lacks a required column or repeats one.

    The message lists every expected column (the file format's Chinese words, which stay
    Chinese in every language; on an English page each is followed by its meaning from
    `glosses`) so that staff can fix the first row, or download the template.
    """
    chinese = (translation.get_language() or "zh").startswith("zh")
    glosses = {} if chinese else glosses
    comma = "、" if chinese else ", "

    def named(header: str) -> str:
        gloss = (glosses or {}).get(header)
        return f"{header} ({gloss})" if gloss and gloss != header else header

    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise ImportRefused(
                gettext("表头“%(header)s”出现了不止一次，请只保留一列。") % {"header": header},
                "headers",
            )
        seen.add(header)
    missing = [header for header in required if header not in seen]
    if missing:
        raise ImportRefused(
            gettext(
                "表头（第1行）缺少这些列：%(missing)s。第1行应依次为：%(expected)s。"
                "可以下载导入模板对照。"
            )
            % {
                "missing": comma.join(named(h) for h in missing),
                "expected": comma.join(named(h) for h in expected),
            },
            "headers",
        )


class SafeFormatMixin:
    """An import format whose `create_dataset` refuses a bad file with `ImportRefused`."""

    def is_binary(self):
        return True  # the bytes come to create_dataset; it finds the encoding itself

    def get_read_mode(self):
        return "rb"


class SafeCSV(SafeFormatMixin, base_formats.CSV):
    def create_dataset(self, in_stream, limit: int | None = None, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return read_csv(in_stream, limit=limit)


class SafeXLSX(SafeFormatMixin, base_formats.XLSX):
    def create_dataset(self, in_stream, limit: int | None = None):
        return read_xlsx(in_stream, limit=limit)


class SafeImportForm(ImportForm):
    """django-import-export's import form that reads the file while checking it: too big,
    too many rows, not readable, empty or with the wrong headers is a form error.

    `background` tells a valid form of more than `IMPORT_BACKGROUND_ROWS` rows (to be
    imported by the background importer); the others keep to `IMPORT_MAX_ROWS`."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.resources = resources
        self.dataset: tablib.Dataset | None = None
        self.background = False
        self.fields["import_file"].help_text = limits_text()

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        format_index = cleaned.get("format")
        if upload is None or format_index in (None, ""):
            return cleaned
        try:
            check_size(upload.size)
            data = b"".join(upload.chunks())
            upload.seek(0)
            file_format = self.formats[int(format_index)]()
            dataset = file_format.create_dataset(data, limit=largest_import())
            self.background = background_importer() is not None and len(dataset) > background_rows()
            if not self.background and len(dataset) > max_rows():
                raise too_many_rows(max_rows())
            resource = self.resources[int(cleaned.get("resource") or 0)]()
            check_headers(
                list(dataset.headers),
                expected=resource.template_headers(),
                required=resource.required_headers(),
                glosses=resource.header_glosses(),
            )
        except ImportRefused as refusal:
            self.add_error("import_file", forms.ValidationError(refusal.message, refusal.code))
        else:
            self.dataset = dataset
        return cleaned
