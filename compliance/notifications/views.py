"""Pages: one's own notifications; mark one or all read."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from compliance.pages import ScopedPageMixin, paginate

from . import services

PAGE_SIZE = 30


class NotificationListView(ScopedPageMixin, View):
    template_name = "notifications/notification_list.html"

    def get(self, request):
        page = paginate(request, services.own_notifications(request.user), per_page=PAGE_SIZE)
        return render(request, self.template_name, {"page": page})


class NotificationReadView(ScopedPageMixin, View):
    """POST: mark one read, then go to what it is about (or back to the list)."""

    def post(self, request, pk):
        notification = services.mark_read(services.access_own(request.user, pk))
        target = notification.link
        if (
            request.POST.get("follow")
            and target
            and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
        ):
            return redirect(target)
        return redirect("notifications:list")


class NotificationReadAllView(ScopedPageMixin, View):
    def post(self, request):
        services.mark_all_read(request.user)
        return redirect("notifications:list")
