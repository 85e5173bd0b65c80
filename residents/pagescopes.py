"""Which logged-in readers' cached pages a write concerns (`core.pagecache` scopes).

A resident's own pages (/me/, an activity's page as they see it) show what belongs to
them and to the people of their household they look after. Every save and delete of a
model that points at a resident or a household bumps the scopes "resident:<pk>" and
"household:<pk>" of the row (`track_resident_data`, run once all apps are loaded, so the
apps above register nothing themselves); a write that bypasses the ORM's signals
(`QuerySet.update()`, `bulk_create()`) calls `resident_data_changed()` itself.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from core.pagecache import scopes_changed

from .models import Household, Resident


def scopes_of(resident: Resident) -> list[str]:
    """The scopes a resident's own pages are cached under."""
    scopes = [f"resident:{resident.pk}"]
    if resident.household_id is not None:
        scopes.append(f"household:{resident.household_id}")
    return scopes


def resident_data_changed(*, resident_ids=(), household_ids=(), using: str | None = None) -> None:
    """What these residents (and the households they live in) see has changed."""
    resident_ids = [pk for pk in resident_ids if pk is not None]
    households = set(household_ids)
    if resident_ids:
        households |= set(
            Resident.objects.using(using)
            .filter(pk__in=resident_ids, household_id__isnull=False)
            .values_list("household_id", flat=True)
        )
    scopes_changed(
        *(f"resident:{pk}" for pk in resident_ids),
        *(f"household:{pk}" for pk in households if pk is not None),
        using=using,
    )


def _pointers(model) -> tuple[list[models.ForeignKey], list[models.ForeignKey]]:
    fks = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    return (
        [f for f in fks if f.related_model is Resident],
        [f for f in fks if f.related_model is Household],
    )


def _household_of(instance, field: models.ForeignKey, using) -> int | None:
    """The household of the resident a row points at: from the loaded resident if any."""
    loaded = field.get_cached_value(instance, None)
    if loaded is not None:
        return loaded.household_id
    resident_id = getattr(instance, field.attname)
    if resident_id is None:
        return None
    return (
        Resident.objects.using(using)
        .filter(pk=resident_id)
        .values_list("household_id", flat=True)
        .first()
    )


def _row_changed(sender, instance, using=None, **kwargs) -> None:
    to_residents, to_households = _pointers(sender)
    residents = [getattr(instance, f.attname) for f in to_residents]
    households = [getattr(instance, f.attname) for f in to_households]
    if not households:  # the household of each resident (a guardian sees their family's)
        households = [_household_of(instance, f, using) for f in to_residents]
    scopes_changed(
        *(f"resident:{pk}" for pk in residents if pk is not None),
        *(f"household:{pk}" for pk in households if pk is not None),
        using=using,
    )


def _resident_changed(sender, instance, using=None, **kwargs) -> None:
    scopes_changed(
        f"resident:{instance.pk}",
        f"household:{instance.household_id}" if instance.household_id else "",
        f"household:{instance._household_before}"
        if getattr(instance, "_household_before", None)
        else "",
        using=using,
    )


def _resident_moving(sender, instance, using=None, raw=False, **kwargs) -> None:
    """Remember the household a resident leaves (its other members' pages change too)."""
    if raw or instance.pk is None or instance._state.adding:
        instance._household_before = None
        return
    instance._household_before = (
        Resident.objects.using(using)
        .filter(pk=instance.pk)
        .values_list("household_id", flat=True)
        .first()
    )


def _is_history(model) -> bool:
    """simple_history's copies: written with the row they copy, never shown on /me/."""
    return model._meta.model_name.startswith("historical")


def track_resident_data() -> None:
    """Connect every model that points at a resident or a household (see the docstring)."""
    uid = "pagescopes:"
    pre_save.connect(_resident_moving, sender=Resident, dispatch_uid=uid + "resident:pre")
    for signal in (post_save, post_delete):
        signal.connect(
            _resident_changed, sender=Resident, dispatch_uid=uid + f"resident:{id(signal)}"
        )
    for model in apps.get_models():
        if model is Resident or _is_history(model) or model._meta.proxy:
            continue
        to_residents, to_households = _pointers(model)
        if not (to_residents or to_households):
            continue
        for signal in (post_save, post_delete):
            signal.connect(
                _row_changed,
                sender=model,
                dispatch_uid=f"{uid}{model._meta.label}:{id(signal)}",
                weak=False,
            )
