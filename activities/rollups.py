"""Roll-ups behind the monthly summary of closed months: the only code that writes them.

Four tables (models at the end of `activities.models`):

- `ActivityTally`: an activity's confirmed, waitlisted and attended sign-ups and ratings;
- `ResidentReach` / `HouseholdReach`: per (resident, year, community) and (household at
  sign-up, year, community), the months of that year (12 bits, 1 << (month - 1)) in which
  they had an attended sign-up of an activity of that community (its complex's) that is
  not cancelled and ends in that local month;
- `MonthReach`: per community and month, how many of those rows have the month's bit (residents and
  households reached, party members among the residents) and a bit up to it (reached in
  the year so far).

They cannot drift: each writer recomputes the tally, resident or household rows a change
touches from their sign-ups, in the transaction of the change, and moves `MonthReach` by
exactly the bits that changed in them. The services call them: `seats_changed()` after a
sign-up, cancellation or promotion from the waiting list (`services.sign_up`, `cancel`,
`_promote`: one statement, safe because they hold the activity's lock, see there);
`signups_changed()` after a rating (`leave_feedback`, `save_feedback`, `delete_feedback`);
`attendance_changed()` after a check-in, walk-in or
undo (`check_in`, `walk_in`, `undo_check_in`); `activity_changed()` after an activity was
saved (`save_activity`, `cancel_activity`, the back office's form,
`series.change_following`): a new month or a cancellation moves its attendees' months. A
resident's move changes nothing (a sign-up keeps the household it was made from,
`SignUp.household`), nor a new or deleted activity (it has no sign-ups: they are
protected). A party membership given or taken (any `Resident.save()`) moves the party
counts through `resident_saved()`, a `post_save` receiver (`residents` cannot call up).

Two desks at once: each writer first makes sure its rows exist (INSERT … ON CONFLICT DO
NOTHING, in key order), then locks them (`select_for_update`; tallies, then residents,
then households, then months, always in that order), and only then counts the sign-ups, so
on PostgreSQL the second transaction waits for the first and counts what it committed;
SQLite serialises writers anyway.

`rebuild()` recomputes everything (migration 0014, `load_demo`, `seed_bench`,
`manage.py rollups --rebuild`); `differences()` compares the stored rows with a live
recount, community by community (`manage.py rollups --check`).

A resident who attends the activities of two communities has a row in each: a community's
figures are distinct counts of its rows; the whole installation's are distinct counts over
the residents (`summary.report` ORs their rows), not sums of the communities'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import connection, connections, router, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.periods import local_zone, month_bounds, month_start

from .models import LIVE_STATUSES

#: Months are bits of a year's mask: bit 1 << (month - 1).
ALL_MONTHS = (1 << 12) - 1


def month_bit(month: int) -> int:
    return 1 << (month - 1)


def _year_and_bit(moment) -> tuple[int, int]:
    local = timezone.localtime(moment, local_zone())
    return local.year, month_bit(local.month)


def _years_q(years: Iterable[int], prefix: str = "activity__") -> Q:
    q = Q()
    for year in years:
        q |= Q(
            **{
                f"{prefix}ends_at__gte": month_start(year, 1),
                f"{prefix}ends_at__lt": month_start(year + 1, 1),
            }
        )
    return q


@dataclass(frozen=True)
class _Models:
    """The models the roll-ups read and write: the app's own, or a migration's."""

    Activity: type
    SignUp: type
    ActivityTally: type
    Resident: type
    ResidentReach: type
    HouseholdReach: type
    MonthReach: type

    @classmethod
    def of(cls, apps=None) -> _Models:
        apps = apps or global_apps
        return cls(
            **{
                name: apps.get_model("residents" if name == "Resident" else "activities", name)
                for name in cls.__dataclass_fields__
            }
        )


# --- what the sign-ups say (the live recount) --------------------------------------------


#: An activity's tally, in `ActivityTally`'s field order.
TALLY_FIELDS = ("confirmed", "waitlisted", "attended", "ratings", "rating_sum")
#: `MonthReach`'s counters.
MONTH_FIELDS = ("residents", "households", "residents_year", "households_year", "party_residents")


def _tallies(m: _Models, signups) -> dict[int, tuple[int, ...]]:
    """{activity id: (confirmed, waitlisted, attended, ratings, rating_sum)} of these
    sign-ups' activities (a sign-up has at most one rating: the join multiplies nothing)."""
    confirmed, waitlisted = "confirmed", "waitlisted"  # SignUpStatus (migrations too)
    rows = (
        signups.order_by()
        .values("activity")
        .annotate(
            confirmed=Count("pk", filter=Q(status=confirmed)),
            waitlisted=Count("pk", filter=Q(status=waitlisted)),
            attended=Count("pk", filter=Q(attended=True)),
            ratings=Count("feedback"),
            rating_sum=Coalesce(Sum("feedback__rating"), 0),
        )
        .values_list("activity", *TALLY_FIELDS)
    )
    return {pk: tuple(figures) for pk, *figures in rows if any(figures)}


def _month_counts(residents: dict, households: dict, party: set) -> dict[tuple, tuple]:
    """`MonthReach` as counted from the reach rows (keyed (id, year, community)):
    {(year, month, community): (residents, households, residents_year, households_year,
    party_residents)}, zero rows left out."""
    counts: dict = defaultdict(lambda: [0] * len(MONTH_FIELDS))
    for index, masks in ((0, residents), (1, households)):
        for key, mask in masks.items():
            _pk, year, community = key
            for month in range(1, 13):
                if mask & month_bit(month):
                    counts[(year, month, community)][index] += 1
                    if index == 0 and key in party:
                        counts[(year, month, community)][4] += 1
                if mask & ((1 << month) - 1):
                    counts[(year, month, community)][index + 2] += 1
    return {key: tuple(c) for key, c in counts.items() if any(c)}


@dataclass
class Recount:
    """Roll-up rows as the sign-ups say they should be (zero rows left out)."""

    tallies: dict[int, tuple[int, ...]]
    residents: dict[tuple[int, int, int], int]  # (resident, year, community): months
    households: dict[tuple[int, int, int], int]  # (household, year, community): months
    party: set[tuple[int, int, int]]  # the (resident, year, community) rows of party members

    @property
    def months(self) -> dict[tuple[int, int, int], tuple[int, ...]]:
        return _month_counts(self.residents, self.households, self.party)


def _reached(m: _Models, *, years=None, **filters):
    signups = m.SignUp.objects.filter(attended=True, activity__status__in=LIVE_STATUSES, **filters)
    if years is not None:
        signups = signups.filter(_years_q(years))
    return signups.values_list(
        "resident_id", "household_id", "activity__ends_at", "activity__complex__community_id"
    ).order_by()


def recount(*, years: Iterable[int] | None = None, apps=None) -> Recount:
    """Recount every roll-up row (of activities ending in `years`, or of all) from the
    sign-ups, streaming them once."""
    m = _Models.of(apps)
    years = None if years is None else sorted(set(years))
    residents: dict = defaultdict(int)
    households: dict = defaultdict(int)
    reached = _reached(m, years=years).iterator(chunk_size=20000)
    for resident_id, household_id, ends_at, community_id in reached:
        year, bit = _year_and_bit(ends_at)
        residents[(resident_id, year, community_id)] |= bit
        if household_id is not None:
            households[(household_id, year, community_id)] |= bit
    signups = m.SignUp.objects.all()
    if years is not None:
        signups = signups.filter(_years_q(years))
    members = set(
        m.Resident.objects.filter(is_party_member=True).values_list("pk", flat=True).order_by()
    )
    return Recount(
        tallies=_tallies(m, signups),
        residents=dict(residents),
        households=dict(households),
        party={key for key in residents if key[0] in members},
    )


def stored(*, years: Iterable[int] | None = None, apps=None) -> Recount:
    """The roll-up rows as stored (zero rows left out)."""
    m = _Models.of(apps)
    tallies = m.ActivityTally.objects.exclude(**dict.fromkeys(TALLY_FIELDS, 0))
    residents = m.ResidentReach.objects.filter(months__gt=0)
    households = m.HouseholdReach.objects.filter(months__gt=0)
    if years is not None:
        years = sorted(set(years))
        tallies = tallies.filter(_years_q(years))
        residents = residents.filter(year__in=years)
        households = households.filter(year__in=years)
    return Recount(
        tallies={pk: tuple(f) for pk, *f in tallies.values_list("activity_id", *TALLY_FIELDS)},
        residents={
            (r, y, c): b
            for r, y, c, b in residents.values_list("resident_id", "year", "community_id", "months")
        },
        party=set(residents.filter(party=True).values_list("resident_id", "year", "community_id")),
        households={
            (h, y, c): b
            for h, y, c, b in households.values_list(
                "household_id", "year", "community_id", "months"
            )
        },
    )


def stored_months(*, years: Iterable[int] | None = None, apps=None) -> dict:
    """`MonthReach` as stored: {(year, month, community): counters}, zero rows left out."""
    m = _Models.of(apps)
    rows = m.MonthReach.objects.exclude(**dict.fromkeys(MONTH_FIELDS, 0))
    if years is not None:
        rows = rows.filter(year__in=years)
    return {
        (y, mo, co): tuple(c)
        for y, mo, co, *c in rows.values_list("year", "month", "community_id", *MONTH_FIELDS)
    }


@dataclass(frozen=True)
class Difference:
    what: str  # "activity", "month", "resident" or "household"
    key: int
    year: int | None
    stored: object
    live: object
    community: int | None = None

    def __str__(self):
        where = "" if self.community is None else f" (community {self.community})"
        return self._describe() + where

    def _describe(self):
        if self.what == "activity":
            return (
                f"activity {self.key}: {dict(zip(TALLY_FIELDS, self.stored, strict=True))} "
                f"stored, {dict(zip(TALLY_FIELDS, self.live, strict=True))} live"
            )
        if self.what == "party":
            return (
                f"resident {self.key} in {self.year}: counted as a party member "
                f"{self.stored}, is one {self.live}"
            )
        if self.what == "month":
            return (
                f"month {self.year}-{self.key:02d}: "
                f"{dict(zip(MONTH_FIELDS, self.stored, strict=True))} stored, "
                f"{dict(zip(MONTH_FIELDS, self.live, strict=True))} live"
            )
        return (
            f"{self.what} {self.key} in {self.year}: months {self.stored:012b} stored, "
            f"{self.live:012b} live"
        )


def differences(
    *, year: int | None = None, month: int | None = None, apps=None
) -> list[Difference]:
    """Where the stored roll-ups differ from a live recount: for one month (its bit of the
    year's masks, and the activities ending in it), one year, or everything."""
    m = _Models.of(apps)
    years = None if year is None else [year]
    live, kept = recount(years=years, apps=apps), stored(years=years, apps=apps)
    bits = month_bit(month) if month else ALL_MONTHS
    found = []
    activity_ids = set(live.tallies) | set(kept.tallies)
    if month:
        start, end = month_bounds(year, month)
        activity_ids = set(
            m.Activity.objects.filter(
                pk__in=activity_ids, ends_at__gte=start, ends_at__lt=end
            ).values_list("pk", flat=True)
        )
    zero = (0,) * len(TALLY_FIELDS)
    for pk in sorted(activity_ids):
        if kept.tallies.get(pk, zero) != live.tallies.get(pk, zero):
            found.append(
                Difference(
                    "activity", pk, None, kept.tallies.get(pk, zero), live.tallies.get(pk, zero)
                )
            )
    live_months, kept_months = live.months, stored_months(years=years, apps=apps)
    zero = (0,) * len(MONTH_FIELDS)
    for key in sorted(set(live_months) | set(kept_months)):
        y, mo, community = key
        if month and mo != month:
            continue
        a, b = kept_months.get(key, zero), live_months.get(key, zero)
        if a != b:
            found.append(Difference("month", mo, y, a, b, community))
    for what, a, b in (
        ("resident", kept.residents, live.residents),
        ("household", kept.households, live.households),
    ):
        for key in sorted(set(a) | set(b)):
            if (a.get(key, 0) & bits) != (b.get(key, 0) & bits):
                found.append(Difference(what, key[0], key[1], a.get(key, 0), b.get(key, 0), key[2]))
    for key in sorted(kept.party ^ live.party):
        if (live.residents.get(key, 0) | kept.residents.get(key, 0)) & bits:
            found.append(
                Difference("party", key[0], key[1], key in kept.party, key in live.party, key[2])
            )
    return found


# --- writers ------------------------------------------------------------------------------


def _lock_rows(model, field: str, keys: list, **fixed):
    """Make sure a row exists for each key (in key order, so that two transactions never
    wait on each other's inserts), then lock them all; returns {key: row}."""
    model.objects.bulk_create(
        [model(**{field: key}, **fixed) for key in keys], ignore_conflicts=True
    )
    rows = model.objects.select_for_update().filter(**{f"{field}__in": keys}, **fixed)
    return {getattr(row, field): row for row in rows.order_by("pk")}


def _refresh_tallies(m: _Models, activity_ids: Iterable[int]) -> None:
    ids = sorted(set(activity_ids))
    if not ids:
        return
    rows = _lock_rows(m.ActivityTally, "activity_id", ids)
    counts = _tallies(m, m.SignUp.objects.filter(activity_id__in=ids))
    zero = (0,) * len(TALLY_FIELDS)
    changed = []
    for pk, row in rows.items():
        figures = counts.get(pk, zero)
        if tuple(getattr(row, f) for f in TALLY_FIELDS) != figures:
            for field, value in zip(TALLY_FIELDS, figures, strict=True):
                setattr(row, field, value)
            changed.append(row)
    if len(changed) == 1:  # a sign-up's own activity: a plain UPDATE (bulk_update's CASE
        # expressions cost a sign-up ~10 ms of query compiling)
        m.ActivityTally.objects.filter(pk=changed[0].pk).update(
            **{field: getattr(changed[0], field) for field in TALLY_FIELDS}
        )
    else:
        m.ActivityTally.objects.bulk_update(changed, TALLY_FIELDS)


def _move_months(m: _Models, changes: list[tuple]) -> None:
    """Move `MonthReach` by the bits that changed: `changes` are (what, year, community,
    old mask, new mask, old party, new party) of resident or household rows. Last of a
    writer's locks, in (community, month) order."""
    deltas: dict = defaultdict(lambda: defaultdict(int))
    for what, year, community, old, new, was_party, is_party in changes:
        for month in range(1, 13):
            bit, upto = month_bit(month), (1 << month) - 1
            key = (community, year, month)
            if step := bool(new & bit) - bool(old & bit):
                deltas[key][f"{what}s"] += step
            if step := bool(is_party and new & bit) - bool(was_party and old & bit):
                deltas[key]["party_residents"] += step
            if step := bool(new & upto) - bool(old & upto):
                deltas[key][f"{what}s_year"] += step
    keys = sorted(key for key, fields in deltas.items() if any(fields.values()))
    if not keys:
        return
    m.MonthReach.objects.bulk_create(
        [m.MonthReach(community_id=c, year=y, month=mo) for c, y, mo in keys],
        ignore_conflicts=True,
    )
    for c, y, mo in keys:
        # UPDATE … SET n = n + d: PostgreSQL applies it to the row as last committed.
        m.MonthReach.objects.filter(community_id=c, year=y, month=mo).update(
            **{field: F(field) + step for field, step in deltas[(c, y, mo)].items() if step}
        )


def _refresh_reach(
    m: _Models,
    what: str,
    ids: Iterable[int | None],
    keys: Iterable[tuple[int, int]],
) -> list[tuple]:
    """Recompute the (resident or household, year, community) masks of these ids, for each
    (year, community) of `keys`; returns the changes for `_move_months`."""
    model = m.ResidentReach if what == "resident" else m.HouseholdReach
    field = f"{what}_id"
    ids = sorted({pk for pk in ids if pk is not None})
    changes: list[tuple] = []
    if not ids:
        return changes
    for year, community in sorted(set(keys)):
        rows = _lock_rows(model, field, ids, year=year, community_id=community)
        masks: dict = defaultdict(int)
        for resident_id, household_id, ends_at, _community in _reached(
            m,
            years=[year],
            activity__complex__community_id=community,
            **{f"{field}__in": ids},
        ):
            masks[resident_id if what == "resident" else household_id] |= _year_and_bit(ends_at)[1]
        party = (
            set(
                m.Resident.objects.filter(pk__in=ids, is_party_member=True).values_list(
                    "pk", flat=True
                )
            )
            if what == "resident"
            else set()
        )
        changed = []
        for pk, row in rows.items():
            was_party = getattr(row, "party", False)
            if (row.months, was_party) != (masks.get(pk, 0), pk in party):
                changes.append(
                    (what, year, community, row.months, masks.get(pk, 0), was_party, pk in party)
                )
                row.months = masks.get(pk, 0)
                if what == "resident":
                    row.party = pk in party
                changed.append(row)
        model.objects.bulk_update(
            changed, ["months", "party"] if what == "resident" else ["months"]
        )
    return changes


def signups_changed(*, activity) -> None:
    """After a sign-up was made, cancelled, promoted from the waiting list or rated, in the
    same transaction: the activity's tally (`activity` may be its id)."""
    _refresh_tallies(_Models.of(), [getattr(activity, "pk", activity)])


#: The tally's fields that only writers holding the activity's row lock change (see
#: `seats_changed`): the sign-ups' status and attendance.
LOCKED_TALLY_FIELDS = ("confirmed", "waitlisted", "attended")


def seats_changed(*, activity) -> None:
    """After sign-ups of the activity were made, cancelled or promoted by a writer that
    holds the activity's row lock (`services.sign_up`, `cancel`, `_promote`), in the same
    transaction: its tally in ONE statement (`activity` may be its id).

        INSERT INTO tally SELECT <the activity's counts> ON CONFLICT (activity)
        DO UPDATE SET confirmed, waitlisted, attended = the counted ones

    Why one statement is enough under READ COMMITTED, without `_refresh_tallies`'
    insert-then-lock-then-count: the counts are read from the statement's snapshot, taken
    when it starts, so they must not change between the snapshot and the commit by anyone
    else. That holds for the fields it updates and only for them:

    - `confirmed`, `waitlisted` (a sign-up's status) and `attended` are written only by
      `sign_up`, `cancel`, `_promote` (from `sign_up`, `cancel`, `fill_free_seats`,
      `change_capacity`, `walk_in`), `check_in`, `walk_in` and `undo_check_in`, each under
      `services._lock_activity` (`SELECT … FOR UPDATE` of the activity), which the caller
      holds from before the statement until its commit: every earlier holder committed
      before the lock was granted, so the snapshot sees it, and no later one runs until
      this transaction commits. The back office changes them only through those services
      (`SignUpAdmin`: no delete, status read-only).
    - `ratings` and `rating_sum` are NOT safe: `leave_feedback` writes a rating holding
      only the sign-up's row lock, so a rating may commit between this statement's
      snapshot and its UPDATE (while it waits for the tally row). The statement therefore
      leaves them as they are on an existing row; their writers (`leave_feedback`,
      `save_feedback`, `delete_feedback`, `undo_check_in`) keep `_refresh_tallies`, which
      locks the tally row and only then counts, so it always counts after this
      transaction's commit (it waits for the row this statement locked) and rewrites every
      field. A missing row is inserted with the ratings counted too: a rating writer that
      runs meanwhile waits on that inserted row and recounts after the commit.
    - The tally row is the only lock taken after the activity's, as in `_refresh_tallies`
      (tallies before residents, households and months): no new lock order.

    On SQLite the writers are serialised (`BEGIN IMMEDIATE`); the same statement is used
    (SQLite ≥ 3.24 knows `ON CONFLICT … DO UPDATE`; its `INSERT … SELECT` needs the
    `WHERE`, which it has)."""
    m = _Models.of()
    pk = getattr(activity, "pk", activity)
    tally, signup = m.ActivityTally._meta, m.SignUp._meta
    feedback = m.SignUp._meta.get_field("feedback").related_model._meta
    using = router.db_for_write(m.ActivityTally)
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(tally.get_field(f).column) for f in ("activity", *TALLY_FIELDS))
    updates = ", ".join(f"{quote(f)} = EXCLUDED.{quote(f)}" for f in LOCKED_TALLY_FIELDS)
    sql = (
        f"INSERT INTO {quote(tally.db_table)} ({columns}) "
        "SELECT %s, COUNT(CASE WHEN s.status = %s THEN 1 END), "
        "COUNT(CASE WHEN s.status = %s THEN 1 END), COUNT(CASE WHEN s.attended THEN 1 END), "
        "COUNT(f.signup_id), COALESCE(SUM(f.rating), 0) "
        f"FROM {quote(signup.db_table)} s LEFT JOIN {quote(feedback.db_table)} f "
        "ON f.signup_id = s.id WHERE s.activity_id = %s "
        f"ON CONFLICT ({quote(tally.pk.column)}) DO UPDATE SET {updates}"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [pk, "confirmed", "waitlisted", pk])


def attendance_changed(*, signup) -> None:
    """After a sign-up's check-in was recorded or taken back (a walk-in too), in the same
    transaction: its activity's tally, and its resident's and household's months."""
    m = _Models.of()
    ends_at, community = m.Activity.objects.values_list("ends_at", "complex__community_id").get(
        pk=signup.activity_id
    )
    key = (_year_and_bit(ends_at)[0], community)
    _refresh_tallies(m, [signup.activity_id])
    changes = _refresh_reach(m, "resident", [signup.resident_id], [key])
    changes += _refresh_reach(m, "household", [signup.household_id], [key])
    _move_months(m, changes)


def activity_changed(*, activity, before=None) -> None:
    """After an activity was saved, in the same transaction: when its month (of its end),
    its community (its complex's) or whether it is cancelled may have changed, the months
    of everyone who attended it, in every (year, community) they have months in and the
    activity's new ones. `before` (the activity as stored before the change) only lets an
    unchanged month, complex and status skip the work."""
    m = _Models.of()
    if before is not None and (
        _year_and_bit(before.ends_at) == _year_and_bit(activity.ends_at)
        and (before.status in LIVE_STATUSES) == (activity.status in LIVE_STATUSES)
        and before.complex_id == activity.complex_id
    ):
        return
    attendees = list(
        m.SignUp.objects.filter(activity_id=activity.pk, attended=True)
        .order_by()
        .values_list("resident_id", "household_id")
        .distinct()
    )
    if not attendees:
        return
    community = m.Activity.objects.values_list("complex__community_id", flat=True).get(
        pk=activity.pk
    )
    year = _year_and_bit(activity.ends_at)[0]
    changes = []
    for what, index, model in (
        ("resident", 0, m.ResidentReach),
        ("household", 1, m.HouseholdReach),
    ):
        ids = {row[index] for row in attendees} - {None}
        keys = {(year, community)} | set(
            model.objects.filter(**{f"{what}_id__in": ids}).values_list("year", "community_id")
        )
        changes += _refresh_reach(m, what, ids, keys)
    _move_months(m, changes)


def resident_saved(
    sender, instance, created=False, raw=False, update_fields=None, **kwargs
) -> None:
    """`post_save` of a resident: when the party membership counted in the roll-ups is no
    longer theirs, their rows and the months' party counts follow (same transaction). A new
    resident has reached nothing yet: no rows to move, no query."""
    if raw or created or (update_fields is not None and "is_party_member" not in update_fields):
        return
    m = _Models.of()
    rows = m.ResidentReach.objects.filter(resident_id=instance.pk)
    keys = set(rows.exclude(party=instance.is_party_member).values_list("year", "community_id"))
    if keys:
        with transaction.atomic():
            _move_months(m, _refresh_reach(m, "resident", [instance.pk], keys))


def rebuild(*, apps=None) -> Recount:
    """Recount every roll-up from the sign-ups and store it (replacing what was stored).
    On PostgreSQL the tables are locked against the writers for the transaction."""
    m = _Models.of(apps)
    with transaction.atomic():
        tables = [m.ActivityTally, m.ResidentReach, m.HouseholdReach, m.MonthReach]
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(t._meta.db_table) for t in tables)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
        for table in tables:
            table.objects.all().delete()
        live = recount(apps=apps)
        m.ActivityTally.objects.bulk_create(
            [
                m.ActivityTally(activity_id=pk, **dict(zip(TALLY_FIELDS, figures, strict=True)))
                for pk, figures in live.tallies.items()
            ],
            batch_size=5000,
        )
        m.MonthReach.objects.bulk_create(
            [
                m.MonthReach(
                    community_id=c,
                    year=y,
                    month=mo,
                    **dict(zip(MONTH_FIELDS, counts, strict=True)),
                )
                for (y, mo, c), counts in live.months.items()
            ],
            batch_size=5000,
        )
        m.ResidentReach.objects.bulk_create(
            [
                m.ResidentReach(
                    resident_id=r, year=y, community_id=c, months=b, party=(r, y, c) in live.party
                )
                for (r, y, c), b in live.residents.items()
            ],
            batch_size=5000,
        )
        m.HouseholdReach.objects.bulk_create(
            [
                m.HouseholdReach(household_id=h, year=y, community_id=c, months=b)
                for (h, y, c), b in live.households.items()
            ],
            batch_size=5000,
        )
    return live
