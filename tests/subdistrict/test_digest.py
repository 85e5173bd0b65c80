"""The staff's daily e-mail digest tells each staff user about their own communities only;
the subdistrict's staff get every community's."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from activities import reminders
from residents.models import StaffNotice
from tests.factories import (
    AgreementFactory,
    CommunityFactory,
    ComplexFactory,
    NeedFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
    SubdistrictStaffUserFactory,
)

pytestmark = pytest.mark.django_db


def _community_with_work(subdistrict, prefix: str):
    community = CommunityFactory(name=f"{prefix}社区", subdistrict=subdistrict)
    complex_ = ComplexFactory(community=community, name=f"{prefix}苑")
    today = timezone.localdate()
    AgreementFactory(
        complex=complex_, title=f"{prefix}快到期的协议", ends_on=today + dt.timedelta(days=20)
    )
    NeedFactory(
        complex=complex_,
        title=f"{prefix}路灯不亮",
        created_at=timezone.now() - dt.timedelta(hours=1),
    )
    return community


def _staff(email: str, **place):
    factory = SubdistrictStaffUserFactory if "subdistrict" in place else StaffUserFactory
    user = factory(email=email)
    StaffScopeFactory(user=user, **place)
    return user


def test_each_staff_user_gets_the_digest_of_their_own_community_and_the_subdistrict_all():
    subdistrict = SubdistrictFactory()
    a = _community_with_work(subdistrict, "甲")
    b = _community_with_work(subdistrict, "乙")
    _staff("a1@example.cn", community=a)
    _staff("a2@example.cn", community=a)
    _staff("b@example.cn", community=b)
    _staff("jiedao@example.cn", community=None, subdistrict=subdistrict)

    assert reminders.send_staff_digest() is True
    assert reminders.send_staff_digest() is False

    by_recipients = {tuple(message.to): message.body for message in mail.outbox}
    assert set(by_recipients) == {
        ("a1@example.cn", "a2@example.cn"),
        ("b@example.cn",),
        ("jiedao@example.cn",),
    }
    to_a = by_recipients[("a1@example.cn", "a2@example.cn")]
    assert "甲快到期的协议" in to_a and "甲路灯不亮" in to_a and "乙" not in to_a
    to_b = by_recipients[("b@example.cn",)]
    assert "乙快到期的协议" in to_b and "乙路灯不亮" in to_b and "甲" not in to_b
    to_subdistrict = by_recipients[("jiedao@example.cn",)]
    assert all(
        title in to_subdistrict
        for title in ("甲快到期的协议", "乙快到期的协议", "甲路灯不亮", "乙路灯不亮")
    )
    assert StaffNotice.objects.count() == 1


def test_a_community_with_nothing_to_do_gets_no_digest():
    subdistrict = SubdistrictFactory()
    a = _community_with_work(subdistrict, "甲")
    quiet = CommunityFactory(name="静社区", subdistrict=subdistrict)
    _staff("a@example.cn", community=a)
    _staff("quiet@example.cn", community=quiet)

    assert reminders.send_staff_digest() is True

    assert [message.to for message in mail.outbox] == [["a@example.cn"]]
