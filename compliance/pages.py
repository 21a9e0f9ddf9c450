"""The one base for every page: login, scope, read-only refusal, and form-error plumbing."""

from __future__ import annotations

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Rows per list page. Each list's selector loads related rows for the whole page (constant
# queries), so the size bounds the work of one page, not its query count.
PAGE_SIZE = 50
# The page sizes a reader may choose (``?per_page=``); anything else gives the list's own size.
PAGE_SIZES = (20, 50, 100)


class ScopedPageMixin(LoginRequiredMixin):
    """Every page view inherits this. ``required_perm`` is needed somewhere in the scope to open
    the page at all; object-level checks happen in services and access helpers."""

    required_perm: str | None = None
    # A page that acts only on the caller's own credentials (API tokens), never on tenant data:
    # open to any login, read-only scopes (regulators) included. Services check ownership.
    acts_on_own_credentials = False
    # A page where a regulator keeps its agency's own records (DESIGN.md "Agency-owned records"):
    # its writes are not refused by the read-only scope; their services write agency-owned rows
    # only (``Scope.require_agency``), and every tenant write still fails its permission check.
    agency_records = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        scope = request.scope
        if self.acts_on_own_credentials:
            self.scope = scope
            return super().dispatch(request, *args, **kwargs)
        if not scope.grants:
            raise PermissionDenied
        if scope.read_only and request.method not in SAFE_METHODS and not self.agency_records:
            raise PermissionDenied
        if self.required_perm and not scope.has_perm(self.required_perm):
            raise PermissionDenied
        self.scope = scope
        return super().dispatch(request, *args, **kwargs)


class ScopedChoiceField(forms.UUIDField):
    """A reference to a tenant object in a form, looked up inside the scope. A foreign or
    missing id is a 404, exactly as in the URL."""

    def __init__(self, *, access, choices_func=None, **kwargs):
        self.access = access
        self.choices_func = choices_func
        kwargs.setdefault("widget", forms.Select)
        super().__init__(**kwargs)

    def set_choices(self, scope, blank=True):
        options = [("", "—")] if blank else []
        options += [(str(obj.pk), label) for obj, label in self.choices_func(scope)]
        self.widget.choices = options
        self.scope = scope

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        try:
            return self.access(self.scope, pk)
        except Http404:
            raise
        except Exception as exc:
            raise Http404 from exc


def _view_says(request, attribute: str) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    return bool(getattr(view_class, attribute, False))


def view_acts_on_own_credentials(request) -> bool:
    """Whether the URL's view sets ``acts_on_own_credentials`` (for middleware, before the view runs)."""
    return _view_says(request, "acts_on_own_credentials")


def view_keeps_agency_records(request) -> bool:
    """Whether the URL's view sets ``agency_records``: a regulator writes its agency's own records
    there, so its request is not a read-only transaction (for middleware, before the view runs)."""
    return _view_says(request, "agency_records")


# --- list pages: one page of rows, the filters that chose them, the pager's links -------------
def page_size(request, default: int = PAGE_SIZE) -> int:
    """The page size the reader chose (``per_page``, one of PAGE_SIZES), else ``default``: a bad
    value is ignored like a bad page number, never an error."""
    value = request.GET.get("per_page", "")
    return int(value) if value.isdigit() and int(value) in PAGE_SIZES else default


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows (``capped`` says whether there are more).

    Counting a list exactly reads every row it holds; under row-level security each costs the
    policy's test, so a register of a million rows took seconds to count (docs/hazards.md
    "Scale") while its first page took milliseconds. Nobody pages through ten thousand rows:
    past the cap the reader narrows the filters, and the pager offers the first ``cap`` rows."""

    cap = 10_000

    def __init__(self, *args, cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if cap is not None:
            self.cap = cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not hasattr(rows, "order_by"):
            return super().count
        # The order does not change a count; without it the database stops after cap + 1 rows.
        found = rows.order_by()[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)


def paginate(
    request, rows, *, per_page: int = PAGE_SIZE, param: str = "page", count_cap: int | None = None
) -> Page:
    """The page of ``rows`` asked for in the query string; a missing or bad number gives the
    first page and one past the end the last (Django's ``get_page``), never an error. The reader
    may choose the page size (``per_page``: 20, 50 or 100); the pager's links and the filters
    keep it, since ``filter_query`` drops only the page number. With ``count_cap``, at most that
    many rows are counted (``CappedPaginator``; the pager then says "more than …")."""
    size = page_size(request, per_page)
    if count_cap is None:
        paginator = Paginator(rows, size)
    else:
        paginator = CappedPaginator(rows, size, cap=count_cap)
    page = paginator.get_page(request.GET.get(param))
    # The size choice: links to the first page at each size, with the current filters.
    params = request.GET.copy()
    for key in (param, "per_page"):
        params.pop(key, None)
    base = params.urlencode()
    page.per_page = size
    page.sizes = [(n, f"{base}&per_page={n}" if base else f"per_page={n}") for n in PAGE_SIZES]
    # The pager's numbers: the first and last page, and two either side of this one, with "…"
    # between (Django's elided range; ``_pager.html`` shows them).
    page.numbers = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    page.ellipsis = Paginator.ELLIPSIS
    return page


def filter_query(request, *, drop: tuple[str, ...] = ("page",)) -> str:
    """The current filters as a query string, for the pager's and the export's links: the query
    without the page number (and whatever else ``drop`` names, e.g. an ``export`` switch)."""
    params = request.GET.copy()
    for key in drop:
        params.pop(key, None)
    return params.urlencode()


def valid_filters(form: forms.Form) -> dict:
    """A filter form's values; none when it is unbound or invalid (the list then shows
    everything in scope rather than an error page)."""
    return form.cleaned_data if form.is_valid() else {}


def unit_label(unit) -> str:
    """An org unit in a drop-down, indented by its depth in the tree (full-width spaces)."""
    return f"{'　' * unit.depth}{unit.name}"


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where the field exists."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


NOT_PERMITTED = _("You are not permitted to do this here.")
