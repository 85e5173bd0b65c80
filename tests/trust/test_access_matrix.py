"""Every URL × anonymous, resident A, resident B, a guardian, staff and the party secretary.

The expected answers are in access_matrix.txt beside this file, one row per URL pattern
(reviewed: residents never reach the back office or the summary, B never reaches A's
records, the secretary reads but neither adds, deletes, imports nor exports). A new URL
fails here until someone adds its row, so no feature opens a hole silently.
"""

from pathlib import Path

import pytest

from tests.trust.access_matrix_world import ROLES, build_world, client_for, concrete, walk

pytestmark = pytest.mark.django_db

MATRIX = Path(__file__).with_name("access_matrix.txt")


def expected() -> dict[str, dict[str, int]]:
    rows = {}
    for line in MATRIX.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        statuses, _, template = line.partition("  ")
        rows[template.strip()] = dict(zip(ROLES, map(int, statuses.split()), strict=True))
    return rows


def test_every_url_has_a_row_in_the_matrix():
    missing = sorted(set(walk()) - set(expected()))
    assert missing == [], f"add these URLs to {MATRIX.name}: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_matrix_says(role):
    world = build_world()
    client = client_for(world, role)
    wrong = []
    present = set(walk())
    for template, answers in expected().items():
        if template not in present:
            continue
        status = client.get(concrete(template, world)).status_code
        if status != answers[role]:
            wrong.append((template, answers[role], status))
    assert wrong == []


def test_a_guardian_reaches_the_childs_records_and_no_one_else_does():
    world = build_world()
    url = f"/me/feedback/{world.signup_child.pk}/"
    guardian = client_for(world, "guardian").get(url)
    assert guardian.status_code == 302  # to /me/ with "only after attending", not 404
    assert "/me/" in guardian["Location"]
    for role in ("resident_a", "resident_b"):
        assert client_for(world, role).get(url).status_code == 404
