"""Excel import and export of households and residents (django-import-export).

The spreadsheet's column headers are the file format staff fill in, so they are fixed
Chinese words whatever the back office's language. A bad row (a phone number that is not a
mainland mobile number, an unknown building, …) is reported with its row number and the
whole import is rolled back: nothing is written unless every row is good.

Rows are checked as the site's own forms check what residents type (`residents.forms`):
the same name rule (`clean_person_name`), phone numbers and addresses tidied the same way
(full-width digits, `+86`, `2单元`, `302室`). The file itself (size, rows, encoding,
headers) is checked before any row is read (`core.imports`).

The preview (a dry run) writes nothing: each row is cleaned and validated like the real
import (`full_clean()` with the model's constraints), with residents, buildings and
households looked up once for the whole file instead of once per row.
"""

from __future__ import annotations

import copy
import logging

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _, gettext_lazy
from import_export import resources, widgets
from import_export.fields import Field
from import_export.resources import Diff
from import_export.results import Result

from core.imports import PREVIEW_ROWS

from .forms import clean_person_name, normalise_digits
from .models import Building, Household, Resident
from .scoping import communities_for, scoped, within_scope

logger = logging.getLogger(__name__)

# Column headers of the spreadsheets (the file format; see the module docstring).
COMPLEX = "小区"
BUILDING = "楼号"
UNIT = "单元"
ROOM = "门牌号"
SIZE = "户内人数"
NOTE = "备注"
NAME = "姓名"
PHONE = "手机号码"
BIRTH_YEAR = "出生年份"
PARTY_MEMBER = "党员"


def cell_text(value) -> str:
    """A spreadsheet cell as text: `302.0` (Excel's numbers) becomes `302`, blanks `""`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return force_str(value).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return cell_text(value)


class PhoneWidget(widgets.CharWidget):
    """A phone number typed with spaces, dashes, full-width digits or +86, or stored by
    Excel as a number (tidied as the site's `PhoneField` does)."""

    def clean(self, value, row=None, **kwargs):
        return clean_phone(value)


def clean_phone(value) -> str:
    phone = normalise_digits(cell_text(value))
    return phone[3:] if phone.startswith("+86") else phone


class NameWidget(TextWidget):
    """A person's name, refused as the site's forms refuse it (digits, symbols)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return clean_person_name(cell_text(value))
        except ValidationError as error:
            raise ValueError(error.messages[0]) from None


def clean_unit(value) -> str:
    """A unit as the site's address form keeps it: `2`, not `２单元`."""
    return normalise_digits(cell_text(value)).removesuffix("单元")


def clean_room(value) -> str:
    """A room as the site's address form keeps it: `302`, not `302室`."""
    return normalise_digits(cell_text(value)).removesuffix("室").removesuffix("号")


class UnitWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_unit(value)


class RoomWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        room = clean_room(value)
        if not room:
            raise ValueError(_("请填写门牌号。"))
        return room


class WholeNumberWidget(widgets.Widget):
    """A whole number between `minimum` and `maximum` (a callable for "this year")."""

    def __init__(self, *, minimum, maximum=None, message, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.message = message

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        maximum = self.maximum() if callable(self.maximum) else self.maximum
        try:
            number = int(text)
        except ValueError:
            raise ValueError(str(self.message)) from None
        if number < self.minimum or (maximum is not None and number > maximum):
            raise ValueError(str(self.message))
        return number

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class YesNoWidget(widgets.Widget):
    """是 / 否 (also 1 / 0, true / false); a blank cell is 否."""

    YES = {"是", "党员", "1", "true", "yes", "y", "√"}
    NO = {"否", "", "0", "false", "no", "n", "×"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = cell_text(value).lower()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(_("请填写“是”或“否”。"))

    def render(self, value, obj=None, **kwargs):
        return _("是") if value else _("否")


class BuildingWidget(widgets.Widget):
    """A building by its number (`3` or `3号楼`), in the complex named in the 小区 column
    when there is one (needed only when several complexes have a building of that number).

    The buildings are read once per import (`reset()` at its start), not once per row;
    only those of the importing user's communities (`scope_user`, set by the import)."""

    scope_user = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reset()

    def reset(self) -> None:
        self._cache: dict[tuple[str, str], Building | ValueError] = {}
        self._buildings: list[Building] | None = None

    def clean(self, value, row=None, **kwargs):
        number = cell_text(value)
        if not number:
            raise ValueError(_("请填写楼号。"))
        complex_name = cell_text((row or {}).get(COMPLEX))
        key = (complex_name, number)
        if key not in self._cache:
            try:
                self._cache[key] = self._find(number, complex_name)
            except ValueError as error:
                self._cache[key] = error
        found = self._cache[key]
        if isinstance(found, ValueError):
            raise ValueError(str(found))
        return found

    def _find(self, number: str, complex_name: str) -> Building:
        if self._buildings is None:
            self._buildings = list(
                within_scope(Building.objects.select_related("complex"), self.scope_user)
            )
        names = {number} if number.endswith("号楼") else {number, f"{number}号楼"}
        found = [
            building
            for building in self._buildings
            if building.number in names
            and (not complex_name or building.complex.name == complex_name)
        ]
        if not found:
            raise ValueError(
                _("找不到楼栋“%(number)s”，请先在后台登记该楼栋。") % {"number": number}
            )
        if len(found) > 1:
            raise ValueError(
                _("多个小区都有“%(number)s”，请在“小区”一栏写明小区名称。") % {"number": number}
            )
        return found[0]

    def render(self, value, obj=None, **kwargs):
        return value.number if value else ""


#: Rows above the first row of data in a spreadsheet (the header): Excel numbers the first
#: row of data 2, and so does every message about a row.
HEADER_ROWS = 1


class ExcelNumberedResult(Result):
    """An import's result whose rows are numbered as Excel numbers them (header = row 1).

    An unexpected error (a bug, the database refusing a row) is logged with its traceback
    for the operators; the page says only which row failed, never the server's paths."""

    def append_error_row(self, number, row, errors):
        for error in errors:
            logger.error(
                "Import row %s failed: %s\n%s", number + HEADER_ROWS, error.error, error.traceback
            )
        super().append_error_row(number + HEADER_ROWS, row, errors)

    def append_base_error(self, error):
        logger.error("Import failed: %s\n%s", error.error, error.traceback)
        super().append_base_error(error)

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(number + HEADER_ROWS, row, validation_error)

    def row_errors(self):
        return [(row.number, row.errors) for row in self.error_rows]


class FullDiff(Diff):
    """The import preview's values read as the export writes them (with the resource's
    `dehydrate_…` methods), so that computed columns such as a resident's address are
    shown too, not left blank."""

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.left = self._values(resource, instance)

    def compare_with(self, resource, instance):
        self.right = self._values(resource, instance)

    @staticmethod
    def _values(resource, instance):
        fields = resource.get_import_fields()
        if instance is None:
            return ["" for _field in fields]
        return [resource.export_field(field, instance) for field in fields]


class GongjianResource(resources.ModelResource):
    """Shared behaviour: model validation on every row, errors labelled with the column
    header, rows numbered as in Excel, the preview showing every column, and an import
    that writes nothing when any row is refused.

    `example_row` (header → value) is the example line of the downloadable template."""

    example_row: dict[str, object] = {}
    #: Whether the preview (a dry run) saves each row and rolls back. Without it the
    #: preview validates each row (`full_clean()` with the constraints) and writes nothing,
    #: which is much faster; a resource with many-to-many columns needs the saved row.
    dry_run_saves = False
    #: Model fields whose validation `full_clean()` skips because the resource has already
    #: checked them (e.g. a foreign key it found itself), saving a query per row.
    checked_fields: tuple[str, ...] = ()
    #: Whether `full_clean()` also checks the model's constraints (one query each per row);
    #: a resource that checks them itself for the whole file turns it off (the database
    #: still enforces them when the import is saved).
    validate_constraints = True

    def __init__(self, *, scope_user=None, **kwargs):
        super().__init__(**kwargs)
        # The back-office user importing or exporting (`residents.admin_scope`): rows and
        # related lists stay within their communities.
        self.scope_user = scope_user
        # This import's own options (use_bulk is set per import below), not the class's,
        # which every request's resource shares.
        self._meta = copy.copy(type(self)._meta)

    def import_data(
        self, dataset, dry_run=False, *args, rollback_on_validation_errors=True, **kwargs
    ):
        # The back office passes the importing user: each row must stay in their communities.
        self._scope_user = kwargs.get("user") or self.scope_user
        self._scope_ids = communities_for(self._scope_user) if self._scope_user else None
        for widget in self._scoped_widgets():
            widget.scope_user = self._scope_user
        # The import is all or nothing (any refused row rolls the whole file back), so a
        # savepoint around each row (two queries a row) buys nothing: django-import-export's
        # bulk mode leaves them out. Its batches stay empty: save_instance() below still
        # saves each row itself (with Resident.save's rules and the history), or nothing in
        # a preview. Not for a resource with many-to-many columns (bulk mode skips them).
        self._meta.use_bulk = not self.dry_run_saves
        return super().import_data(
            dataset,
            dry_run,
            *args,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )

    def _scoped_widgets(self):
        """The widgets that look records up, to be limited to the user's communities."""
        return [f.widget for f in self.fields.values() if hasattr(f.widget, "scope_user")]

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        # The record a row would change must be of the user's communities already.
        instance._scope_before = None if new else self._community_of(instance)

    def _community_of(self, instance):
        """The id of the community `instance` belongs to ("none" for none), or None when
        the import is not limited."""
        ids = getattr(self, "_scope_ids", None)
        if ids is None:
            return None
        path = getattr(type(instance), "COMMUNITY_PATH", None)
        if path is None:
            if instance.pk is None:
                return "new"
            in_scope = scoped(type(instance).objects.filter(pk=instance.pk), self._scope_user)
            return "in" if in_scope.exists() else "none"
        obj = instance
        *steps, last = path.split("__")
        for step in steps:
            fallback = getattr(type(obj), "COMMUNITY_FALLBACK", None)
            if fallback is not None and fallback[0] == step and getattr(obj, step) is None:
                # A resident without a household is the community's that registered them.
                return getattr(obj, f"{fallback[1]}_id", None) or "none"
            obj = getattr(obj, step, None)
            if obj is None:
                return "none"
        return getattr(obj, f"{last}_id", None) or "none"

    def _refuse_other_communities(self, instance, errors: dict) -> None:
        ids = getattr(self, "_scope_ids", None)
        if ids is None:
            return
        allowed = {*ids, "in", "new", None}
        before = getattr(instance, "_scope_before", None)
        if before not in allowed or self._community_of(instance) not in allowed:
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                _(
                    "这一行涉及其他社区的数据（小区、楼栋、住户或记录不在您的工作范围内），不能导入。"
                )
            )

    def save_instance(self, instance, is_create, row, **kwargs):
        if self.dry_run_saves:
            super().save_instance(instance, is_create, row, **kwargs)
        elif not kwargs.get("dry_run"):
            self.before_save_instance(instance, row, **kwargs)
            self.do_instance_save(instance, is_create)
            self.after_save_instance(instance, row, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        if kwargs.get("dry_run") and not self.dry_run_saves:
            return
        super().save_m2m(instance, row, **kwargs)

    def required_headers(self) -> list[str]:
        """The columns a file must have: those that find existing rows (`import_id_fields`)
        and those of model fields that cannot be left empty. Other columns may be left
        out: a missing column leaves that field as it is."""
        model_fields = {f.name: f for f in self._meta.model._meta.get_fields()}
        id_fields = set(self.get_import_id_fields())
        required = []
        for name, field in self.fields.items():
            if field.readonly or not field.attribute or field not in self.get_import_fields():
                continue
            model_field = model_fields.get(field.attribute)
            needed = name in id_fields or (
                model_field is not None
                and getattr(model_field, "concrete", False)
                and not model_field.many_to_many
                and not model_field.blank
                and not model_field.has_default()
            )
            if needed:
                required.append(str(field.column_name))
        return required

    def header_glosses(self) -> dict[str, str]:
        """Each column's meaning in the back office's language (its model field's name),
        shown beside the Chinese header in messages when the page is not in Chinese."""
        model_fields = {f.name: f for f in self._meta.model._meta.get_fields()}
        glosses = {}
        for field in self.fields.values():
            model_field = model_fields.get(field.attribute or "")
            if model_field is not None and hasattr(model_field, "verbose_name"):
                glosses[str(field.column_name)] = str(model_field.verbose_name)
        return glosses

    @classmethod
    def get_result_class(cls):
        return ExcelNumberedResult

    @classmethod
    def get_diff_class(cls):
        return FullDiff

    def import_row(self, row, instance_loader, **kwargs):
        if kwargs.get("row_number") is not None:
            kwargs["row_number"] += HEADER_ROWS
        # The preview lists the first PREVIEW_ROWS rows: only theirs need a "before and
        # after" (a copy of the record and each column rendered twice).
        self._meta.skip_diff = (kwargs.get("row_number") or 0) > PREVIEW_ROWS + HEADER_ROWS
        return super().import_row(row, instance_loader, **kwargs)

    def template_headers(self) -> list[str]:
        """The columns of the import template, in order: those imported, and read-only
        ones the import still reads (named in `example_row`, e.g. 小区)."""
        return [
            str(field.column_name)
            for field in self.get_import_fields()
            if not field.readonly or field.column_name in self.example_row
        ]

    def get_instance(self, instance_loader, row):
        # An unreadable key column (e.g. an unknown building) is reported by
        # import_instance() as a validation error of that column, with its row number.
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        self._refuse_other_communities(instance, errors)
        if self._meta.clean_model_instances:
            try:
                instance.full_clean(
                    exclude=[*errors, *self.checked_fields],
                    validate_unique=validate_unique,
                    validate_constraints=self.validate_constraints,
                )
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(self._labelled(ValidationError(errors).message_dict))

    def _labelled(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Key the errors by the column header (or the model field's name) staff know."""
        labels = {f.attribute: f.column_name for f in self.fields.values() if f.attribute}
        labelled: dict[str, list[str]] = {}
        for key, messages in errors.items():
            if key in labels:
                label = labels[key]
            elif key == NON_FIELD_ERRORS:
                label = key
            else:
                try:
                    label = str(self._meta.model._meta.get_field(key).verbose_name)
                except Exception:  # noqa: BLE001 - an unknown key keeps its own name
                    label = key
            labelled.setdefault(label, []).extend(messages)
        return labelled


def _this_year() -> int:
    return timezone.localdate().year


class HouseholdResource(GongjianResource):
    """One household a row: 小区 (optional), 楼号, 单元, 门牌号, 户内人数, 备注."""

    complex = Field(column_name=COMPLEX, readonly=True)
    building = Field(attribute="building", column_name=BUILDING, widget=BuildingWidget())
    unit = Field(attribute="unit", column_name=UNIT, widget=UnitWidget())
    room = Field(attribute="room", column_name=ROOM, widget=RoomWidget())
    size = Field(
        attribute="size",
        column_name=SIZE,
        saves_null_values=False,
        widget=WholeNumberWidget(
            minimum=1, maximum=50, message=gettext_lazy("户内人数应为1至50之间的整数。")
        ),
    )
    note = Field(attribute="note", column_name=NOTE, widget=TextWidget())

    example_row = {COMPLEX: "", BUILDING: "3号楼", UNIT: "2", ROOM: "302", SIZE: 3, NOTE: ""}

    class Meta:
        model = Household
        fields = ("complex", "building", "unit", "room", "size", "note")
        import_id_fields = ("building", "unit", "room")
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        self.fields["building"].widget.reset()

    def dehydrate_complex(self, household: Household) -> str:
        # Blank for a row not yet read (the import preview's "before").
        return household.building.complex.name if household.building_id else ""

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("building__complex")


class ResidentResource(GongjianResource):
    """One resident a row: 姓名, 手机号码, 小区 (optional), 楼号, 单元, 门牌号, 出生年份, 党员.

    A row is matched to a resident by phone number (or, without one, by name at the same
    address); its household is found, or created, from the address.
    """

    name = Field(attribute="name", column_name=NAME, widget=NameWidget())
    phone = Field(attribute="phone", column_name=PHONE, widget=PhoneWidget())
    complex = Field(column_name=COMPLEX, readonly=True)
    building = Field(column_name=BUILDING)
    unit = Field(column_name=UNIT)
    room = Field(column_name=ROOM)
    birth_year = Field(
        attribute="birth_year",
        column_name=BIRTH_YEAR,
        widget=WholeNumberWidget(
            minimum=1900,
            maximum=_this_year,
            message=gettext_lazy("出生年份应为1900年至今年之间的四位数字，例如1956。"),
        ),
    )
    is_party_member = Field(
        attribute="is_party_member", column_name=PARTY_MEMBER, widget=YesNoWidget()
    )

    example_row = {
        NAME: "王秀英",
        PHONE: "13900000001",
        COMPLEX: "",
        BUILDING: "3号楼",
        UNIT: "2",
        ROOM: "302",
        BIRTH_YEAR: 1956,
        PARTY_MEMBER: "否",
    }

    # The household is found (or made) by the resource itself, from the address columns;
    # the login is never imported. The constraints are checked for the whole file: a phone
    # number already registered finds its resident (`before_import`), one given twice in
    # the file is refused (`import_instance`), and the birth year's widget takes 1900 to
    # this year only.
    checked_fields = ("household", "user")
    validate_constraints = False

    class Meta:
        model = Resident
        fields = (
            "name",
            "phone",
            "complex",
            "building",
            "unit",
            "room",
            "birth_year",
            "is_party_member",
        )
        import_id_fields = ("phone",)
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._phones_seen: dict[str, int] = {}
        self._by_phone: dict[str, Resident] = {}
        self._households: dict[tuple[int, str, str], Household] = {}
        self._buildings = BuildingWidget()

    def _scoped_widgets(self):
        return [*super()._scoped_widgets(), self._buildings]

    def before_import(self, dataset, **kwargs):
        """Read the file's residents (by phone) and households once, not once per row."""
        self._phones_seen.clear()
        self._buildings.reset()
        residents = Resident.objects.select_related("household__building__complex")
        phones = sorted({clean_phone(value) for value in dataset[PHONE]} - {""})
        self._by_phone = {}
        for start in range(0, len(phones), 500):
            chunk = phones[start : start + 500]
            self._by_phone.update((r.phone, r) for r in residents.filter(phone__in=chunk))
        self._households = {}
        building_ids = set()
        for row in dataset.dict:
            try:
                building_ids.add(self._buildings.clean(row.get(BUILDING), row=row).pk)
            except ValueError:
                continue  # reported with the row
        households = Household.objects.filter(building__in=building_ids).select_related(
            "building__complex"
        )
        self._households = {(h.building_id, h.unit, h.room): h for h in households}

    def find_household(self, row, *, create: bool, save: bool = True) -> Household | None:
        """The household at the row's address (楼号, 单元, 门牌号); None when the row gives
        none. `create` makes a missing one (validated; `save=False` in the preview, which
        writes nothing).

        Raises `ValidationError` keyed by column when the address is incomplete or unknown.
        """
        building_cell = cell_text(row.get(BUILDING))
        unit = clean_unit(row.get(UNIT))
        room = clean_room(row.get(ROOM))
        if not (building_cell or unit or room):
            return None
        if not room:
            raise ValidationError({ROOM: _("请填写门牌号。")})
        try:
            building = self._buildings.clean(building_cell, row=row)
        except ValueError as error:
            raise ValidationError({BUILDING: str(error)}) from None
        key = (building.pk, unit, room)
        household = self._households.get(key)
        if household is None and create:
            household = Household(building=building, unit=unit, room=room)
            try:
                household.full_clean(
                    exclude=["building"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                raise ValidationError(
                    {
                        {"unit": UNIT, "room": ROOM}.get(field, field): messages
                        for field, messages in error.message_dict.items()
                    }
                ) from None
            if save:
                household.save()
            self._households[key] = household
        return household

    def header_glosses(self) -> dict[str, str]:
        # The address columns are the household's fields.
        return {**HouseholdResource().header_glosses(), **super().header_glosses()}

    def get_instance(self, instance_loader, row):
        phone = clean_phone(row.get(PHONE))
        if phone:
            return self._by_phone.get(phone)
        # Without a phone number: the same name at the same address is the same person.
        try:
            household = self.find_household(row, create=False)
        except ValidationError:
            return None
        if household is None or household.pk is None:
            return None
        return household.members.filter(name=cell_text(row.get(NAME))).first()

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            instance.household = self.find_household(
                row, create=True, save=not kwargs.get("dry_run")
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Staff's own register: the facts in it are confirmed by staff.
        instance.birth_year_confirmed = instance.birth_year is not None
        instance.party_member_confirmed = bool(instance.is_party_member)
        phone = instance.phone
        row_number = kwargs.get("row_number")
        if phone and phone in self._phones_seen:
            errors.setdefault("phone", []).append(
                _("与第%(row)s行的手机号码重复。") % {"row": self._phones_seen[phone]}
            )
        elif phone:
            self._phones_seen[phone] = row_number
        if errors:
            raise ValidationError(errors)

    def dehydrate_complex(self, resident: Resident) -> str:
        household = resident.household
        return household.building.complex.name if household else ""

    def dehydrate_building(self, resident: Resident) -> str:
        household = resident.household
        return household.building.number if household else ""

    def dehydrate_unit(self, resident: Resident) -> str:
        return resident.household.unit if resident.household else ""

    def dehydrate_room(self, resident: Resident) -> str:
        return resident.household.room if resident.household else ""

    def filter_export(self, queryset, **kwargs):
        # Residents who deleted their data are not exported.
        return queryset.filter(anonymised_at__isnull=True).select_related(
            "household__building__complex"
        )
