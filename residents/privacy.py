"""The resident-data registry: what each app holds about a resident, and how it is shown on
/me/, exported and forgotten.

`residents` is the base of the apps and must not import the ones above it, yet a resident's
page, their data download and "delete my data" span all of them. So each app declares, in
its own `privacy.py` (imported by its `AppConfig.ready()`), one `ResidentData` per kind of
record it keeps about residents; `residents` runs them without knowing the apps (pretix's
data shredders are the model). A system check (`residents.checks`) fails when a model with
a foreign key to `Resident` is not covered by a registration, so a new model cannot forget
to take part in export and erasure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Value
from django.db.models.functions import Left, Replace
from django.utils import timezone

from .models import Resident
from .selectors import cared_for_ids, household_members

if TYPE_CHECKING:
    from django.http import HttpRequest

#: The name an anonymised resident keeps, so that past records still read sensibly.
ANONYMISED_NAME = "已注销居民"
#: Stands in for a deleted phone number found in free text.
REDACTED = "***"


@dataclass
class MePage:
    """What a section of /me/ is drawn for: the resident, the people they look after (the
    resident first, then household members without a login, once staff verified them), and
    the request (for messages)."""

    request: HttpRequest
    resident: Resident
    people: list[int]


@dataclass
class Eraser:
    """Helps a section forget a resident: their identifying tokens (name, phone, login name)
    as they may appear in free text, and database-side replacement of them."""

    resident: Resident
    tokens: dict[str, str]

    @classmethod
    def for_resident(cls, resident: Resident) -> Eraser:
        tokens: dict[str, str] = {}
        name = (resident.name or "").strip()
        if len(name) >= 2:
            tokens[name] = ANONYMISED_NAME
            compact = "".join(name.split())
            if compact != name and len(compact) >= 2:
                tokens[compact] = ANONYMISED_NAME
        for phone in {resident.phone, resident.user.get_username() if resident.user_id else ""}:
            if phone:
                tokens[phone] = REDACTED
        return cls(resident=resident, tokens=tokens)

    @property
    def usernames(self) -> list[str]:
        return [token for token, replacement in self.tokens.items() if replacement == REDACTED]

    def scrub(self, model, *fields: str) -> dict:
        """`update()` keyword arguments replacing the tokens in these text columns, in the
        database, cut to each column's length (a replacement may be longer than a token)."""
        if not self.tokens:
            return {}
        updates = {}
        for name in fields:
            expression = F(name)
            for token, replacement in self.tokens.items():
                expression = Replace(expression, Value(token), Value(replacement))
            max_length = model._meta.get_field(name).max_length
            updates[name] = Left(expression, max_length) if max_length else expression
        return updates

    def scrub_log_entries(self, model, ids: Sequence[int], *, object_repr: str = "") -> None:
        """The back office's change log of these rows: the given `object_repr` (if any),
        and no token in what it says."""
        if not ids:
            return
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        )
        if object_repr:
            entries.update(object_repr=object_repr)
        if self.tokens:
            entries.update(**self.scrub(LogEntry, "object_repr"))


@dataclass(frozen=True)
class Shortcut:
    """A button at the top of /me/ ("找活动报名")."""

    label: Any
    url_name: str
    primary: bool = False


@dataclass(frozen=True)
class ResidentData:
    """One kind of record an app keeps about residents.

    - `key`: its name in the data download (`signups`, `needs`, …).
    - `models`: the models ("app_label.Model") with a foreign key to `Resident` whose rows
      this registration shows, exports and forgets (their simple_history tables included).
    - `export(resident, people)`: the JSON-ready data for the download; `people` are the
      resident and those they look after.
    - `forget(eraser)`: delete or anonymise the rows, inside the transaction that
      anonymises the resident, keeping what past monthly totals count.
    - `forget_notices(resident)`: what deleting will do to these records, in the
      resident's words, for the confirmation page.
    - `me_template` and `me_context(page)`: the section of /me/ (a template fragment and
      its context); `shortcuts`: buttons at the top of /me/.
    - `order`: where the section comes on /me/ and in the download.
    """

    key: str
    models: tuple[str, ...] = ()
    export: Callable[[Resident, list[int]], Any] | None = None
    forget: Callable[[Eraser], None] | None = None
    forget_notices: Callable[[Resident], list[str]] | None = None
    me_template: str = ""
    me_context: Callable[[MePage], dict] | None = None
    shortcuts: tuple[Shortcut, ...] = field(default=())
    order: int = 100


_registry: dict[str, ResidentData] = {}


def register(data: ResidentData) -> ResidentData:
    """Declare a kind of resident data (call from the app's `privacy.py`)."""
    if data.key in _registry and _registry[data.key] != data:
        raise ValueError(f"resident data {data.key!r} is registered twice")
    _registry[data.key] = data
    return data


def registered() -> list[ResidentData]:
    """Every registration, in page order."""
    return sorted(_registry.values(), key=lambda data: (data.order, data.key))


def covered_models() -> set[str]:
    """Lower-case labels of the models some registration takes care of."""
    return {label.lower() for data in _registry.values() for label in data.models}


# --- what residents/ runs ------------------------------------------------------------


def export_all(resident: Resident, people: list[int]) -> dict:
    """{key: exported data} of every registration."""
    return {data.key: data.export(resident, people) for data in registered() if data.export}


def forget_all(eraser: Eraser) -> None:
    """Run every registration's `forget`, in order (the caller holds the transaction)."""
    for data in registered():
        if data.forget:
            data.forget(eraser)


def forget_notices(resident: Resident) -> list[str]:
    return [
        notice
        for data in registered()
        if data.forget_notices
        for notice in data.forget_notices(resident)
    ]


def me_sections(page: MePage) -> list[tuple[str, dict]]:
    """[(template, context)] of the /me/ sections, in order."""
    return [
        (data.me_template, data.me_context(page) if data.me_context else {})
        for data in registered()
        if data.me_template
    ]


def me_shortcuts() -> list[Shortcut]:
    return [shortcut for data in registered() for shortcut in data.shortcuts]


# --- what residents/ itself holds: the profile and the household -----------------------


def iso(value) -> str | None:
    """A date or time for the download (None stays None)."""
    return value.isoformat() if value is not None else None


def export_data(resident: Resident) -> dict:
    """Everything the app holds about the resident, for download as JSON."""
    people = cared_for_ids(resident, household_members(resident))
    return {
        "exported_at": timezone.now().isoformat(),
        "privacy_policy_version": settings.PRIVACY_POLICY_VERSION,
        **export_all(resident, people),
    }


def _export_profile(resident: Resident, people: list[int]) -> dict:
    return {
        "name": resident.name,
        "phone": resident.phone,
        "email": resident.email,
        "birth_year": resident.birth_year,
        "is_party_member": resident.is_party_member,
        "is_verified": resident.is_verified,
        "consent_version": resident.consent_version,
        "consent_at": iso(resident.consent_at),
        "registered_at": iso(resident.created_at),
        "login": resident.user.get_username() if resident.user_id else None,
    }


def _forget_profile(eraser: Eraser) -> None:
    """The back office's log of the resident and the login records of their login name.
    (The resident's own fields are cleared by `services.anonymise_resident` afterwards.)"""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Resident),
        object_id=str(eraser.resident.pk),
    ).update(object_repr=ANONYMISED_NAME, change_message="")
    if eraser.usernames:
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            model.objects.filter(username__in=eraser.usernames).delete()


def _export_household(resident: Resident, people: list[int]) -> dict | None:
    household = resident.household
    if household is None:
        return None
    today = timezone.localdate()
    return {
        "complex": household.building.complex.name,
        "building": household.building.number,
        "unit": household.unit,
        "room": household.room,
        "size": household.size,
        "members": [
            {
                # Members with a login of their own are other people: masked.
                "name": m.name if m.pk in people else m.masked_name,
                "birth_year": m.birth_year if m.pk in people else None,
                "age": m.age_on(today) if m.pk in people else None,
                "is_me": m.pk == resident.pk,
                "has_login": m.user_id is not None,
            }
            for m in household_members(resident)
        ],
    }


def describe_members(resident: Resident, members: list[Resident]) -> None:
    """Full name and age for me and the people I look after (members without a login, once
    staff verified my address); anyone else is shown by masked name only."""
    today = timezone.localdate()
    cared = set(cared_for_ids(resident, members))
    for member in members:
        member.shows_details = member.pk in cared
        member.display_name = member.name if member.shows_details else member.masked_name
        member.age = member.age_on(today)


def _household_on_me(page: MePage) -> dict:
    members = household_members(page.resident)
    describe_members(page.resident, members)
    return {"household": page.resident.household, "members": members}


# --- inbox --------------------------------------------------------------------------

#: Messages shown on /me/ (the download has all of them).
INBOX_SHOWN = 20


def _export_inbox(resident: Resident, people: list[int]) -> list[dict]:
    from .models import Notification

    return [
        {
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "sent_at": iso(n.created_at),
            "read_at": iso(n.read_at) if n.read_at else None,
        }
        for n in Notification.objects.filter(resident=resident).order_by("-created_at", "-pk")
    ]


def _forget_inbox(eraser: Eraser) -> None:
    from .models import Notification

    Notification.objects.filter(resident=eraser.resident).delete()


def _inbox_on_me(page: MePage) -> dict:
    """The latest messages; those unread until now are shown as new, and now read."""
    from .models import Notification

    messages_ = list(Notification.objects.filter(resident=page.resident)[:INBOX_SHOWN])
    unread = [n.pk for n in messages_ if n.read_at is None]
    if unread:
        from .pagescopes import resident_data_changed

        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
        resident_data_changed(resident_ids=[page.resident.pk])
    for n in messages_:
        n.is_new = n.pk in unread
    return {"inbox": messages_, "inbox_new": len(unread)}


register(
    ResidentData(
        key="inbox",
        models=("residents.Notification",),
        export=_export_inbox,
        forget=_forget_inbox,
        me_template="residents/includes/me_inbox.html",
        me_context=_inbox_on_me,
        order=5,
    )
)
register(
    ResidentData(
        key="profile",
        models=("residents.Resident",),
        export=_export_profile,
        forget=_forget_profile,
        order=0,
    )
)
register(
    ResidentData(
        key="household",
        export=_export_household,
        me_template="residents/includes/me_household.html",
        me_context=_household_on_me,
        order=20,
    )
)


def _export_codes(resident: Resident, people: list[int]) -> list[dict]:
    """When staff printed activation codes for the resident (never a code itself)."""
    from .models import ActivationCode

    return [
        {
            "printed_at": iso(code.created_at),
            "expires_at": iso(code.expires_at),
            "used_at": iso(code.used_at) if code.used_at else None,
        }
        for code in ActivationCode.objects.filter(resident=resident)
    ]


def _forget_codes(eraser: Eraser) -> None:
    from .models import ActivationCode, PhoneCode

    ActivationCode.objects.filter(resident=eraser.resident).delete()
    if eraser.resident.phone:
        PhoneCode.objects.filter(phone=eraser.resident.phone).delete()


register(
    ResidentData(
        key="activation_codes",
        models=("residents.ActivationCode",),
        export=_export_codes,
        forget=_forget_codes,
        order=90,
    )
)
