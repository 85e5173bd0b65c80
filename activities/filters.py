"""Filters of the activity list: `?category=` `?partner=` `?q=` `?when=upcoming|past`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner

from .models import Activity, Category

UPCOMING = "upcoming"
PAST = "past"


class ActivityFilter(django_filters.FilterSet):
    """What a resident can narrow the list by. Without `when` the list shows what is to come."""

    q = django_filters.CharFilter(
        label=_("搜索"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("活动名称、地点或单位"), "type": "search"}),
    )
    category = django_filters.ChoiceFilter(
        label=_("类别"), choices=Category.choices, empty_label=_("全部类别")
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("共建单位"),
        queryset=Partner.objects.order_by("name"),
        method="by_partner",
        empty_label=_("全部单位"),
    )
    when = django_filters.ChoiceFilter(
        label=_("时间"),
        choices=[(UPCOMING, _("即将开始")), (PAST, _("往期活动"))],
        method="by_time",
        empty_label=None,
    )

    class Meta:
        model = Activity
        fields = ["q", "category", "partner", "when"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("when"):
            data = data.copy()
            data["when"] = UPCOMING
        super().__init__(data, *args, **kwargs)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        by_partner = Activity.partners.through.objects.filter(
            Q(partner__name__icontains=value) | Q(partner__short_name__icontains=value)
        ).values("activity_id")
        return queryset.filter(
            Q(title__icontains=value)
            | Q(summary__icontains=value)
            | Q(description__icontains=value)
            | Q(place__icontains=value)
            | Q(pk__in=by_partner)
        )

    def by_partner(self, queryset, name, value):
        return queryset.filter(
            pk__in=Activity.partners.through.objects.filter(partner=value).values("activity_id")
        )

    def by_time(self, queryset, name, value):
        now = timezone.now()
        if value == PAST:
            return queryset.past(now)
        return queryset.upcoming(now)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "when" not in self.form.cleaned_data:  # an unknown `when`: what is to come
            queryset = queryset.upcoming(timezone.now())
        return queryset

    @property
    def is_past(self) -> bool:
        return self.form.is_valid() and self.form.cleaned_data.get("when") == PAST
