"""System check: every model that points at a resident takes part in export and erasure."""

from django.apps import apps as global_apps
from django.core import checks

from . import privacy


def models_pointing_at_residents(models=None) -> list:
    """Models with a foreign key (or one-to-one) to `Resident`; a simple_history table
    counts as the model it keeps the history of."""
    resident = global_apps.get_model("residents", "Resident")
    found = []
    for model in global_apps.get_models() if models is None else models:
        for field in model._meta.get_fields():
            if (
                field.concrete
                and field.is_relation
                and (field.many_to_one or field.one_to_one)
                and field.related_model is resident
            ):
                found.append(getattr(model, "instance_type", model))
                break
    return found


def unregistered_models(models=None) -> list[str]:
    """Labels of the models pointing at residents that no registration covers."""
    covered = privacy.covered_models()
    return sorted(
        {
            model._meta.label
            for model in models_pointing_at_residents(models)
            if model._meta.label_lower not in covered
        }
    )


@checks.register(checks.Tags.models)
def check_resident_data_registered(app_configs=None, **kwargs):
    return [
        checks.Error(
            f"{label} has a foreign key to residents.Resident but no resident-data "
            "registration: its rows would be left out of a resident's export and erasure.",
            hint="Register a residents.privacy.ResidentData naming it in `models`, in the "
            "app's privacy.py (imported from its AppConfig.ready()).",
            obj=label,
            id="residents.E001",
        )
        for label in unregistered_models()
    ]
