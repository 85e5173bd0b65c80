"""The back office shows and accepts only rows of the user's communities
(`residents.scoping`), for every ModelAdmin and inline that carries these mixins.

- lists, actions, exports, search and the autocomplete (Django's autocomplete asks the
  related model's admin for its `get_queryset`) see only the scope's rows;
- a change, delete or history page of another community's object answers 404;
- every foreign-key and many-to-many choice on a form, and every related filter's choices
  in the list's sidebar, offer only the scope's rows (a posted id of another community's
  row is refused as an invalid choice);
- an inline lists only the scope's rows of the object.
"""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q
from django.http import Http404

from .models import Community, StaffScope
from .scoping import communities_for, is_scoped_model, own_community_id, scoped


def _scope_formfield(formfield, request):
    queryset = getattr(formfield, "queryset", None)
    if queryset is None:
        return formfield
    if is_scoped_model(queryset.model):
        formfield.queryset = scoped(queryset, request.user)
    elif queryset.model is get_user_model():
        formfield.queryset = _colleagues(queryset, request.user)
    return formfield


def _colleagues(users, user):
    """Back-office users placed in the user's communities or their subdistrict (e.g. whom
    a lead is assigned to): another community's staff are not named."""
    ids = communities_for(user)
    if ids is None:
        return users
    placed = StaffScope.objects.filter(
        Q(community__in=ids)
        | Q(subdistrict__in=Community.objects.filter(pk__in=ids).values("subdistrict"))
    )
    return users.filter(pk__in=placed.values("user"))


class ScopedChoicesMixin:
    """For a related field list filter: only the choices of the user's communities."""

    def field_choices(self, field, request, model_admin):
        choices = super().field_choices(field, request, model_admin)
        model = field.related_model
        if communities_for(request.user) is None or not is_scoped_model(model):
            return choices
        allowed = set(
            scoped(model._default_manager.all(), request.user).values_list("pk", flat=True)
        )
        return [(pk, label) for pk, label in choices if pk in allowed]


_SCOPED_FILTERS: dict[type, type] = {}


def scoped_filter(filter_class: type) -> type:
    """`filter_class` (a related field list filter) offering only the scope's choices."""
    if issubclass(filter_class, ScopedChoicesMixin):
        return filter_class
    if filter_class not in _SCOPED_FILTERS:
        _SCOPED_FILTERS[filter_class] = type(
            f"Scoped{filter_class.__name__}", (ScopedChoicesMixin, filter_class), {}
        )
    return _SCOPED_FILTERS[filter_class]


class _FormfieldScopeMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_formfield(formfield, request) if formfield is not None else None

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_formfield(formfield, request) if formfield is not None else None


class CommunityScopedInline(_FormfieldScopeMixin):
    """An inline listing only the rows of the user's communities."""

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)


class CommunityScopedAdmin(_FormfieldScopeMixin):
    """A ModelAdmin showing and accepting only rows of the user's communities."""

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and communities_for(request.user) is not None:
            # Another community's object, or none at all: the same answer for both.
            raise Http404
        return obj

    def history_view(self, request, object_id, extra_context=None):
        # Permission before existence (as on the change page), so that the answer does not
        # tell whether the object exists.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        # django-simple-history falls back to the last historical version of an object the
        # queryset does not hold: it must hold it here.
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _require_in_scope(self, request, object_id):
        if communities_for(request.user) is None:
            return
        try:
            pk = self.model._meta.pk.to_python(unquote(str(object_id)))
        except Exception as error:  # noqa: BLE001 - a malformed id is simply not found
            raise Http404 from error
        if not self.get_queryset(request).filter(pk=pk).exists():
            raise Http404

    def save_model(self, request, obj, form, change):
        # A record that names the community that registered it (a partner) is the adding
        # user's community's, when they work in one.
        if not change and getattr(obj, "registered_by_id", False) is None:
            obj.registered_by_id = own_community_id(request.user)
        super().save_model(request, obj, form, change)

    def get_resource_kwargs(self, request, *args, **kwargs):
        # django-import-export's resources (imports and exports) learn whose they are.
        return {**super().get_resource_kwargs(request, *args, **kwargs), "scope_user": request.user}

    def get_list_filter(self, request):
        return [self._scoped_list_filter(item) for item in super().get_list_filter(request)]

    def _scoped_list_filter(self, item):
        if isinstance(item, (list, tuple)):
            name, filter_class = item
            if isinstance(filter_class, type) and issubclass(
                filter_class, admin.RelatedFieldListFilter
            ):
                return (name, scoped_filter(filter_class))
            return item
        if not isinstance(item, str):
            return item
        try:
            field = get_fields_from_path(self.model, item)[-1]
        except (FieldDoesNotExist, admin.utils.NotRelationField):
            return item
        if field.is_relation and is_scoped_model(field.related_model):
            return (item, scoped_filter(admin.RelatedFieldListFilter))
        return item
