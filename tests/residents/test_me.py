"""The resident's own page /me/: sign-ups with check-in codes, household, feedback,
leads and needs."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity, Feedback, SignUp
from activities.privacy import my_signups
from residents.models import Resident
from tests.factories import (
    ActivityFactory,
    LeadFactory,
    NeedFactory,
    ResidentFactory,
    SignUpFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ME = "/me/"


def past_activity(**kwargs):
    starts = timezone.now() - dt.timedelta(days=10)
    return ActivityFactory(
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        status=Activity.Status.HELD,
        **kwargs,
    )


def attended(resident, activity=None):
    return SignUpFactory(
        resident=resident,
        activity=activity or past_activity(),
        attended=True,
        checked_in_at=timezone.now() - dt.timedelta(days=10),
    )


def child_of(resident, name="王小明", birth_year=2016):
    resident.is_verified = True  # staff verified the guardian's address
    resident.save(update_fields=["is_verified"])
    return ResidentFactory(
        household=resident.household, name=name, birth_year=birth_year, phone="", user=None
    )


def test_me_needs_login(client):
    response = client.get(ME)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('residents:login')}?next=/me/"


def test_me_shows_an_upcoming_sign_up_with_code_qr_and_cancel_button(resident_client):
    resident = resident_client.resident
    signup = activity_services.sign_up(
        activity=ActivityFactory(title="公益瑜伽课"), resident=resident
    ).signup
    response = resident_client.get(ME)
    assert response.status_code == 200
    body = response.content.decode()
    assert "公益瑜伽课" in body
    assert "已报名" in body
    assert signup.check_in_code in body
    assert "<svg" in body and 'class="qr-code"' in body
    cancel_url = reverse("activities:cancel", args=[signup.activity_id])
    assert f'action="{cancel_url}"' in body
    assert 'name="next" value="/me/"' in body


def _upcoming(resident, count, *, starts=None):
    """`count` confirmed sign-ups of the resident, a day apart from `starts` (default tomorrow)."""
    starts = starts or timezone.now() + dt.timedelta(days=1)
    return [
        SignUpFactory(
            resident=resident,
            activity=ActivityFactory(
                title=f"活动{n:02d}",
                starts_at=starts + dt.timedelta(days=n),
                ends_at=starts + dt.timedelta(days=n, hours=2),
            ),
        )
        for n in range(count)
    ]


def test_me_draws_the_qr_of_the_next_three_sign_ups_and_links_the_others(resident_client):
    signups = _upcoming(resident_client.resident, 5)
    body = resident_client.get(ME).content.decode()
    assert body.count('class="qr-code"') == 3
    for signup in signups:  # every code is on the page, in figures
        assert signup.check_in_code in body
    for signup in signups[3:]:
        assert reverse("activities:my_code", args=[signup.pk]) in body
    for signup in signups[:3]:
        assert reverse("activities:my_code", args=[signup.pk]) not in body


def test_me_draws_the_qr_of_every_sign_up_under_way_today(resident_client):
    now = timezone.now()
    _upcoming(resident_client.resident, 4, starts=now - dt.timedelta(minutes=30))
    for signup in SignUp.objects.filter(resident=resident_client.resident):
        Activity.objects.filter(pk=signup.activity_id).update(
            starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(hours=2)
        )
    body = resident_client.get(ME).content.decode()
    assert body.count('class="qr-code"') == 4


def test_me_shows_ten_upcoming_sign_ups_and_a_link_to_all_of_them(resident_client):
    signups = _upcoming(resident_client.resident, 12)
    body = resident_client.get(ME).content.decode()
    assert body.count("my-signup") == 10
    assert "活动09" in body and "活动10" not in body
    assert "显示全部 12 个报名" in body
    assert "/me/?upcoming=all#upcoming" in body

    everything = resident_client.get(ME, {"upcoming": "all"}).content.decode()
    assert everything.count("my-signup") == 12
    assert signups[11].check_in_code in everything
    assert everything.count('class="qr-code"') == 3
    assert "显示全部" not in everything


def test_my_code_page_shows_the_code_and_qr_of_my_sign_up(resident_client):
    signup = _upcoming(resident_client.resident, 1)[0]
    response = resident_client.get(reverse("activities:my_code", args=[signup.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert signup.check_in_code in body
    assert 'class="qr-code"' in body
    assert "活动00" in body
    assert f"/me/#signup-{signup.pk}" in body


def test_my_code_page_shows_a_child_s_code_to_the_guardian(resident_client):
    child = child_of(resident_client.resident)
    signup = SignUpFactory(resident=child)
    response = resident_client.get(reverse("activities:my_code", args=[signup.pk]))
    assert response.status_code == 200
    assert "为王小明报名" in response.content.decode()


@pytest.mark.parametrize(
    "make",
    [
        lambda me: SignUpFactory(),  # someone else's
        lambda me: SignUpFactory(resident=me, status=SignUp.Status.WAITLISTED, confirmed_at=None),
        lambda me: SignUpFactory(
            resident=me, activity=ActivityFactory(status=Activity.Status.CANCELLED)
        ),
    ],
    ids=["someone-else-s", "waitlisted", "activity-cancelled"],
)
def test_my_code_page_is_404_without_a_code_of_mine(resident_client, make):
    signup = make(resident_client.resident)
    response = resident_client.get(reverse("activities:my_code", args=[signup.pk]))
    assert response.status_code == 404


def test_my_code_page_needs_login(client):
    signup = SignUpFactory()
    response = client.get(reverse("activities:my_code", args=[signup.pk]))
    assert response.status_code == 302


def test_me_shows_children_s_sign_ups_with_a_resident_field_on_cancel(resident_client):
    resident = resident_client.resident
    child = child_of(resident)
    activity = ActivityFactory(title="青少年科学兴趣小组")
    activity_services.sign_up(activity=activity, resident=child, by=resident.user)
    body = resident_client.get(ME).content.decode()
    assert "青少年科学兴趣小组" in body
    assert "为王小明报名" in body
    assert f'name="resident" value="{child.pk}"' in body


def test_me_does_not_show_other_residents_sign_ups(resident_client):
    other = ResidentFactory()
    activity_services.sign_up(activity=ActivityFactory(title="别人的活动"), resident=other)
    body = resident_client.get(ME).content.decode()
    assert "别人的活动" not in body


def test_me_shows_waiting_list_position(resident_client):
    activity = ActivityFactory(capacity=1)
    activity_services.sign_up(activity=activity, resident=ResidentFactory())
    activity_services.sign_up(activity=activity, resident=ResidentFactory())
    signup = activity_services.sign_up(activity=activity, resident=resident_client.resident).signup
    assert activity_services.waitlist_position(signup) == 2
    body = resident_client.get(ME).content.decode()
    assert "候补第2位" in body
    assert signup.check_in_code not in body  # no code until a seat is confirmed


def test_waitlist_positions_from_the_selector_match_the_service():
    activity = ActivityFactory(capacity=1)
    residents = ResidentFactory.create_batch(5)
    signups = [activity_services.sign_up(activity=activity, resident=r).signup for r in residents]
    # Two sign-ups at the same instant are ordered by pk, as the service orders them.
    SignUp.objects.filter(pk__in=[signups[2].pk, signups[3].pk]).update(
        created_at=signups[2].created_at
    )
    mine = my_signups(resident_ids=[r.pk for r in residents])
    positions = {s.pk: s.waitlist_position for s in mine.upcoming}
    for signup in signups:
        signup.refresh_from_db()
        assert positions[signup.pk] == activity_services.waitlist_position(signup)
    assert sorted(p for p in positions.values() if p) == [1, 2, 3, 4]


def test_promotion_notice_is_shown_once(resident_client):
    resident = resident_client.resident
    activity = ActivityFactory(title="消防演练", capacity=1)
    first = activity_services.sign_up(activity=activity, resident=ResidentFactory()).signup
    mine = activity_services.sign_up(activity=activity, resident=resident).signup
    activity_services.cancel(signup=first)
    mine.refresh_from_db()
    assert mine.promotion_unseen
    body = resident_client.get(ME).content.decode()
    assert "您候补的“消防演练”已转为报名成功" in body
    mine.refresh_from_db()
    assert not mine.promotion_unseen
    assert "已转为报名成功" not in resident_client.get(ME).content.decode()


def test_promotion_notice_names_the_child(resident_client):
    child = child_of(resident_client.resident, name="王小红")
    activity = ActivityFactory(title="电梯困人救援演练", capacity=1)
    first = activity_services.sign_up(activity=activity, resident=ResidentFactory()).signup
    activity_services.sign_up(activity=activity, resident=child)
    activity_services.cancel(signup=first)
    body = resident_client.get(ME).content.decode()
    assert "王小红候补的“电梯困人救援演练”已转为报名成功" in body


def test_me_shows_past_attendance_and_a_rating_form(resident_client):
    signup = attended(resident_client.resident, past_activity(title="法律援助进小区"))
    body = resident_client.get(ME).content.decode()
    assert "法律援助进小区" in body
    assert "已参加" in body
    assert reverse("activities:feedback", args=[signup.pk]) in body
    assert 'name="rating"' in body and "同意工作人员公开我的评价" in body


def test_me_shows_household_with_children_s_ages_and_masks_other_adults(resident_client):
    resident = resident_client.resident
    child_of(resident, name="王小明", birth_year=timezone.localdate().year - 9)
    ResidentFactory(household=resident.household, name="阿依古丽·吐尔逊", phone="13811112222")
    body = resident_client.get(ME).content.decode()
    assert "王小明" in body and "9 岁" in body
    assert "阿依古丽·吐尔逊" not in body and "阿***" in body
    assert "13811112222" not in body


def test_me_lists_my_leads_and_needs_with_their_status(resident_client):
    resident = resident_client.resident
    LeadFactory(offered_by=resident, organisation="兰州某大学", stage="contacted")
    NeedFactory(resident=resident, title="楼道灯坏了", status="accepted")
    LeadFactory(organisation="别人的线索")
    body = resident_client.get(ME).content.decode()
    assert "兰州某大学" in body and "已联系" in body
    assert "楼道灯坏了" in body and "已受理" in body
    assert "别人的线索" not in body


def test_staff_without_a_resident_record_get_a_friendly_page(staff_client):
    response = staff_client.get(ME)
    assert response.status_code == 200
    assert "没有居民资料" in response.content.decode()


def test_a_login_without_a_resident_record_gets_a_friendly_page(client):
    client.force_login(UserFactory())
    response = client.get(ME)
    assert response.status_code == 200
    assert "没有居民资料" in response.content.decode()


def _me_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME)
    assert response.status_code == 200
    return len(queries)


def _make_signups(resident, count):
    """A mix: upcoming confirmed and waitlisted, past attended with and without feedback."""
    child = child_of(resident)
    for n in range(count):
        kind = n % 4
        if kind == 0:
            SignUpFactory(resident=resident)
        elif kind == 1:
            SignUpFactory(resident=child, status=SignUp.Status.WAITLISTED, confirmed_at=None)
        elif kind == 2:
            attended(resident)
        else:
            Feedback.objects.create(signup=attended(child), rating=4, comment="好")
    LeadFactory(offered_by=resident)
    NeedFactory(resident=resident)


def test_me_query_count_does_not_grow_with_sign_ups(client):
    few, many = ResidentFactory(), ResidentFactory()
    _make_signups(few, 5)
    _make_signups(many, 200)
    client.force_login(few.user)
    client.get(ME)  # warm up: session, content types
    few_queries = _me_queries(client)
    client.force_login(many.user)
    client.get(ME)
    many_queries = _me_queries(client)
    assert few_queries == many_queries


# --- feedback ---------------------------------------------------------------------------


def test_feedback_needs_login(client):
    signup = attended(ResidentFactory())
    response = client.post(reverse("activities:feedback", args=[signup.pk]), {"rating": "5"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("residents:login"))
    assert not Feedback.objects.exists()


def test_attendee_rates_an_activity(resident_client):
    signup = attended(resident_client.resident)
    url = reverse("activities:feedback", args=[signup.pk])
    assert resident_client.get(url).status_code == 200
    response = resident_client.post(
        url, {"rating": "4", "comment": "老师很耐心", "may_publish": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/me/#signup-{signup.pk}"
    feedback = Feedback.objects.get(signup=signup)
    assert (feedback.rating, feedback.comment, feedback.may_publish) == (4, "老师很耐心", True)
    resident_client.post(url, {"rating": "2"})
    feedback.refresh_from_db()
    assert (feedback.rating, feedback.comment, feedback.may_publish) == (2, "", False)


def test_guardian_rates_a_child_s_activity(resident_client):
    signup = attended(child_of(resident_client.resident))
    response = resident_client.post(
        reverse("activities:feedback", args=[signup.pk]), {"rating": "5"}
    )
    assert response.status_code == 302
    assert Feedback.objects.get(signup=signup).rating == 5


def test_feedback_is_refused_with_a_message_when_not_attended(resident_client):
    signup = SignUpFactory(resident=resident_client.resident, activity=past_activity())
    response = resident_client.post(
        reverse("activities:feedback", args=[signup.pk]), {"rating": "5"}, follow=True
    )
    assert response.status_code == 200
    assert "只有参加了活动" in response.content.decode()
    assert not Feedback.objects.exists()


def test_feedback_on_someone_else_s_sign_up_is_404(resident_client):
    signup = attended(ResidentFactory())
    response = resident_client.post(
        reverse("activities:feedback", args=[signup.pk]), {"rating": "5"}
    )
    assert response.status_code == 404
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("rating", ["", "0", "6", "abc"])
def test_feedback_with_a_bad_rating_shows_the_form_again(resident_client, rating):
    signup = attended(resident_client.resident)
    response = resident_client.post(
        reverse("activities:feedback", args=[signup.pk]), {"rating": rating}
    )
    assert response.status_code == 200
    assert "请选择1到5颗星" in response.content.decode()
    assert not Feedback.objects.exists()


def test_feedback_is_post_or_get_only(resident_client):
    signup = attended(resident_client.resident)
    response = resident_client.put(reverse("activities:feedback", args=[signup.pk]))
    assert response.status_code == 405


# --- household --------------------------------------------------------------------------


def test_household_page_needs_login(client):
    response = client.get("/me/household/")
    assert response.status_code == 302


def test_guardian_adds_a_child_to_the_household(resident_client):
    resident = resident_client.resident
    Resident.objects.filter(pk=resident.pk).update(is_verified=True)  # staff verified
    assert resident_client.get("/me/household/").status_code == 200
    response = resident_client.post("/me/household/", {"name": "王 小明", "birth_year": "2016"})
    assert response.status_code == 302
    child = Resident.objects.get(name="王 小明")
    assert child.household == resident.household
    assert child.user is None and child.phone == ""
    assert child.birth_year == 2016
    assert "王 小明" in resident_client.get(ME).content.decode()


def test_adding_a_child_refuses_a_bad_birth_year_and_duplicates(resident_client):
    Resident.objects.filter(pk=resident_client.resident.pk).update(is_verified=True)
    year = timezone.localdate().year
    response = resident_client.post("/me/household/", {"name": "王小明", "birth_year": year + 1})
    assert response.status_code == 200
    assert "出生年份应在1900年" in response.content.decode()
    resident_client.post("/me/household/", {"name": "王小明", "birth_year": "2016"})
    response = resident_client.post("/me/household/", {"name": "王小明", "birth_year": "2016"})
    assert "这位家庭成员已经登记过了" in response.content.decode()
    assert Resident.objects.filter(name="王小明").count() == 1


def test_my_signups_reads_only_the_upcoming_shown_and_counts_them_all():
    resident = ResidentFactory()
    signups = _upcoming(resident, 4)
    attended(resident)
    mine = my_signups(resident_ids=[resident.pk], upcoming_shown=2)
    assert [s.pk for s in mine.upcoming] == [s.pk for s in signups[:2]]
    assert (mine.upcoming_total, mine.past_total, mine.attended_total) == (4, 1, 1)
    everything = my_signups(resident_ids=[resident.pk])
    assert [s.pk for s in everything.upcoming] == [s.pk for s in signups]
