"""Extra sections of an activity's page, registered by the apps above (volunteering adds
its volunteer roles): `activities` shows them without importing those apps.

A section is a function `(request, activity, resident) -> dict | None`; the dict has the
`template` to include and its context (it is given to the template as `section`).
"""

from collections.abc import Callable

DETAIL_SECTIONS: list[Callable] = []


def register_detail_section(section: Callable) -> Callable:
    if section not in DETAIL_SECTIONS:
        DETAIL_SECTIONS.append(section)
    return section


def detail_sections(request, activity, resident) -> list[dict]:
    return [s for section in DETAIL_SECTIONS if (s := section(request, activity, resident))]
