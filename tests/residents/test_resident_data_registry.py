"""The resident-data registry: every app's records about residents take part in /me/, the
download and erasure, and a model that forgets to register is caught by a system check."""

import pytest
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from residents import privacy
from residents.checks import check_resident_data_registered, unregistered_models
from residents.models import Resident


def test_every_model_pointing_at_residents_is_registered():
    assert unregistered_models() == []
    assert check_resident_data_registered() == []


def test_the_registry_names_each_apps_records_in_page_order():
    keys = [data.key for data in privacy.registered()]
    assert keys == [
        "profile",
        "inbox",
        "signups",
        "feedback",
        "call_list",
        "volunteering",
        "household",
        "works",
        "needs",
        "leads",
        "activation_codes",
    ]
    assert {"activities.signup", "activities.need", "partners.lead", "residents.resident"} <= (
        privacy.covered_models()
    )


@isolate_apps("residents")
def test_a_new_model_with_a_foreign_key_to_residents_fails_the_system_check():
    class Parcel(models.Model):  # noqa: DJ008
        recipient = models.ForeignKey(Resident, on_delete=models.CASCADE)

        class Meta:
            app_label = "residents"

    class Notebook(models.Model):  # noqa: DJ008
        title = models.CharField(max_length=10)

        class Meta:
            app_label = "residents"

    assert unregistered_models([Parcel, Notebook]) == ["residents.Parcel"]


def test_the_system_check_reports_an_unregistered_model(monkeypatch):
    monkeypatch.setattr(
        "residents.checks.unregistered_models", lambda models=None: ["residents.Parcel"]
    )
    errors = check_resident_data_registered()
    assert [error.id for error in errors] == ["residents.E001"]
    assert errors[0].level == checks.ERROR
    assert "residents.Parcel" in errors[0].msg


def test_a_history_table_counts_as_its_model():
    from activities.models import Need

    assert unregistered_models([Need.history.model]) == []


def test_registering_the_same_key_twice_with_other_data_is_refused():
    with pytest.raises(ValueError, match="twice"):
        privacy.register(privacy.ResidentData(key="needs"))
