"""Isolation: staff and the secretary of community A find nothing of community B anywhere
in the back office — no row, no name, no phone number, in no page, autocomplete or file."""

import csv
import io
import re

import openpyxl
import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    CallListEntryFactory,
    CommunityFactory,
    ComplexFactory,
    FeedbackFactory,
    HouseholdFactory,
    LeadFactory,
    MilestoneFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    SecretaryUserFactory,
    SeriesFactory,
    ServiceProjectFactory,
    SignUpFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
)

pytestmark = pytest.mark.django_db

APPS = ("residents", "partners", "activities")
#: Pages of the subdistrict's own staff and of superusers (community users may not open them).
SUBDISTRICT_ONLY = {"subdistrict", "staffscope"}


def _community(prefix: str, name: str, phone: str):
    """One community with one of everything; every name starts with `prefix`."""
    community = CommunityFactory(name=name, subdistrict=SubdistrictFactory())
    complex_ = ComplexFactory(community=community, name=f"{prefix}苑小区")
    building = BuildingFactory(complex=complex_, number=f"{prefix}1号楼")
    household = HouseholdFactory(building=building, room=f"{prefix}0101", note=f"{prefix}户")
    resident = ResidentFactory(name=f"{prefix}秀英", phone=phone, household=household, user=None)
    partner = PartnerFactory(name=f"{prefix}救援队", contact_phone=phone)
    agreement = AgreementFactory(partner=partner, complex=complex_, title=f"{prefix}入驻协议")
    commitment = ResourceCommitmentFactory(
        partner=partner, agreement=agreement, title=f"{prefix}公益课"
    )
    lead = LeadFactory(offered_by=resident, organisation=f"{prefix}大学")
    series = SeriesFactory(title=f"{prefix}每周瑜伽")
    activity = ActivityFactory(
        complex=complex_, title=f"{prefix}消防演练", series=series, partners=[partner]
    )
    signup = SignUpFactory(activity=activity, resident=resident)
    held = ActivityFactory(complex=complex_, title=f"{prefix}瑜伽课", held=True)
    feedback = FeedbackFactory(
        signup__activity=held, signup__resident=resident, comment=f"{prefix}老师很耐心"
    )
    call = CallListEntryFactory(
        signup__activity=activity,
        signup__resident=ResidentFactory(
            name=f"{prefix}兰英", phone=phone[:-1] + "9", household=household, user=None
        ),
    )
    project = ServiceProjectFactory(complex=complex_, title=f"{prefix}管网更换")
    project.buildings.set([building])
    milestone = MilestoneFactory(project=project, title=f"{prefix}管道")
    need = NeedFactory(complex=complex_, resident=resident, title=f"{prefix}楼道灯坏了")
    objects = {
        "community": community,
        "complex": complex_,
        "building": building,
        "household": household,
        "resident": resident,
        "partner": partner,
        "agreement": agreement,
        "resourcecommitment": commitment,
        "lead": lead,
        "series": series,
        "activity": activity,
        "signup": signup,
        "feedback": feedback,
        "calllistentry": call,
        "serviceproject": project,
        "milestone": milestone,
        "need": need,
    }
    return community, objects


@pytest.fixture
def world():
    a, a_objects = _community("甲", "小西坪社区", "13811110000")
    b, b_objects = _community("乙", "东岗社区", "13822220000")
    # One partner in both: each community sees its own agreement with it, not the other's.
    shared = PartnerFactory(name="蓝天救援队")
    AgreementFactory(partner=shared, complex=a_objects["complex"], title="甲蓝天协议")
    AgreementFactory(partner=shared, complex=b_objects["complex"], title="乙蓝天协议")
    # B's staff, whom A's lists of colleagues (a lead's follow-up) must not name.
    StaffScopeFactory(user=StaffUserFactory(username="乙晓燕"), community=b)
    return {"a": a, "b": b, "a_objects": a_objects, "b_objects": b_objects, "shared": shared}


def _user(kind, community):
    factory = StaffUserFactory if kind == "staff" else SecretaryUserFactory
    return StaffScopeFactory(user=factory(), community=community).user


#: What must never show to A: B's names, phone numbers, and the links to B's objects.
def _b_traces(world) -> list[str]:
    traces = ["乙", "13822220000", "1382222000"]
    for obj in world["b_objects"].values():
        opts = obj._meta
        traces.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    return traces


def _assert_clean(text: str, traces, where: str):
    found = [trace for trace in traces if trace in text]
    assert not found, f"{where}: {found}"


def _text(response) -> str:
    """A response's text; a workbook's cells."""
    if "spreadsheetml" in response.get("Content-Type", ""):
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return "\n".join(
            str(cell.value)
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        )
    return response.content.decode()


def _admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS and model._meta.model_name not in SUBDISTRICT_ONLY
    ]


@pytest.mark.parametrize("kind", ["staff", "secretary"])
def test_a_sees_none_of_bs_rows_on_any_list_search_or_page(client, world, kind):
    client.force_login(_user(kind, world["a"]))
    traces = _b_traces(world)
    for model, _model_admin in _admins():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        changelist = client.get(reverse(f"{name}_changelist"))
        assert changelist.status_code == 200, name
        _assert_clean(changelist.content.decode(), traces, f"{name} list")
        assert changelist.context["cl"].result_count >= 1, f"{name}: A's own rows are listed"
        searched = client.get(reverse(f"{name}_changelist"), {"q": "乙"})
        assert searched.context["cl"].result_count == 0, f"{name} search"
        _assert_clean(searched.content.decode(), traces[1:], f"{name} search")
        if name != "admin:activities_calllistentry":
            add = client.get(reverse(f"{name}_add"))
            if add.status_code == 200:
                _assert_clean(add.content.decode(), traces, f"{name} add page")

        b_obj = world["b_objects"].get(opts.model_name)
        a_obj = world["a_objects"].get(opts.model_name)
        if b_obj is None:
            continue
        for view in ("change", "history", "delete"):
            url = reverse(f"{name}_{view}", args=[b_obj.pk])
            assert client.get(url).status_code == 404, f"{name} {view} of B"
            assert client.post(url, {"post": "yes"}).status_code in (403, 404), url
        own = client.get(reverse(f"{name}_change", args=[a_obj.pk]))
        assert own.status_code == 200, f"{name} change of A"
        _assert_clean(own.content.decode(), traces, f"{name} change of A")
        history = client.get(reverse(f"{name}_history", args=[a_obj.pk]))
        _assert_clean(history.content.decode(), traces, f"{name} history of A")


def _autocompletes(client, admins):
    """(model, field, response) of every autocomplete field of `admins`, with no term."""
    for model, model_admin in admins:
        for field_name in model_admin.autocomplete_fields:
            query = {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field_name,
                "term": "",
            }
            yield model, field_name, client.get(reverse("admin:autocomplete"), query)


@pytest.mark.parametrize("kind", ["staff", "secretary"])
def test_a_autocompletes_none_of_bs_rows(client, world, kind):
    client.force_login(_user(kind, world["a"]))
    traces = _b_traces(world)
    checked = 0
    for model, field_name, response in _autocompletes(client, _admins()):
        if response.status_code == 403:
            continue  # no permission on the related model (e.g. the subdistrict)
        assert response.status_code == 200
        results = response.json()["results"]
        ids = {result["id"] for result in results}
        related = model._meta.get_field(field_name).related_model
        b_obj = world["b_objects"].get(related._meta.model_name)
        if b_obj is not None:
            assert str(b_obj.pk) not in ids, f"{model.__name__}.{field_name}"
        _assert_clean(response.content.decode("unicode_escape"), traces, field_name)
        checked += 1
    assert checked >= 10


def test_a_exports_none_of_bs_rows(client, world):
    client.force_login(_user("staff", world["a"]))
    traces = ["乙", "13822220000", "1382222000"]
    exported = 0
    for model, _model_admin in _admins():
        opts = model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_export")
        except NoReverseMatch:
            continue
        page = client.get(url)
        assert page.status_code == 200, url
        fields = {
            name: "on"
            for name, field in page.context["form"].fields.items()
            if re.match(r"^\w+resource_", name) and field.widget.input_type == "checkbox"
        }
        response = client.post(url, {"format": "1", "resource": "0", **fields})
        assert response.status_code == 200, url
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) >= 2, f"{url}: A's own rows are exported"
        _assert_clean(text, traces, f"{url} export")
        exported += 1
    assert exported >= 4


def test_an_action_on_bs_rows_gets_none_of_them(client, world):
    client.force_login(_user("staff", world["a"]))
    activities = [world["b_objects"]["activity"].pk, world["a_objects"]["activity"].pk]
    response = client.post(
        reverse("admin:activities_activity_changelist"),
        {"action": "export_signups", "_selected_action": activities},
    )
    text = _text(response)
    assert "甲秀英" in text
    _assert_clean(text, ["乙", "13822220000"], "action")


def test_a_form_refuses_bs_complex_posted_by_id(client, world):
    client.force_login(_user("staff", world["a"]))
    page = client.get(reverse("admin:residents_building_add"))
    form = page.context["adminform"].form
    assert world["b_objects"]["complex"] not in form.fields["complex"].queryset
    assert world["a_objects"]["complex"] in form.fields["complex"].queryset


def test_a_user_placed_nowhere_sees_nothing_when_there_are_several_communities(client, world):
    client.force_login(StaffUserFactory())
    response = client.get(reverse("admin:residents_resident_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_the_shared_partner_shows_a_only_its_own_agreement(client, world):
    client.force_login(_user("staff", world["a"]))
    page = client.get(reverse("admin:partners_partner_change", args=[world["shared"].pk]))
    assert page.status_code == 200
    assert "甲蓝天协议" in page.content.decode()
    _assert_clean(page.content.decode(), _b_traces(world), "shared partner")


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "row",
    [
        ["新来的", "13900000099", "乙1号楼", "1", "0202", 1960, "否"],  # B's building
        ["乙秀英", "13822220000", "甲1号楼", "1", "0303", 1960, "否"],  # B's resident
    ],
)
def test_an_import_cannot_write_into_another_community(client, world, row):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from residents.models import Resident

    client.force_login(_user("staff", world["a"]))
    headers = ["姓名", "手机号码", "楼号", "单元", "门牌号", "出生年份", "党员"]
    upload = SimpleUploadedFile(
        "居民.xlsx",
        _xlsx([headers, row]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    before = {r.pk: (r.name, r.household_id) for r in Resident.objects.all()}
    preview = client.post(
        reverse("admin:residents_resident_import"),
        {"resource": "0", "format": "0", "import_file": upload},
    )
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    assert preview.context["result"].has_validation_errors()
    assert {r.pk: (r.name, r.household_id) for r in Resident.objects.all()} == before


def test_the_desk_the_call_list_and_todays_work_show_a_only(client, world):
    client.force_login(_user("staff", world["a"]))
    traces = _b_traces(world)
    a_activity = world["a_objects"]["activity"]
    desk = reverse("admin:activities_activity_check_in", args=[a_activity.pk])
    for query in ("乙秀英", "0000", "2220"):
        page = client.get(desk, {"q": query})
        assert page.status_code == 200
        found = [resident.name for resident in page.context["found"]]
        assert not [name for name in found if name.startswith("乙")], query
    assert [r.name for r in client.get(desk, {"q": "甲秀英"}).context["found"]] == ["甲秀英"]
    b_activity = world["b_objects"]["activity"]
    assert (
        client.get(reverse("admin:activities_activity_check_in", args=[b_activity.pk])).status_code
        == 404
    )
    sheet = reverse("admin:activities_activity_sign_in_sheet", args=[b_activity.pk])
    assert client.get(sheet).status_code == 404

    call_list = reverse("admin:activities_calllistentry_call_list")
    page = client.get(call_list)
    assert "甲兰英" in page.content.decode()
    _assert_clean(page.content.decode(), traces, "call list")
    assert client.get(call_list, {"activity": b_activity.pk}).status_code == 404
    b_entry = world["b_objects"]["calllistentry"]
    client.post(call_list, {"entry": b_entry.pk})
    b_entry.refresh_from_db()
    assert b_entry.called_at is None

    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    _assert_clean(index.content.decode(), traces, "today's work")


def test_another_communitys_activation_slip_is_not_found(client, world):
    client.force_login(_user("staff", world["a"]))
    b_resident = world["b_objects"]["resident"]
    url = reverse("admin:residents_resident_activation_code", args=[b_resident.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"post": "yes"}).status_code == 404


def test_the_subdistrict_staff_and_secretary_see_every_community_of_the_subdistrict(client, world):
    from tests.factories import SubdistrictSecretaryUserFactory, SubdistrictStaffUserFactory

    subdistrict = world["a"].subdistrict
    for factory in (SubdistrictStaffUserFactory, SubdistrictSecretaryUserFactory):
        user = StaffScopeFactory(user=factory(), community=None, subdistrict=subdistrict).user
        client.force_login(user)
        page = client.get(reverse("admin:residents_resident_changelist"))
        names = {resident.name for resident in page.context["cl"].result_list}
        assert {"甲秀英", "乙秀英"} <= names
        b_resident = world["b_objects"]["resident"]
        change = client.get(reverse("admin:residents_resident_change", args=[b_resident.pk]))
        assert change.status_code == 200
        assert client.get(reverse("admin:residents_subdistrict_changelist")).status_code == 200
    # The secretary changes nothing.
    assert (
        client.post(
            reverse("admin:residents_resident_change", args=[b_resident.pk]), {}
        ).status_code
        == 403
    )
