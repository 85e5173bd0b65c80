"""What else an activity's cancellation cancels, registered by the apps above (volunteering
cancels the volunteer roles' sign-ups and tells the volunteers): `activities` runs them
without importing those apps.

A hook is a function `(*, activity, by) -> None`. It runs inside the transaction that
cancels the activity (`services.cancel_activity`, or the back office's form saving the
status 已取消), after the activity was saved as cancelled: a hook that raises rolls the
whole cancellation back.
"""

from __future__ import annotations

from collections.abc import Callable

CANCELLATION_HOOKS: list[Callable] = []


def register(hook: Callable) -> Callable:
    """Run `hook(activity=…, by=…)` whenever an activity is cancelled (once per hook)."""
    if hook not in CANCELLATION_HOOKS:
        CANCELLATION_HOOKS.append(hook)
    return hook


def run(*, activity, by=None) -> None:
    """Run every registered hook for a cancelled activity (the caller's transaction)."""
    for hook in list(CANCELLATION_HOOKS):
        hook(activity=activity, by=by)
