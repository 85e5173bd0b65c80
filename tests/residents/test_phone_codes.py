"""Proving that one holds the phone (issue 11): texted codes and printed activation codes,
the one neutral answer for any number, and the throttles in the shared cache.
Services first, then the pages and the back office."""

import datetime as dt
import logging
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from residents import services, sms
from residents.models import ActivationCode, PhoneCode, Resident
from residents.selectors import PhoneStatus, phone_status
from tests.accounts import NEW_PASSWORD, last_code, prove_phone
from tests.factories import HouseholdFactory, ResidentFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/accounts/register/"
VERIFY = "/accounts/verify/"
CONTINUE = "/accounts/continue/"
ACTIVATE = "/accounts/activate/"
PHONE = "13912345678"


def send(phone=PHONE, client="10.0.0.1", replaces=None):
    return services.send_phone_code(phone=phone, client=client, replaces=replaces)


def check(row, code, *, phone=PHONE, client="10.0.0.1"):
    return services.check_phone_code(code_id=row.pk, phone=phone, code=code, client=client)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def staff_registered():
    return ResidentFactory(
        phone="13700000009", name="买买提·艾力", user=None, household=HouseholdFactory()
    )


# --- texted codes: the services -----------------------------------------------------------


def test_a_texted_code_is_six_digits_kept_only_as_a_keyed_hash():
    row = send()
    code = last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    assert [m.phone for m in sms.outbox] == [PHONE]
    row.refresh_from_db()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)
    assert check(row, code).used_at is not None


def test_a_texted_code_works_once():
    row = send()
    code = last_code(PHONE)
    check(row, code)
    with pytest.raises(ValidationError) as again:
        check(row, code)
    assert again.value.code == "void"


def test_a_texted_code_expires_after_ten_minutes():
    row = send()
    PhoneCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError) as error:
        check(row, last_code(PHONE))
    assert error.value.code == "expired"


def test_five_wrong_tries_void_the_code_and_count_every_try():
    row = send()
    code = last_code(PHONE)
    codes = []
    for _n in range(services.PHONE_CODE_TRIES):
        with pytest.raises(ValidationError) as error:
            check(row, wrong(code))
        codes.append(error.value.code)
    assert codes == ["wrong_code"] * (services.PHONE_CODE_TRIES - 1) + ["too_many_tries"]
    row.refresh_from_db()
    assert row.wrong_tries == services.PHONE_CODE_TRIES and row.voided_at is not None
    with pytest.raises(ValidationError) as error:
        check(row, code)
    assert error.value.code == "void"


def test_a_new_code_for_the_same_browser_voids_the_one_before():
    first = send()
    old = last_code(PHONE)
    from django.core.cache import cache

    cache.delete(services.CODE_COOLDOWN._key(PHONE))  # as a minute later
    second = send(replaces=first.pk)
    with pytest.raises(ValidationError) as error:
        check(first, old)
    assert error.value.code == "void"
    assert check(second, last_code(PHONE)).pk == second.pk


def test_a_strangers_codes_and_wrong_guesses_do_not_touch_the_residents_code():
    mine = send(client="10.0.0.1")
    my_code = last_code(PHONE)
    from django.core.cache import cache

    cache.delete(services.CODE_COOLDOWN._key(PHONE))
    theirs = send(client="198.51.100.9")
    for _n in range(services.PHONE_CODE_TRIES):
        with pytest.raises(ValidationError):
            check(theirs, "000000" if my_code != "000000" else "111111", client="198.51.100.9")
    assert check(mine, my_code).used_at is not None


def test_a_code_is_checked_against_its_own_number():
    row = send()
    with pytest.raises(ValidationError) as error:
        check(row, last_code(PHONE), phone="13900000000")
    assert error.value.code == "void"


def test_codes_wait_a_minute_between_sends_for_a_number():
    send()
    with pytest.raises(ValidationError) as error:
        send(client="10.0.0.2")
    assert error.value.code == "cooldown"
    assert len(sms.outbox) == 1


def test_codes_are_capped_per_number_and_per_client_a_day():
    from django.core.cache import cache

    for n in range(services.CODES_PER_PHONE.limit):
        cache.delete(services.CODE_COOLDOWN._key(PHONE))
        send(client=f"10.0.1.{n}")
    cache.delete(services.CODE_COOLDOWN._key(PHONE))
    with pytest.raises(ValidationError) as per_phone:
        send(client="10.0.2.1")
    assert per_phone.value.code == "daily_cap"

    for _n in range(services.CODES_PER_IP.limit):
        services.CODES_PER_IP.hit("10.9.9.9")
    with pytest.raises(ValidationError) as per_client:
        send(phone="13700000001", client="10.9.9.9")
    assert per_client.value.code == "daily_cap"
    assert send(phone="13700000001", client="10.9.9.10").pk


def test_wrong_codes_are_throttled_per_client_not_per_number():
    for _n in range(services.WRONG_CODES_PER_IP.limit):
        services.WRONG_CODES_PER_IP.hit("10.6.6.6")
    row = send()
    with pytest.raises(ValidationError) as error:
        check(row, last_code(PHONE), client="10.6.6.6")
    assert error.value.code == "throttled"
    assert check(row, last_code(PHONE), client="10.0.0.1").used_at is not None


def test_no_code_appears_in_the_logs(caplog):
    caplog.set_level(logging.DEBUG)
    row = send()
    code = last_code(PHONE)
    with pytest.raises(ValidationError):
        check(row, wrong(code))
    check(row, code)
    staff_registered = ResidentFactory(phone="13700000009", user=None)
    _, printed = services.issue_activation_code(resident=staff_registered)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert code not in logged and printed not in logged


# --- printed activation codes: the services -----------------------------------------------


def test_an_activation_code_is_ten_digits_hashed_valid_thirty_days(staff_registered):
    staff = StaffUserFactory()
    row, code = services.issue_activation_code(resident=staff_registered, issued_by=staff)
    assert len(code) == 10 and code.isdigit()
    assert code not in row.code_hash
    assert row.expires_at - row.created_at == dt.timedelta(days=30)
    assert row.created_by == staff


def test_activating_with_the_printed_code_sets_the_password_once(staff_registered):
    _, code = services.issue_activation_code(resident=staff_registered)
    resident = services.activate_with_code(
        phone="13700000009", code=code, password=NEW_PASSWORD, consent=True, client="10.0.0.1"
    )
    assert resident.user.check_password(NEW_PASSWORD)
    assert ActivationCode.objects.get().used_at is not None
    with pytest.raises(ValidationError) as again:
        services.activate_with_code(
            phone="13700000009", code=code, password=NEW_PASSWORD, consent=True, client="10.0.0.1"
        )
    assert again.value.code == "invalid_code"


def test_a_newer_activation_code_supersedes_the_older(staff_registered):
    _, old = services.issue_activation_code(resident=staff_registered)
    _, new = services.issue_activation_code(resident=staff_registered)
    with pytest.raises(ValidationError):
        services.activate_with_code(
            phone="13700000009", code=old, password=NEW_PASSWORD, consent=True, client="x"
        )
    assert ActivationCode.objects.filter(superseded_at__isnull=False).count() == 1
    assert services.activate_with_code(
        phone="13700000009", code=new, password=NEW_PASSWORD, consent=True, client="x"
    ).user_id


def test_an_expired_activation_code_is_refused(staff_registered):
    row, code = services.issue_activation_code(resident=staff_registered)
    ActivationCode.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    with pytest.raises(ValidationError) as error:
        services.activate_with_code(
            phone="13700000009", code=code, password=NEW_PASSWORD, consent=True, client="x"
        )
    assert error.value.code == "invalid_code"


def test_no_activation_code_for_a_resident_with_a_login_or_without_a_phone():
    for resident, reason in (
        (ResidentFactory(), "already_active"),
        (ResidentFactory(user=None, phone=""), "no_phone"),
    ):
        with pytest.raises(ValidationError) as error:
            services.issue_activation_code(resident=resident)
        assert error.value.code == reason


def test_a_strangers_wrong_activation_codes_never_lock_the_resident_out(staff_registered):
    _, code = services.issue_activation_code(resident=staff_registered)
    for n in range(40):
        with pytest.raises(ValidationError):
            services.activate_with_code(
                phone="13700000009",
                code=f"{n:010d}",
                password=NEW_PASSWORD,
                consent=True,
                client=f"198.51.100.{n}",
            )
    assert services.activate_with_code(
        phone="13700000009", code=code, password=NEW_PASSWORD, consent=True, client="10.0.0.1"
    ).user_id


def test_every_wrong_activation_gets_one_answer(staff_registered):
    _, code = services.issue_activation_code(resident=staff_registered)
    with_login = ResidentFactory(phone="13700000008")
    messages = set()
    for phone, typed in (
        ("13700000009", "0" * 10 if code != "0" * 10 else "1" * 10),  # wrong code
        ("13700000007", code),  # unknown number
        (with_login.phone, code),  # a number with an account
    ):
        with pytest.raises(ValidationError) as error:
            services.activate_with_code(
                phone=phone, code=typed, password=NEW_PASSWORD, consent=True, client="10.0.0.1"
            )
        messages.add((error.value.code, tuple(error.value.messages)))
    assert len(messages) == 1


def test_set_password_by_phone_refuses_back_office_logins():
    StaffUserFactory(username="13600000001")
    with pytest.raises(ValidationError) as error:
        services.set_password_by_phone(phone="13600000001", password=NEW_PASSWORD)
    assert error.value.code == "no_account"
    assert phone_status("13600000001") == PhoneStatus.UNAVAILABLE


def test_phone_status_tells_new_pending_and_account_apart(staff_registered):
    assert phone_status("13912345670") == PhoneStatus.NEW
    assert phone_status("13700000009") == PhoneStatus.PENDING
    assert phone_status(ResidentFactory().phone) == PhoneStatus.ACCOUNT


# --- one neutral answer for any number ----------------------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _first_steps(phone):
    client = Client(REMOTE_ADDR="10.0.0.5")
    client.get(REGISTER)
    start = client.post(REGISTER, {"phone": phone})
    page = client.get(VERIFY)
    typed = next(c * 6 for c in "0123" if c * 6 != last_code(phone))
    wrong_code = client.post(VERIFY, {"code": typed})
    assert typed == "000000", "the codes of the three numbers happened to be 000000"
    return [
        (r.status_code, r.get("Location"), CSRF.sub("", r.content.decode()))
        for r in (start, page, wrong_code)
    ]


def test_the_answer_is_the_same_for_unknown_pending_and_active_numbers():
    ResidentFactory(phone="13912345601", user=None)
    ResidentFactory(phone="13912345602")
    # The same masked number on each page: the numbers differ only in digits masked away.
    unknown = _first_steps("13912345600")
    pending = _first_steps("13912345601")
    active = _first_steps("13912345602")
    assert unknown[0][:2] == (302, VERIFY)
    masked = [[(s, loc, body.replace("139****5600", "X")) for s, loc, body in unknown]]
    for other, suffix in ((pending, "5601"), (active, "5602")):
        masked.append([(s, loc, body.replace(f"139****{suffix}", "X")) for s, loc, body in other])
    assert masked[0] == masked[1] == masked[2]
    assert [m.phone for m in sms.outbox] == ["13912345600", "13912345601", "13912345602"]


# --- the pages ----------------------------------------------------------------------------


def test_the_code_page_has_a_large_numeric_one_time_code_field(client):
    client.post(REGISTER, {"phone": PHONE})
    html = client.get(VERIFY).content.decode()
    field = html[html.index('name="code"') - 400 : html.index('name="code"') + 400]
    assert 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field
    assert "form-control-lg" in field
    assert "139****5678" in html and PHONE not in html


def test_a_wrong_code_on_the_page_says_how_many_tries_are_left(client):
    client.post(REGISTER, {"phone": PHONE})
    response = client.post(VERIFY, {"code": wrong(last_code(PHONE))})
    assert "还可以试 4 次" in response.content.decode()
    assert client.get(CONTINUE)["Location"] == REGISTER


def test_send_again_texts_a_new_code_after_the_cooldown(client):
    from django.core.cache import cache

    client.post(REGISTER, {"phone": PHONE})
    first = last_code(PHONE)
    too_soon = client.post(VERIFY, {"resend": "1"})
    assert too_soon.status_code == 429 and "请等一分钟" in too_soon.content.decode()
    cache.delete(services.CODE_COOLDOWN._key(PHONE))
    assert client.post(VERIFY, {"resend": "1"})["Location"] == VERIFY
    assert len(sms.outbox) == 2
    second = last_code(PHONE)
    if first != second:
        assert "验证码不正确" in client.post(VERIFY, {"code": first}).content.decode()
    assert client.post(VERIFY, {"code": second})["Location"] == CONTINUE
    assert PhoneCode.objects.filter(voided_at__isnull=False).count() == 1


def test_a_proven_phone_is_good_for_thirty_minutes(client):
    prove_phone(client, PHONE)
    assert client.get(CONTINUE).status_code == 200
    session = client.session
    proof = session["phone_proof"]
    proof["proven_at"] = (timezone.now() - dt.timedelta(minutes=31)).isoformat()
    session["phone_proof"] = proof
    session.save()
    assert client.get(CONTINUE)["Location"] == REGISTER


def test_forgot_password_page_starts_the_same_way_and_ends_logged_in(client):
    resident = ResidentFactory(phone=PHONE)
    page = client.get(reverse("residents:password_reset"))
    assert page.status_code == 200 and "忘记密码" in page.content.decode()
    assert client.post(reverse("residents:password_reset"), {"phone": PHONE})["Location"] == VERIFY
    client.post(VERIFY, {"code": last_code(PHONE)})
    response = client.post(CONTINUE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    resident.user.refresh_from_db()
    assert resident.user.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(resident.user_id)


def test_activating_with_the_printed_code_through_the_page(client, staff_registered):
    _, code = services.issue_activation_code(resident=staff_registered)
    response = client.post(
        ACTIVATE,
        {
            "phone": "137 0000 0009",
            "code": f"{code[:5]} {code[5:]}",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "consent": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/me/"
    staff_registered.refresh_from_db()
    assert client.session["_auth_user_id"] == str(staff_registered.user_id)


def test_a_wrong_printed_code_on_the_page_gets_the_neutral_answer(client, staff_registered):
    services.issue_activation_code(resident=staff_registered)
    data = {
        "code": "1234567890",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "consent": "on",
    }
    known = client.post(ACTIVATE, {**data, "phone": "13700000009"})
    unknown = client.post(ACTIVATE, {**data, "phone": "13700000001"})
    assert known.status_code == unknown.status_code == 200
    assert "手机号码或激活码不正确" in known.content.decode()
    strip = [
        CSRF.sub("", r.content.decode()).replace(p, "")
        for r, p in ((known, "13700000009"), (unknown, "13700000001"))
    ]
    assert strip[0] == strip[1]


# --- the back office ----------------------------------------------------------------------


def test_staff_print_a_slip_after_confirming(staff_client, staff_registered):
    url = reverse("admin:residents_resident_activation_code", args=[staff_registered.pk])
    change = staff_client.get(
        reverse("admin:residents_resident_change", args=[staff_registered.pk])
    )
    assert url in change.content.decode()
    ask = staff_client.get(url)
    assert ask.status_code == 200 and not ActivationCode.objects.exists()
    slip = staff_client.post(url, {"post": "yes"})
    html = slip.content.decode()
    assert slip.status_code == 200
    assert "no-store" in slip["Cache-Control"]
    code = re.search(r'class="code">(\d{5}) (\d{5})<', html)
    assert code
    assert "买**" in html and "137****0009" in html
    assert "http://testserver/accounts/activate/" in html and "<svg" in html
    row = ActivationCode.objects.get()
    assert row.code_hash != "".join(code.groups())
    history = staff_client.get(
        reverse("admin:residents_resident_history", args=[staff_registered.pk])
    )
    assert "激活码" in history.content.decode()
    assert (
        "有效"
        in staff_client.get(
            reverse("admin:residents_resident_change", args=[staff_registered.pk])
        ).content.decode()
    )


def test_the_print_action_makes_a_slip_per_resident_and_skips_those_with_a_login(staff_client):
    pending = [
        ResidentFactory(user=None, phone=f"1370000000{n}", household=HouseholdFactory())
        for n in range(3)
    ]
    with_login = ResidentFactory()
    changelist = reverse("admin:residents_resident_changelist")
    data = {
        "action": "print_activation_codes",
        "_selected_action": [r.pk for r in [*pending, with_login]],
    }
    assert staff_client.post(changelist, data).status_code == 200
    assert not ActivationCode.objects.exists()
    slips = staff_client.post(changelist, {**data, "post": "yes"})
    assert slips.content.decode().count('class="slip"') == 3
    assert ActivationCode.objects.count() == 3
    assert not Resident.objects.get(pk=with_login.pk).activation_codes.exists()


def test_the_secretary_cannot_print_activation_codes(secretary_client, staff_registered):
    url = reverse("admin:residents_resident_activation_code", args=[staff_registered.pk])
    assert secretary_client.get(url).status_code == 403
    assert secretary_client.post(url, {"post": "yes"}).status_code == 403
    assert not ActivationCode.objects.exists()


def test_deleting_ones_data_deletes_the_codes(staff_registered):
    services.issue_activation_code(resident=staff_registered)
    send(phone="13700000009")
    services.anonymise_resident(resident=staff_registered)
    assert not ActivationCode.objects.exists() and not PhoneCode.objects.exists()


def test_the_whole_way_in_english(client, staff_registered):
    start = client.get("/en/accounts/register/").content.decode()
    assert "Text me a code" in start and "获取短信验证码" not in start
    assert client.post("/en/accounts/register/", {"phone": "13700000009"})["Location"] == (
        "/en/accounts/verify/"
    )
    assert "Your code is" in sms.outbox[-1].text
    verify = client.get("/en/accounts/verify/").content.decode()
    assert "we have texted a code to it" in verify and "输入短信验证码" not in verify
    wrong_code = client.post("/en/accounts/verify/", {"code": wrong(last_code("13700000009"))})
    assert "4 tries left" in wrong_code.content.decode()
    client.post("/en/accounts/verify/", {"code": last_code("13700000009")})
    page = client.get("/en/accounts/continue/").content.decode()
    assert "The community staff registered you with this number" in page
    assert "激活账号" not in page
    activate = client.get("/en/accounts/activate/").content.decode()
    assert "Activate your account with an activation code" in activate


def test_the_daily_job_deletes_yesterdays_texted_codes():
    from io import StringIO

    from django.core.management import call_command

    old = send(phone="13700000001")
    PhoneCode.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    fresh = send(phone="13700000002")
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert list(PhoneCode.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert "old text-message codes deleted: 1" in out.getvalue()
