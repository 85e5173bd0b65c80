"""/summary/…: the party secretary's monthly summary (secretary and staff only)."""

from django.urls import path, register_converter

from . import views


class YearConverter:
    """1000–9999: year 0000 does not exist (and Python's dates refuse it)."""

    regex = "[1-9][0-9]{3}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class MonthConverter:
    """01–12 (one or two digits accepted; the view answers 404 for 0 or 13–99)."""

    regex = "[0-9]{1,2}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


register_converter(YearConverter, "summary_yyyy")
register_converter(MonthConverter, "summary_mm")

app_name = "summary"

urlpatterns = [
    path("", views.current, name="current"),
    path("go/", views.pick, name="pick"),
    path("<summary_yyyy:year>/", views.year, name="year"),
    path("<summary_yyyy:year>/<summary_mm:month>/", views.month, name="month"),
    path("<summary_yyyy:year>/<summary_mm:month>/export.xlsx", views.export, name="export"),
    path("<summary_yyyy:year>/partners/", views.scorecards, name="scorecards"),
    path("<summary_yyyy:year>/partners/<int:pk>/", views.scorecard, name="scorecard"),
    path(
        "<summary_yyyy:year>/partners/<int:pk>/export.xlsx",
        views.scorecard_export,
        name="scorecard_export",
    ),
]
