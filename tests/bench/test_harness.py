"""The benchmark's instrument (bench/): its reference views, its Django side, and the
report it prints. No timing is asserted: these check that `make bench` measures what it
says it measures."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from activities.models import Activity, SignUp
from bench import prepare, run
from tests.factories import ActivityFactory, ResidentFactory, SecretaryUserFactory

pytestmark = pytest.mark.django_db


# --- the reference views (only in bench.urls, i.e. with BENCH_VIEWS=1) -------------------


def test_the_reference_views_do_not_exist_without_the_bench_urlconf(client):
    assert client.get("/bench/floor").status_code == 404


@pytest.mark.urls("bench.urls")
def test_the_floor_answers_through_the_whole_middleware(client):
    response = client.get("/bench/floor")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"  # the middleware ran
    assert "Content-Security-Policy" in response


@pytest.mark.urls("bench.urls")
def test_the_primary_key_view_reads_the_activity_and_404s_on_a_missing_one(client):
    activity = ActivityFactory(title="消防演练")
    assert client.get(f"/bench/pk/{activity.pk}").content.decode() == "消防演练"
    assert client.get(f"/bench/pk/{activity.pk + 1000}").status_code == 404


@pytest.mark.urls("bench.urls")
def test_the_insert_view_inserts_one_row_per_post_checked_against_csrf():
    from django.db import connection

    from bench.views import INSERT_TABLE, ensure_insert_table

    ensure_insert_table()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/bench/insert").status_code == 403
    token = "a" * 32
    strict.cookies["csrftoken"] = token
    assert strict.post("/bench/insert", HTTP_X_CSRFTOKEN=token).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {INSERT_TABLE}")
        assert cursor.fetchone()[0] == 1


@pytest.mark.urls("bench.urls")
def test_the_logged_in_insert_refuses_an_anonymous_post_and_inserts_for_a_resident():
    from django.db import connection

    from bench.views import INSERT_TABLE, ensure_insert_table

    ensure_insert_table()
    client = Client()
    assert client.post("/bench/insert-logged-in").status_code == 403
    client.force_login(ResidentFactory().user)
    assert client.post("/bench/insert-logged-in").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {INSERT_TABLE}")
        assert cursor.fetchone()[0] == 1


# --- the Django side: sessions, sign-up requests, the check after the run ---------------


@pytest.fixture
def prepared(tmp_path, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    residents = ResidentFactory.create_batch(3)
    SecretaryUserFactory()
    ActivityFactory()  # an upcoming activity for the activity page
    state_file, signups_file = tmp_path / "state.json", tmp_path / "signups.tsv"
    prepare.setup(out=str(state_file), signups_file=str(signups_file), capacity=2)
    return residents, json.loads(state_file.read_text()), signups_file.read_text().splitlines()


def test_setup_writes_one_sign_up_request_per_resident_and_activity(prepared):
    residents, state, lines = prepared
    assert len(state["signup_activities"]) == prepare.SIGNUP_ACTIVITIES
    assert len(lines) == len(residents) * prepare.SIGNUP_ACTIVITIES == state["signup_requests"]
    paths = [line.split("\t")[0] for line in lines]
    assert len(set(zip(paths, [line.split("\t")[1] for line in lines], strict=True))) == len(lines)
    # consecutive requests go to different activities
    assert paths[0] != paths[1]


def test_a_session_written_by_setup_signs_the_resident_up_over_http(prepared, settings):
    residents, state, lines = prepared
    path, cookies, token = lines[0].split("\t")
    client = Client(enforce_csrf_checks=True)
    for pair in cookies.split("; "):
        name, value = pair.split("=", 1)
        client.cookies[name] = value
    response = client.post(path, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert SignUp.objects.filter(activity_id=state["signup_activities"][0]).count() == 1


def test_the_secretary_session_opens_the_summary(prepared):
    _, state, _ = prepared
    client = Client()
    client.cookies[state["session_cookie"]] = state["secretary_session"]
    assert client.get(state["summary_path"]).status_code == 200


def test_check_counts_the_sign_ups_and_finds_no_overbooking_when_the_service_made_them(
    prepared, tmp_path
):
    from activities import services

    residents, state, _ = prepared
    activity_id = state["signup_activities"][0]
    for resident in residents:  # capacity 2: the third waits
        services.sign_up(activity=activity_id, resident=resident)
    checked = prepare.check(state=str(tmp_path / "state.json"))
    assert checked == {"signups": 3, "confirmed": 2, "overbooked": [], "duplicates": 0}


def test_check_reports_an_activity_confirmed_above_its_capacity(prepared, tmp_path):
    residents, state, _ = prepared
    activity_id = state["signup_activities"][1]
    for n, resident in enumerate(residents):
        SignUp.objects.create(
            activity_id=activity_id,
            resident=resident,
            status=SignUp.Status.CONFIRMED,
            check_in_code=f"{n:06d}",
            created_at=timezone.now() - dt.timedelta(minutes=n),
        )
    checked = prepare.check(state=str(tmp_path / "state.json"))
    assert checked["overbooked"] == [{"activity": activity_id, "confirmed": 3, "capacity": 2}]


def test_setup_again_removes_what_the_last_run_left(prepared, tmp_path):
    prepare.setup(
        out=str(tmp_path / "again.json"), signups_file=str(tmp_path / "again.tsv"), capacity=2
    )
    assert (
        Activity.objects.filter(title__startswith=prepare.BENCH_TITLE).count()
        == prepare.SIGNUP_ACTIVITIES
    )


# --- the report ------------------------------------------------------------------------


def _cfg(sizes):
    return run.parse(["--sizes", ",".join(sizes), "--rounds", "1"])


def _results(rps: dict) -> dict:
    return {
        (key, c): [{"rps": value * (2 if c == 8 else 1)}]
        for key, value in rps.items()
        for c in (1, 8)
    }


def test_the_report_compares_each_page_with_the_floor_of_its_server():
    cfg = _cfg(["S"])
    state = {"S": {"pk_path": "/bench/pk/1", "detail_path": "/activities/1/", "summary_path": ""}}
    scs = run.scenarios(cfg.sizes, "S", state)
    rps = {sc.key: 100.0 for sc in scs} | {"floor_S": 1000.0, "list_S": 300.0, "home_S": 100.0}
    table, ok = run.report(cfg, scs, _results(rps), {"ok": True})
    rows = {line.split(" | ")[0]: line for line in table.splitlines()}
    assert (
        "| 0.300 |" in rows["| `/activities/` at S"]
        and "**no**" not in rows["| `/activities/` at S"]
    )
    assert "**no**" in rows["| `/` at S"]  # 0.1 < 0.25
    assert ok is False


def test_the_report_holds_sign_ups_against_the_insert_floor_and_the_check():
    cfg = _cfg(["S"])
    state = {"S": {"pk_path": "/bench/pk/1", "detail_path": "/activities/1/", "summary_path": ""}}
    scs = run.scenarios(cfg.sizes, "S", state)
    rps = {sc.key: 1.0 for sc in scs} | {"insert_S": 100.0, "signups_S": 60.0}
    table, _ = run.report(cfg, scs, _results(rps), {"ok": True})
    signups = next(line for line in table.splitlines() if "sign-ups" in line)
    assert "0.600 (of insert)" in signups and signups.endswith("| yes |")
    table, _ = run.report(cfg, scs, _results(rps), {"ok": False})
    assert next(line for line in table.splitlines() if "sign-ups" in line).endswith("**no** |")


def test_the_report_gives_l_over_s_for_every_page_measured_at_both_sizes():
    cfg = _cfg(["S", "L"])
    one = {"pk_path": "/bench/pk/1", "detail_path": "/activities/1/", "summary_path": "/s/"}
    scs = run.scenarios(cfg.sizes, "L", {"S": one, "L": one})
    rps = {sc.key: 100.0 for sc in scs} | {"list_L": 50.0}
    table, _ = run.report(cfg, scs, _results(rps), {"ok": True})
    lines = table.splitlines()
    assert next(x for x in lines if x.startswith("| list |")).endswith("| ≥ 0.8 | **no** |")
    assert next(x for x in lines if x.startswith("| home |")).endswith("| ≥ 0.8 | yes |")


def test_the_latest_run_replaces_the_last_one_between_the_markers(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nnotes kept\n")
    monkeypatch.setattr(run, "RESULTS", results)
    run.write_results("first")
    run.write_results("second")
    text = results.read_text()
    assert "notes kept" in text and "second" in text and "first" not in text


def test_the_fingerprint_of_l_changes_with_seed_bench_but_not_that_of_s(monkeypatch):
    before = run.fingerprint("S"), run.fingerprint("L")
    monkeypatch.setattr(run, "L_SEED", [*run.L_SEED, "--seed", "1"])
    assert run.fingerprint("S") == before[0]
    assert run.fingerprint("L") != before[1]


def test_the_subdistrict_is_built_from_its_own_seed_and_skipped_by_a_quick_run(monkeypatch):
    assert run.fingerprint("SUB") != run.fingerprint("L")
    assert "--communities" in run.seed_args("SUB") and run.seed_args("S") == []
    before = run.fingerprint("SUB")
    monkeypatch.setattr(run, "SUB_SEED", [*run.SUB_SEED, "--seed", "1"])
    assert run.fingerprint("SUB") != before
    assert run.parse([]).subdistrict is True
    assert run.parse(["--quick"]).subdistrict is False
    assert run.parse(["--no-subdistrict"]).subdistrict is False


def test_the_report_reads_the_sign_ups_against_the_logged_in_insert_too():
    cfg = _cfg(["S"])
    state = {"S": {"pk_path": "/bench/pk/1", "detail_path": "/activities/1/", "summary_path": ""}}
    scs = run.scenarios(cfg.sizes, "S", state)
    assert any(sc.kind == "insert_in" and sc.who == "resident" for sc in scs)
    rps = {sc.key: 1.0 for sc in scs} | {"insert_in_S": 50.0, "signups_S": 20.0}
    table, _ = run.report(cfg, scs, _results(rps), {"ok": True})
    assert (
        "Sign-ups against the logged-in insert (for reading, no target): c=1 0.400, c=8 0.400."
        in table
    )


def test_an_insert_post_carries_the_csrf_cookie_and_for_a_resident_the_session():
    state = {
        "csrf_cookie": "csrftoken",
        "csrf_token": "t",
        "session_cookie": "sessionid",
        "resident_session": "s",
    }
    assert run.insert_cookies(state, "anonymous") == "csrftoken=t"
    assert run.insert_cookies(state, "resident") == "csrftoken=t; sessionid=s"
