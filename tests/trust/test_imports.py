"""Issue 11, imports: size and row limits, friendly refusals (encodings, formats, headers,
never a traceback), the site forms' validation on imported rows, and a preview whose
queries do not grow with the file."""

import io
import logging

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.imports import ImportRefused, build_dataset, read_csv
from residents.forms import RegistrationForm
from residents.models import Household, Resident
from residents.resources import ResidentResource
from tests.factories import BuildingFactory, ResidentFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:residents_resident_import")
HEADERS = ["姓名", "手机号码", "小区", "楼号", "单元", "门牌号", "出生年份", "党员"]
XLSX, CSV = "0", "1"  # the import form's format choices (core.admin.StaffImportExportMixin)


def _csv(rows, encoding="utf-8") -> bytes:
    return "\r\n".join(",".join(str(cell) for cell in row) for row in rows).encode(encoding)


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, data: bytes, *, file_format=CSV, name="居民.csv", url=IMPORT):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(url, {"resource": "0", "format": file_format, "import_file": upload})


def _form_errors(response) -> list[str]:
    return response.context["form"].errors.get("import_file", [])


def _assert_no_server_details(response):
    page = response.content.decode()
    assert "Traceback" not in page
    assert "site-packages" not in page and ".py" not in page.replace(".pyc", "")
    assert "Error" not in page.replace("errorlist", "").replace("errornote", "")


@pytest.fixture
def building(complex_):
    return BuildingFactory(complex=complex_, number="3号楼")


def _row(name="王秀英", phone="13900000001", unit="2", room="302", year=1956):
    return [name, phone, "", "3号楼", unit, room, year, "否"]


# --- size and row limits ----------------------------------------------------------------


def test_import_refuses_a_file_over_the_size_limit_and_says_the_limit(
    staff_client, building, settings
):
    settings.IMPORT_MAX_BYTES = 100
    response = _upload(
        staff_client, _csv([HEADERS, *[_row(phone=f"1390000{i:04d}") for i in range(5)]])
    )

    assert response.status_code == 200
    [error] = _form_errors(response)
    assert "文件太大" in error and "100" in error
    assert "result" not in response.context
    assert not Resident.objects.exists()


def test_import_refuses_more_rows_than_the_limit(staff_client, building, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [HEADERS, *[_row(phone=f"1390000{i:04d}") for i in range(4)]]

    response = _upload(staff_client, _csv(rows))

    [error] = _form_errors(response)
    assert "最多导入 3 行" in error
    assert "result" not in response.context


def test_import_takes_exactly_the_row_limit(staff_client, building, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [HEADERS, *[_row(phone=f"1390000{i:04d}") for i in range(3)]]

    response = _upload(staff_client, _csv(rows))

    assert not _form_errors(response)
    assert response.context["result"].totals["new"] == 3


def test_reading_stops_at_the_first_row_over_the_limit():
    consumed = []

    def rows():
        yield ["姓名"]
        for number in range(1_000_000):
            consumed.append(number)
            yield [f"王{number}"]

    with pytest.raises(ImportRefused) as refusal:
        build_dataset(rows(), limit=10)

    assert refusal.value.code == "too_many_rows"
    assert len(consumed) == 11


def test_the_import_form_states_the_limits(staff_client, settings):
    settings.IMPORT_MAX_BYTES = 5 * 1024 * 1024
    settings.IMPORT_MAX_ROWS = 5000
    settings.IMPORT_BACKGROUND_ROWS = 0  # every import in the request (tests/jobs: the others)

    page = staff_client.get(IMPORT).content.decode()

    assert "5.0\xa0MB" in page and "5,000 行数据" in page


# --- encodings, formats, empty files ----------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_import_reads_csv_saved_by_excel_in_utf8_or_gbk(staff_client, building, encoding):
    data = _csv([HEADERS, _row(name="欧阳娜娜")], encoding=encoding)

    response = _upload(staff_client, data)

    assert not _form_errors(response)
    result = response.context["result"]
    assert result.totals["new"] == 1 and not result.has_validation_errors()
    assert "欧阳娜娜" in response.content.decode()


def test_import_refuses_a_csv_in_an_unknown_encoding(staff_client, building):
    data = "姓名,手机号码\n王秀英,13900000001\n".encode("utf-16")

    response = _upload(staff_client, data)

    [error] = _form_errors(response)
    assert "编码" in error
    _assert_no_server_details(response)


@pytest.mark.parametrize(
    ("data", "file_format", "words"),
    [
        (b"\x00\x01\x02 not a workbook", XLSX, "不是 Excel 工作簿"),
        (b"PK\x03\x04 broken zip", XLSX, "不是 Excel 工作簿"),
        (_xlsx([HEADERS, _row()]), CSV, "是一个 Excel 文件"),
        (b"", CSV, "空文件"),
        (b"\r\n\r\n", CSV, "文件是空的"),
        (_csv([HEADERS]), CSV, "只有表头"),
        (_xlsx([HEADERS]), XLSX, "只有表头"),
        (b'"unclosed,quote\n' + b"x" * 200_000, CSV, None),
    ],
)
def test_import_refuses_unreadable_files_in_words(staff_client, building, data, file_format, words):
    response = _upload(staff_client, data, file_format=file_format)

    assert response.status_code == 200
    errors = _form_errors(response)
    assert errors, "the form must refuse the file"
    if words:
        assert words in errors[0]
    _assert_no_server_details(response)


def test_import_pads_short_rows_and_refuses_data_beyond_the_headers():
    dataset = read_csv(_csv([["姓名", "手机号码"], ["王秀英"]]))
    assert dataset.dict == [{"姓名": "王秀英", "手机号码": ""}]

    with pytest.raises(ImportRefused) as refusal:
        read_csv(_csv([["姓名", "手机号码"], ["王秀英", "13900000001", "多余"]]))
    assert "第 2 行" in refusal.value.message


# --- headers ----------------------------------------------------------------------------


def test_import_with_wrong_headers_names_the_expected_columns(staff_client, building):
    response = _upload(staff_client, _csv([["name", "phone"], ["王秀英", "13900000001"]]))

    [error] = _form_errors(response)
    assert "缺少这些列：姓名、手机号码" in error
    assert "姓名、手机号码、小区、楼号、单元、门牌号、出生年份、党员" in error
    _assert_no_server_details(response)


def test_missing_headers_are_explained_in_english_on_the_english_page(staff_client, building):
    url = "/en" + IMPORT
    response = _upload(staff_client, _csv([["姓名", "phone"], ["王秀英", "1"]]), url=url)

    [error] = _form_errors(response)
    assert "missing" in error.lower()
    assert "手机号码 (Phone number)" in error
    assert "楼号 (Building), 单元 (Unit)" in error
    assert "缺少" not in error


def test_import_refuses_a_repeated_header(staff_client, building):
    response = _upload(
        staff_client, _csv([["姓名", "手机号码", "姓名"], ["王", "13900000001", "李"]])
    )

    [error] = _form_errors(response)
    assert "“姓名”出现了不止一次" in error


def test_optional_columns_may_be_left_out(staff_client, building):
    response = _upload(staff_client, _csv([["姓名", "手机号码"], ["王秀英", "13900000001"]]))

    assert not _form_errors(response)
    assert response.context["result"].totals["new"] == 1


def test_an_unexpected_error_names_the_row_and_goes_to_the_log_not_the_page(
    staff_client, building, monkeypatch, caplog
):
    def explode(self, instance, row, **kwargs):
        raise RuntimeError("/srv/gongjian/secret/path.py exploded")

    monkeypatch.setattr(ResidentResource, "import_instance", explode)

    with caplog.at_level(logging.ERROR, logger="residents.resources"):
        response = _upload(staff_client, _csv([HEADERS, _row()]))

    page = response.content.decode()
    assert "第 2 行无法导入" in page
    assert "/srv/gongjian" not in page and "exploded" not in page
    assert "exploded" in caplog.text
    assert "confirm_form" not in response.context


# --- the site forms' validation ---------------------------------------------------------


def _registration_error(name: str) -> str:
    form = RegistrationForm(data={"name": name})
    form.is_valid()
    return form.errors["name"][0]


@pytest.mark.parametrize("name", ["王伟3", "=HYPERLINK(1)", "张@三", "李四!"])
def test_import_refuses_a_name_the_registration_form_refuses_with_its_row_number(
    staff_client, building, name
):
    rows = [HEADERS, _row(name="王秀英"), _row(name=name, phone="13900000002")]

    response = _upload(staff_client, _csv(rows))

    result = response.context["result"]
    [invalid] = result.invalid_rows
    assert invalid.number == 3
    assert invalid.error_dict == {"姓名": [_registration_error(name)]}
    assert "第 3 行" in response.content.decode()
    assert "confirm_form" not in response.context


def test_import_accepts_names_the_registration_form_accepts(staff_client, building):
    names = ["买买提·艾力", "欧阳娜娜", "Anna Smith"]
    for name in names:
        assert RegistrationForm(data={"name": name}).errors.get("name") is None
    rows = [HEADERS, *[_row(name=n, phone=f"1390000000{i}") for i, n in enumerate(names)]]

    response = _upload(staff_client, _csv(rows))

    assert not response.context["result"].has_validation_errors()


def test_import_tidies_phones_and_addresses_as_the_site_forms_do(staff_client, building):
    rows = [
        HEADERS,
        _row(phone="+86 139-0000-0001", unit="２单元", room="３０２室"),
        _row(name="李娜", phone="１３９０００００００２", unit="2", room="302"),
    ]
    response = _upload(staff_client, _csv(rows))
    confirm = response.context["confirm_form"]
    staff_client.post(
        reverse("admin:residents_resident_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )

    assert sorted(Resident.objects.values_list("phone", flat=True)) == [
        "13900000001",
        "13900000002",
    ]
    household = Household.objects.get()
    assert (household.unit, household.room) == ("2", "302")
    assert household.members.count() == 2


def test_import_refuses_a_phone_the_site_refuses(staff_client, building):
    response = _upload(staff_client, _csv([HEADERS, _row(phone="1234567")]))

    [invalid] = response.context["result"].invalid_rows
    assert invalid.number == 2
    assert "手机号码" in invalid.error_dict


def test_household_import_tidies_unit_and_room(staff_client, building):
    rows = [
        ["小区", "楼号", "单元", "门牌号", "户内人数", "备注"],
        ["", "3号楼", "1单元", "702室", 2, ""],
    ]
    url = reverse("admin:residents_household_import")
    response = _upload(staff_client, _csv(rows), url=url)
    confirm = response.context["confirm_form"]
    staff_client.post(
        reverse("admin:residents_household_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )

    household = Household.objects.get()
    assert (household.unit, household.room, household.size) == ("1", "702", 2)


# --- speed ------------------------------------------------------------------------------


def _preview_queries(rows: int, building) -> int:
    ResidentFactory.create_batch(3, household__building=building)
    existing = list(Resident.objects.values_list("phone", flat=True))
    data = [HEADERS] + [
        _row(
            name="王秀英",
            phone=existing[i] if i < len(existing) else f"1510000{i:04d}",
            room=str(100 + i % 7),
        )
        for i in range(rows)
    ]
    with CaptureQueriesContext(connection) as queries:
        result = ResidentResource().import_data(read_csv(_csv(data)), dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == 3
    return len(queries)


def test_preview_queries_do_not_grow_with_the_rows(building):
    few = _preview_queries(5, building)
    Resident.objects.all().delete()
    many = _preview_queries(200, building)

    assert many == few
    assert many <= 15


def test_preview_writes_nothing(staff_client, building):
    response = _upload(
        staff_client, _csv([HEADERS, _row(), _row(name="李娜", phone="13900000002")])
    )

    assert response.context["result"].totals["new"] == 2
    assert not Resident.objects.exists()
    assert not Household.objects.exists()


def test_preview_lists_the_first_rows_and_counts_them_all(staff_client, building, settings):
    rows = [HEADERS, *[_row(phone=f"1510000{i:04d}", room=str(i)) for i in range(150)]]

    response = _upload(staff_client, _csv(rows))

    page = response.content.decode()
    assert "共 150 行：新增 150 条" in page
    assert "下表只列出前 100 行" in page
    assert page.count('<tr class="new">') == 100


@pytest.mark.parametrize(("role", "status"), [("secretary_client", 403), ("resident_client", 302)])
def test_only_staff_may_upload_a_file_to_import(request, role, status):
    client = request.getfixturevalue(role)  # a resident is sent to the back office's login

    assert _upload(client, _csv([HEADERS, _row()])).status_code == status
    assert not Resident.objects.filter(phone="13900000001").exists()
