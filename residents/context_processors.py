"""The unread count of the resident's inbox, for the header's "我的" link."""

from django.utils.functional import SimpleLazyObject

from .models import Notification


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    return {
        # Counted only when a template shows it (one query).
        "inbox_unread": SimpleLazyObject(
            lambda: (
                Notification.objects.unread()
                .filter(resident__user=user, resident__anonymised_at__isnull=True)
                .count()
            )
        )
    }
