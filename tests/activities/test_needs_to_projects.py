"""Needs → projects → resolved: accept into a project, decline with a reason, a project
done resolves its needs and tells their residents; works affecting the resident's building."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Need, ServiceProject
from residents.models import Notification
from tests.factories import (
    BuildingFactory,
    MilestoneFactory,
    NeedFactory,
    ResidentFactory,
    ServiceProjectFactory,
)

pytestmark = pytest.mark.django_db


def test_accepting_a_need_into_a_new_project_creates_it_and_links_them(resident):
    need = NeedFactory(resident=resident, complex=resident.household.building.complex)

    accepted = services.accept_need(need=need, new_project_title="3号楼楼道灯更换")

    assert accepted.status == Need.Status.IN_PROJECT
    project = accepted.project
    assert (project.title, project.status, project.complex_id) == (
        "3号楼楼道灯更换",
        ServiceProject.Status.PLANNED,
        need.complex_id,
    )
    [note] = Notification.objects.filter(resident=resident)
    assert "已纳入服务项目“3号楼楼道灯更换”" in note.title


def test_accepting_into_an_existing_project_or_without_one():
    project = ServiceProjectFactory()
    one, two = NeedFactory(), NeedFactory()
    assert services.accept_need(need=one, project=project).project == project
    assert services.accept_need(need=two.pk).status == Need.Status.ACCEPTED
    with pytest.raises(ValidationError) as refused:
        services.accept_need(need=two, project=project, new_project_title="新项目")
    assert refused.value.code == "project_ambiguous"


def test_declining_needs_a_reason_and_the_resident_reads_it_on_me(resident_client):
    need = NeedFactory(resident=resident_client.resident)
    with pytest.raises(ValidationError) as refused:
        services.triage_need(need=need.pk, status=Need.Status.DECLINED)
    assert refused.value.code == "reason_required"

    services.triage_need(need=need.pk, status=Need.Status.DECLINED, staff_reply="不在小区范围内")

    html = resident_client.get(reverse("residents:me")).content.decode()
    assert "暂不受理" in html and "不在小区范围内" in html


def test_a_project_with_open_milestones_is_done_only_with_a_reason():
    project = ServiceProjectFactory()
    MilestoneFactory(project=project, done_on=timezone.localdate())
    MilestoneFactory(project=project)

    with pytest.raises(ValidationError) as refused:
        services.complete_project(project=project)
    assert refused.value.code == "milestones_open"
    project.refresh_from_db()
    assert project.status == ServiceProject.Status.IN_PROGRESS

    services.complete_project(project=project, override_reason="剩余节点由物业另行安排")
    project.refresh_from_db()
    assert (project.status, project.progress, project.finished_on) == (
        ServiceProject.Status.DONE,
        100,
        timezone.localdate(),
    )
    assert project.completion_note == "剩余节点由物业另行安排"


def test_a_project_done_resolves_its_needs_and_tells_their_residents(
    django_capture_on_commit_callbacks,
):
    project = ServiceProjectFactory()
    MilestoneFactory(project=project, done_on=timezone.localdate())
    wang = ResidentFactory(name="王秀英", email="wang@example.cn")
    li = ResidentFactory(name="李建国")
    mine = NeedFactory(resident=wang, project=project, status=Need.Status.IN_PROJECT)
    also = NeedFactory(resident=li, project=project, status=Need.Status.ACCEPTED)
    declined = NeedFactory(project=project, status=Need.Status.DECLINED, staff_reply="重复")

    with django_capture_on_commit_callbacks(execute=True):
        services.complete_project(project=project.pk)

    for need in (mine, also, declined):
        need.refresh_from_db()
    assert (mine.status, also.status, declined.status) == (
        Need.Status.RESOLVED,
        Need.Status.RESOLVED,
        Need.Status.DECLINED,
    )
    assert mine.resolved_at is not None
    told = Notification.objects.filter(kind=Notification.Kind.NEED_ANSWERED)
    assert sorted(told.values_list("resident__name", flat=True)) == ["李建国", "王秀英"]
    assert [m.to for m in mail.outbox] == [["wang@example.cn"]]
    assert "已解决" in mail.outbox[0].subject


def test_a_failure_while_resolving_the_needs_leaves_the_project_as_it_was(monkeypatch):
    project = ServiceProjectFactory()
    need = NeedFactory(project=project, status=Need.Status.IN_PROJECT)

    def broken(**kwargs):
        raise RuntimeError("fault injected")

    monkeypatch.setattr(services, "triage_need", broken)
    with pytest.raises(RuntimeError):
        services.complete_project(project=project.pk)

    project.refresh_from_db()
    need.refresh_from_db()
    assert project.status == ServiceProject.Status.IN_PROGRESS
    assert need.status == Need.Status.IN_PROJECT


def test_staff_mark_a_project_done_in_the_back_office_only_with_milestones_done(staff_client):
    project = ServiceProjectFactory()
    MilestoneFactory(project=project)
    need = NeedFactory(project=project, status=Need.Status.IN_PROJECT)
    url = reverse("admin:activities_serviceproject_changelist")

    staff_client.post(url, {"action": "mark_done", "_selected_action": [project.pk]})
    project.refresh_from_db()
    assert project.status == ServiceProject.Status.IN_PROGRESS

    project.milestones.update(done_on=timezone.localdate())
    staff_client.post(url, {"action": "mark_done", "_selected_action": [project.pk]})
    project.refresh_from_db()
    need.refresh_from_db()
    assert project.status == ServiceProject.Status.DONE
    assert need.status == Need.Status.RESOLVED


def test_me_shows_works_affecting_my_building(resident_client):
    building = resident_client.resident.household.building
    other = BuildingFactory(complex=building.complex, number="99号楼")
    mine = ServiceProjectFactory(title="给水管更换", complex=building.complex, progress=60)
    mine.buildings.add(building)
    elsewhere = ServiceProjectFactory(title="别楼的工程", complex=building.complex)
    elsewhere.buildings.add(other)
    old = ServiceProjectFactory(
        title="去年的工程",
        status=ServiceProject.Status.DONE,
        progress=100,
        finished_on=timezone.localdate() - dt.timedelta(days=90),
    )
    old.buildings.add(building)

    html = resident_client.get(reverse("residents:me")).content.decode()

    assert "给水管更换" in html and "60%" in html
    assert "别楼的工程" not in html and "去年的工程" not in html


def test_me_without_a_household_shows_no_works(client):
    resident = ResidentFactory(household=None)
    client.force_login(resident.user)
    assert client.get(reverse("residents:me")).status_code == 200
