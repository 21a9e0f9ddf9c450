"""Response helpers shared by pages and endpoints."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

NO_STORE = "private, no-store"


def no_store(response):
    """Marks a response that carries personal data (a revealed resident ID number, an Excel export,
    a job's input or output file) as never to be kept: not by the browser's cache on a shared
    tablet, nor by a proxy on the way. Returns the response."""
    response["Cache-Control"] = NO_STORE
    return response


# --- error pages: the product's look, translated, with the navigation and a way back -----------
def _back(request) -> str:
    """The page the user came from, if it is a page of this site (never another site's)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or referer == request.build_absolute_uri():
        return ""
    ok = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if ok else ""


def _error(request, *, status: int, template: str, detail) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(detail)}, status=status)
    try:
        return render(request, template, {"back": _back(request)}, status=status)
    except Exception:
        # What the full page needs (the scope, the navigation, the database) may be what failed:
        # the same page without them.
        return HttpResponse(loader.get_template(template).render({}), status=status)


def permission_denied(request, exception=None):
    return _error(request, status=403, template="403.html", detail=_("Not permitted"))


def page_not_found(request, exception=None):
    return _error(request, status=404, template="404.html", detail=_("Not found."))


def server_error(request):
    return _error(request, status=500, template="500.html", detail=_("Something went wrong"))
