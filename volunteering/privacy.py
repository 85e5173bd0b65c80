"""What volunteering holds about residents: their report as a party member, their service
records (志愿服务记录), certificates and points ledger (积分).

Registered with the resident-data registry (`residents.privacy`): on /me/, in the data
download, and in "delete my data". Erasure means: upcoming volunteer places are cancelled
(the role's waiting list moves up); past service records stay (unit and monthly figures count
them) under the anonymised resident; the party-member report ends; every certificate issued
to the resident is withdrawn (its public verification page then says so and shows no name);
the ledger is append-only, so nothing is deleted from it: one last line takes the balance to
zero, and the reasons written on earlier lines lose the resident's name and phone.
"""

from __future__ import annotations

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.qr import qr_svg
from residents.models import Resident
from residents.privacy import ANONYMISED_NAME, Eraser, MePage, ResidentData, iso, register

from . import services
from .cards import card_code
from .models import Certificate, PartyMember, PointsEntry, RoleSignUp
from .selectors import service_records

#: Ledger lines shown on /me/ (the download has all of them).
LEDGER_SHOWN = 10
RECORDS_SHOWN = 30


def _organiser(record: RoleSignUp) -> str:
    partners = [p.name for p in record.activity.partners.all()]
    return "、".join(partners)


def _on_me(page: MePage) -> dict:
    resident = page.resident
    records = list(service_records(resident_ids=[resident.pk])[:RECORDS_SHOWN])
    for record in records:
        record.organiser = _organiser(record)
    totals = RoleSignUp.objects.served().filter(resident=resident).aggregate(h=Sum("hours"))
    upcoming = list(
        RoleSignUp.objects.active()
        .filter(resident=resident, activity__ends_at__gte=timezone.now(), hours__isnull=True)
        .select_related("activity", "role")
        .order_by("activity__starts_at")
    )
    ledger = list(
        PointsEntry.objects.filter(resident=resident)
        .select_related("item")
        .order_by("-seq")[:LEDGER_SHOWN]
    )
    balance = ledger[0].balance if ledger else 0
    code = card_code(resident.pk)
    desk = (
        page.request.build_absolute_uri(reverse("admin:volunteering_shop_desk")) + f"?code={code}"
    )
    member = PartyMember.objects.filter(resident=resident).prefetch_related("posts").first()
    return {
        "records": records,
        "total_hours": totals["h"] or 0,
        "upcoming_roles": upcoming,
        "certificates": list(
            Certificate.objects.filter(resident=resident, revoked_at__isnull=True)
        ),
        "ledger": ledger,
        "balance": balance,
        "card_code": code,
        "card_qr": qr_svg(desk, scale=4, title=code, css_class="qr-code")
        if ledger or records
        else "",
        "member": member,
        "this_year": timezone.localdate().year,
    }


def _export(resident: Resident, people: list[int]) -> dict:
    member = PartyMember.objects.filter(resident=resident).prefetch_related("posts").first()
    return {
        "party_member_report": (
            {
                "unit": str(member.unit) if member.unit_id else "",
                "reported_on": iso(member.reported_on),
                "posts": [p.name for p in member.posts.all()],
                "is_active": member.is_active,
            }
            if member
            else None
        ),
        "service_records": [
            {
                "activity": r.activity.title,
                "role": r.role.name,
                "status": r.status,
                "signed_up_at": iso(r.created_at),
                "checked_in_at": iso(r.checked_in_at),
                "checked_out_at": iso(r.checked_out_at),
                "hours": str(r.hours) if r.hours is not None else None,
                "hours_reason": r.hours_reason,
            }
            for r in RoleSignUp.objects.filter(resident=resident)
            .select_related("activity", "role")
            .order_by("created_at", "pk")
        ],
        "certificates": [
            {
                "serial": c.serial,
                "period": [iso(c.period_start), iso(c.period_end)],
                "hours": str(c.hours),
                "issued_on": iso(c.issued_on),
                "withdrawn_at": iso(c.revoked_at),
            }
            for c in Certificate.objects.filter(resident=resident).order_by("pk")
        ],
        "points": [
            {
                "kind": e.kind,
                "points": e.points,
                "balance": e.balance,
                "reason": e.reason,
                "at": iso(e.created_at),
                "expires_on": iso(e.expires_on),
            }
            for e in PointsEntry.objects.filter(resident=resident).order_by("seq")
        ],
    }


def _forget(eraser: Eraser) -> None:
    resident = eraser.resident
    now = timezone.now()
    upcoming = RoleSignUp.objects.active().filter(
        resident=resident, checked_in_at__isnull=True, activity__starts_at__gt=now
    )
    for pk in list(upcoming.values_list("pk", flat=True)):
        services.cancel_role_signup(signup=pk)
    PartyMember.objects.filter(resident=resident).update(is_active=False)
    Certificate.objects.filter(resident=resident).update(holder_name=ANONYMISED_NAME)
    Certificate.objects.filter(resident=resident, revoked_at__isnull=True).update(revoked_at=now)
    balance = services.balance_of(resident)
    if balance > 0:
        services._append(
            resident_id=resident.pk,
            kind=PointsEntry.Kind.EXPIRED,
            points=-balance,
            reason=_("本人删除数据，积分作废"),
        )
    PointsEntry.objects.filter(resident=resident).update(**eraser.scrub(PointsEntry, "reason"))
    RoleSignUp.objects.filter(resident=resident).update(**eraser.scrub(RoleSignUp, "hours_reason"))


def _notices(resident: Resident) -> list[str]:
    notices = []
    if RoleSignUp.objects.filter(resident=resident).exists():
        notices.append(
            _(
                "尚未开始的志愿岗位报名会被取消；过去的志愿服务时长以“已注销居民”的名义保留，只用于统计。"
            )
        )
    if Certificate.objects.filter(resident=resident, revoked_at__isnull=True).exists():
        notices.append(_("已出具的志愿服务证明会作废，扫码核验时显示“已作废”。"))
    if services.balance_of(resident) > 0:
        notices.append(_("您剩余的积分会作废，不能再兑换。"))
    return notices


register(
    ResidentData(
        key="volunteering",
        models=(
            "volunteering.PartyMember",
            "volunteering.RoleSignUp",
            "volunteering.Certificate",
            "volunteering.PointsEntry",
        ),
        export=_export,
        forget=_forget,
        forget_notices=_notices,
        me_template="volunteering/includes/me_service.html",
        me_context=_on_me,
        order=15,
    )
)
