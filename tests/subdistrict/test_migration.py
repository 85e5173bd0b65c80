"""The migrations that made the subdistrict a record keep every community and link it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("residents", "0004_phone_and_activation_codes")]
AFTER = [("residents", "0007_community_subdistrict_required")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_distinct_subdistrict_text_becomes_one_record_and_blank_the_setting(settings):
    settings.SUBDISTRICT_NAME = "西站街道"
    try:
        old = _migrate(BEFORE)
        Community = old.get_model("residents", "Community")
        Community.objects.create(name="小西坪社区", subdistrict="", city="兰州")
        Community.objects.create(name="东岗社区", subdistrict="东站街道", city="兰州")
        Community.objects.create(name="西湖社区", subdistrict="东站街道")

        new = _migrate(AFTER)
        Community = new.get_model("residents", "Community")
        Subdistrict = new.get_model("residents", "Subdistrict")
        linked = dict(Community.objects.values_list("name", "subdistrict__name"))
        assert linked == {"小西坪社区": "西站街道", "东岗社区": "东站街道", "西湖社区": "东站街道"}
        assert sorted(Subdistrict.objects.values_list("name", "city")) == [
            ("东站街道", "兰州"),
            ("西站街道", "兰州"),
        ]

        back = _migrate(BEFORE)
        Community = back.get_model("residents", "Community")
        assert dict(Community.objects.values_list("name", "subdistrict")) == {
            "小西坪社区": "西站街道",
            "东岗社区": "东站街道",
            "西湖社区": "东站街道",
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
