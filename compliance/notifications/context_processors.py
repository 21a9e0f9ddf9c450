from django.utils.functional import SimpleLazyObject

from . import services


def unread_notifications(request):
    """The bell's count of unread notifications: one query, and only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: services.unread_count(user))}
