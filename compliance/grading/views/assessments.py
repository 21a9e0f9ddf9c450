"""Pages of self-assessments: list, start, the scoring page (saved item by item with htmx and a
live result panel), the HQ review (both figures side by side), and the evidence files.

Regulators and other read-only logins see the same pages without any form; their POSTs are
refused by ``ScopedPageMixin`` before anything is looked up.
"""

from __future__ import annotations

import posixpath

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from compliance import storage
from compliance.files import content_type_for
from compliance.grading import assessment_selectors, assessments, report
from compliance.grading import permissions as grading_perms
from compliance.grading.models import Assessment
from compliance.grading.scoring import StandardSpec, fmt, level_name, mine_item_score
from compliance.pages import (
    ScopedChoiceField,
    ScopedPageMixin,
    apply_service_errors,
    filter_query,
    paginate,
    valid_filters,
)
from tenants import selectors

Status = Assessment.Status


# --- forms --------------------------------------------------------------------------------------------
def _mine_choices(scope):
    return [(m, m.name) for m in assessments.startable_mines(scope)]


class StartForm(forms.Form):
    mine = ScopedChoiceField(
        label=gettext_lazy("Mine"), access=selectors.access_mine, choices_func=_mine_choices
    )
    standard_version = forms.TypedChoiceField(label=gettext_lazy("Standard version"), coerce=int)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mine"].set_choices(scope)
        self.scope = scope
        tenant_ids = {g.tenant_id for g in scope.grants}
        today = timezone.localdate()
        versions = []
        for tenant_id in tenant_ids:
            versions += list(assessments.versions_for_tenant(tenant_id, today))
        self.versions = {v.pk: v for v in versions}
        self.fields["standard_version"].choices = [("", "—")] + [
            (v.pk, f"{v.standard.name}（{v.label}，{v.document_no}）") for v in self.versions.values()
        ]

    def clean_standard_version(self):
        return self.versions[self.cleaned_data["standard_version"]]


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses"))] + Status.choices,
        required=False,
    )
    mine = forms.UUIDField(required=False, widget=forms.HiddenInput)
    returned = forms.BooleanField(label=gettext_lazy("Only returned by HQ"), required=False)


# --- helpers ------------------------------------------------------------------------------------------
class _GradingPage(ScopedPageMixin):
    required_perm = grading_perms.VIEW_GRADING


def _panel_context(assessment: Assessment, spec: StandardSpec, *, reviewed: bool) -> dict:
    if assessment.status == Status.APPROVED:
        result = assessment_selectors.counting_result(assessment, spec=spec)
    else:
        result = assessment_selectors.result(assessment, reviewed=reviewed, spec=spec)
    return {
        "result": result,
        "total_text": fmt(result.total),
        "level_text": level_name(result.level),
        "rule_warnings": assessment_selectors.rule_warnings(assessment, result),
        "reviewed": reviewed,
        "assessment": assessment,
    }


def _leaf_parts(spec: StandardSpec) -> list:
    parents = {p.parent_id for p in spec.parts}
    return [p for p in spec.parts if p.id not in parents]


def parse_item_post(data, files) -> dict:
    """The item form's fields: deduction rows ``d-<n>-…`` (blank rows ignored, ticked ``delete``
    rows dropped), not applicable, reason, and the row version the page showed."""
    rows = []
    n = 0
    indexes = sorted(
        {
            int(k.split("-")[1])
            for k in list(data.keys()) + list(files.keys())
            if k.startswith("d-") and k.count("-") == 2 and k.split("-")[1].isdigit()
        }
    )
    for n in indexes:
        prefix = f"d-{n}-"
        row = {
            "points": (data.get(prefix + "points") or "").strip(),
            "reason": (data.get(prefix + "reason") or "").strip(),
            "location": (data.get(prefix + "location") or "").strip(),
            "keep": data.get(prefix + "keep") or None,
            "evidence_name": data.get(prefix + "evidence_name") or "",
            "evidence": files.get(prefix + "evidence"),
        }
        if data.get(prefix + "delete"):
            continue
        if not (row["points"] or row["reason"] or row["location"] or row["evidence"]):
            continue
        rows.append(row)
    try:
        based_on = int(data.get("row_version", ""))
    except ValueError:
        based_on = -1  # a page that sends no version is stale by definition
    return {
        "deductions": rows,
        "not_applicable": bool(data.get("not_applicable")),
        "reason": (data.get("reason") or "").strip(),
        "row_version": based_on,
    }


def _item_context(row, *, can_edit: bool, assessment, posted=None, errors=None, conflict=None, saved=False):
    score = row.score
    if posted is None:
        rows = [
            {
                "points": fmt_points(d.points),
                "reason": d.reason,
                "location": d.location,
                "keep": str(d.pk),
                "evidence_name": d.evidence_name,
                "has_evidence": bool(d.evidence),
                "errors": {},
            }
            for d in score.deductions.all()
        ]
        na, reason, row_version = score.not_applicable, score.reason, score.row_version
    else:
        rows = []
        for n, d in enumerate(posted["deductions"]):
            rows.append(
                {
                    **{k: d[k] for k in ("points", "reason", "location", "keep", "evidence_name")},
                    "has_evidence": bool(d["keep"] and d["evidence_name"]),
                    "errors": {
                        f: (errors or {}).get(f"deductions.{n}.{f}", [])
                        for f in ("points", "reason", "location", "evidence")
                    },
                }
            )
        na, reason = posted["not_applicable"], posted["reason"]
        # After a conflict the form is based on what is saved now: saving again replaces it knowingly.
        row_version = score.row_version if conflict else posted["row_version"]
    blank = {
        "points": "",
        "reason": "",
        "location": "",
        "keep": "",
        "evidence_name": "",
        "has_evidence": False,
        "errors": {},
    }
    if can_edit:
        rows.append(blank)
    for n, r in enumerate(rows):
        r["n"] = n
    item = row.item
    mine_score = mine_item_score(
        item.max_points, deducted=score.deducted, not_applicable=score.not_applicable
    )
    return {
        "row": row,
        "item": item,
        "score": score,
        "mine_score": fmt_points(mine_score) if mine_score is not None else None,
        "rows": rows,
        "na": na,
        "reason": reason,
        "row_version": row_version,
        "errors": {("non_field_errors" if k == "__all__" else k): v for k, v in (errors or {}).items()},
        "conflict": conflict,
        "saved": saved,
        "can_edit": can_edit,
        "assessment": assessment,
    }


def fmt_points(value) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --- list and start ----------------------------------------------------------------------------------
class AssessmentListView(_GradingPage, TemplateView):
    template_name = "grading/assessments/list.html"

    def get_context_data(self, **kwargs):
        form = FilterForm(self.request.GET or None)
        filters = valid_filters(form)
        mine = selectors.access_org_unit(self.scope, filters["mine"]) if filters.get("mine") else None
        qs = assessments.assessment_list(
            scope=self.scope,
            status=filters.get("status", ""),
            mine=mine,
            returned=bool(filters.get("returned")),
        )
        return super().get_context_data(
            filter_form=form,
            mine=mine,
            mines=assessments.startable_mines(self.scope) if not self.scope.read_only else [],
            page=paginate(self.request, qs),
            query=filter_query(self.request),
            can_start=self.scope.has_perm(grading_perms.MANAGE_GRADING),
            **kwargs,
        )


class AssessmentStartView(_GradingPage, View):
    required_perm = grading_perms.MANAGE_GRADING
    template_name = "grading/assessments/start.html"

    def get(self, request):
        form = StartForm(initial={"mine": request.GET.get("mine")}, scope=self.scope)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = StartForm(request.POST, scope=self.scope)
        if form.is_valid():
            try:
                assessment = assessments.start(
                    scope=self.scope,
                    mine=form.cleaned_data["mine"],
                    version=form.cleaned_data["standard_version"],
                    actor=request.user,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Assessment started. Score each item; your work is saved as you go.")
                )
                return redirect("grading:assessment-detail", pk=assessment.pk)
        return render(request, self.template_name, {"form": form}, status=400)


# --- the scoring page ---------------------------------------------------------------------------------
class AssessmentDetailView(_GradingPage, View):
    template_name = "grading/assessments/detail.html"

    def get(self, request, pk):
        assessment = assessments.access_assessment(self.scope, pk)
        spec = StandardSpec.load(assessment.version)
        leaves = _leaf_parts(spec)
        part_id = request.GET.get("part")
        current = next((p for p in leaves if str(p.id) == part_id), leaves[0] if leaves else None)
        can_edit = assessment.status == Status.DRAFT and assessments.can(
            self.scope, grading_perms.MANAGE_GRADING, assessment
        )
        can_submit = can_edit
        can_review = assessment.status in (Status.SUBMITTED, Status.UNDER_REVIEW) and assessments.can(
            self.scope, grading_perms.REVIEW_GRADING, assessment
        )
        rows = assessment_selectors.item_rows(assessment, part_id=current.id if current else None)
        reviewed = assessment.status in (Status.UNDER_REVIEW, Status.APPROVED)
        panel = _panel_context(assessment, spec, reviewed=reviewed)
        tree = _tree(spec, panel["result"])
        return render(
            request,
            self.template_name,
            {
                "assessment": assessment,
                "tree": tree,
                "current": current,
                "items": [_item_context(r, can_edit=can_edit, assessment=assessment) for r in rows],
                "can_edit": can_edit,
                "can_submit": can_submit,
                "can_review": can_review,
                "can_report": report.can_start_report(self.scope, assessment),
                "return_comment": assessments.last_return_comment(assessment)
                if assessment.status == Status.DRAFT
                else "",
                **panel,
            },
        )


def _tree(spec: StandardSpec, result) -> list[dict]:
    """The part navigation: every part in tree order with its figures."""
    leaves = _leaf_parts(spec)
    part_results = {p.id: p for p in result.parts}
    return [
        {
            "part": p,
            "result": part_results.get(p.id),
            "is_leaf": p in leaves,
            "depth": 1 if p.parent_id else 0,
        }
        for p in _ordered(spec)
    ]


def _ordered(spec: StandardSpec):
    children: dict = {}
    for p in spec.parts:
        children.setdefault(p.parent_id, []).append(p)
    out = []

    def walk(parent):
        for p in children.get(parent, []):
            out.append(p)
            walk(p.id)

    walk(None)
    return out


class ItemSaveView(_GradingPage, View):
    """One item's form, posted by htmx (answers the item's fragment and the result panel, out of
    band) or as a plain form (redirects back, or shows the item alone with its errors)."""

    required_perm = grading_perms.MANAGE_GRADING

    def post(self, request, pk, item_id):
        assessment = assessments.access_assessment(self.scope, pk)
        item = assessments.item_of(assessment, item_id)
        posted = parse_item_post(request.POST, request.FILES)
        errors = conflict = None
        status = 200
        try:
            assessments.save_item(
                scope=self.scope,
                assessment=assessment,
                item=item,
                deductions=posted["deductions"],
                not_applicable=posted["not_applicable"],
                reason=posted["reason"],
                based_on_version=posted["row_version"],
                actor=request.user,
            )
        except assessments.StaleItemSave as exc:
            conflict, status = exc.message, 409
        except assessments.WrongState as exc:
            conflict, status = exc.message, 409
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
        row = next(iter(assessment_selectors.item_rows_for(assessment, item)))
        can_edit = assessment.status == Status.DRAFT
        if status == 200:
            context = _item_context(row, can_edit=can_edit, assessment=assessment, saved=True)
        else:
            context = _item_context(
                row, can_edit=can_edit, assessment=assessment, posted=posted, errors=errors, conflict=conflict
            )
        if request.htmx:
            spec = StandardSpec.load(assessment.version)
            context.update(_panel_context(assessment, spec, reviewed=False))
            context["tree"] = _tree(spec, context["result"])
            context["current"] = next((p for p in spec.parts if p.id == item.part_id), None)
            context["oob"] = True
            # htmx swaps only 2xx answers: the outcome is in the fragment (and its data-state).
            return render(request, "grading/assessments/_item_saved.html", context)
        if status == 200:
            return redirect(
                reverse("grading:assessment-detail", kwargs={"pk": assessment.pk})
                + f"?part={item.part_id}#item-{item.pk}"
            )
        return render(request, "grading/assessments/item_page.html", context, status=status)


class SubmitView(_GradingPage, View):
    required_perm = grading_perms.MANAGE_GRADING

    def post(self, request, pk):
        assessment = assessments.access_assessment(self.scope, pk)
        try:
            assessments.submit(scope=self.scope, assessment=assessment, actor=request.user)
        except (ValidationError, assessments.WrongState) as exc:
            text = exc.message if isinstance(exc, assessments.WrongState) else " ".join(exc.messages)
            messages.error(request, text)
        else:
            messages.success(request, _("Submitted to the group HQ for review."))
        return redirect("grading:assessment-detail", pk=assessment.pk)


class EvidenceView(_GradingPage, View):
    """An evidence file, to anyone who may read the assessment (scope-checked, never a static URL)."""

    def get(self, request, pk, deduction_id):
        assessment = assessments.access_assessment(self.scope, pk)
        deduction = assessments.access_deduction(self.scope, assessment, deduction_id)
        stored = assessments.evidence_open(deduction)
        if stored is None:
            raise Http404
        content_type = content_type_for(deduction.evidence)
        return storage.file_response(
            stored,
            content_type=content_type,
            as_attachment=content_type == "application/pdf",
            filename=deduction.evidence_name or posixpath.basename(deduction.evidence),
        )


# --- the HQ review -------------------------------------------------------------------------------------
class ReviewView(_GradingPage, View):
    """Both figures per item side by side; the reviewer adjusts, approves or returns."""

    template_name = "grading/assessments/review.html"

    def get(self, request, pk):
        assessment = assessments.access_assessment(self.scope, pk)
        spec = StandardSpec.load(assessment.version)
        can_review = assessments.can(self.scope, grading_perms.REVIEW_GRADING, assessment)
        rows = assessment_selectors.item_rows(assessment)
        mine_result = assessment_selectors.result(assessment, reviewed=False, spec=spec)
        panel = _panel_context(assessment, spec, reviewed=True)
        return render(
            request,
            self.template_name,
            {
                "assessment": assessment,
                "rows": [_review_row(r) for r in rows],
                "can_start": can_review and assessment.status == Status.SUBMITTED,
                "can_adjust": can_review and assessment.status == Status.UNDER_REVIEW,
                "can_decide": can_review and assessment.status in (Status.SUBMITTED, Status.UNDER_REVIEW),
                "mine_result": mine_result,
                "mine_total_text": fmt(mine_result.total),
                "mine_level_text": level_name(mine_result.level),
                **panel,
            },
        )


def _review_row(row, errors=None, posted=None) -> dict:
    item, score = row.item, row.score
    mine_score = mine_item_score(
        item.max_points, deducted=score.deducted, not_applicable=score.not_applicable
    )
    return {
        "item": item,
        "score": score,
        "mine_score": fmt_points(mine_score) if mine_score is not None else None,
        "review_score": fmt_points(score.review_score) if score.review_score is not None else "",
        "deductions": list(score.deductions.all()),
        "errors": errors or {},
        "posted": posted,
    }


class _ReviewAction(_GradingPage, View):
    required_perm = grading_perms.REVIEW_GRADING


class ReviewStartView(_ReviewAction):
    def post(self, request, pk):
        assessment = assessments.access_assessment(self.scope, pk)
        try:
            assessments.start_review(scope=self.scope, assessment=assessment, actor=request.user)
        except assessments.WrongState as exc:
            messages.error(request, exc.message)
        return redirect("grading:assessment-review", pk=assessment.pk)


class AdjustView(_ReviewAction):
    def post(self, request, pk, item_id):
        assessment = assessments.access_assessment(self.scope, pk)
        item = assessments.item_of(assessment, item_id)
        posted = {
            "review_score": request.POST.get("review_score", ""),
            "comment": request.POST.get("comment", ""),
        }
        errors, status = None, 200
        try:
            assessments.adjust(
                scope=self.scope,
                assessment=assessment,
                item=item,
                review_score=posted["review_score"].strip() or None,
                comment=posted["comment"],
                actor=request.user,
            )
        except assessments.WrongState as exc:
            errors, status = {"review_score": [exc.message]}, 409
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
        row = next(iter(assessment_selectors.item_rows_for(assessment, item)))
        if not request.htmx:
            if status == 200:
                return redirect(
                    reverse("grading:assessment-review", kwargs={"pk": assessment.pk}) + f"#review-{item.pk}"
                )
            messages.error(request, " ".join(m for msgs in errors.values() for m in msgs))
            return redirect("grading:assessment-review", pk=assessment.pk)
        spec = StandardSpec.load(assessment.version)
        context = {
            "r": _review_row(row, errors=errors, posted=posted if errors else None),
            "can_adjust": True,
            "assessment": assessment,
            "oob": True,
            "saved": status == 200,
            **_panel_context(assessment, spec, reviewed=True),
        }
        return render(request, "grading/assessments/_review_saved.html", context)


class ApproveView(_ReviewAction):
    def post(self, request, pk):
        assessment = assessments.access_assessment(self.scope, pk)
        try:
            assessments.approve(scope=self.scope, assessment=assessment, actor=request.user)
        except assessments.WrongState as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Approved: %(level)s, total %(total)s.")
                % {"level": level_name(assessment.level), "total": fmt(assessment.total)},
            )
        return redirect("grading:assessment-review", pk=assessment.pk)


class ReturnView(_ReviewAction):
    def post(self, request, pk):
        assessment = assessments.access_assessment(self.scope, pk)
        try:
            assessments.return_to_mine(
                scope=self.scope,
                assessment=assessment,
                comment=request.POST.get("comment", ""),
                actor=request.user,
            )
        except assessments.WrongState as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        else:
            messages.success(request, _("Returned to the mine with your comment."))
        return redirect("grading:assessment-review", pk=assessment.pk)


urlpatterns = [
    path("assessments/", AssessmentListView.as_view(), name="assessment-list"),
    path("assessments/new/", AssessmentStartView.as_view(), name="assessment-start"),
    path("assessments/<uuid:pk>/", AssessmentDetailView.as_view(), name="assessment-detail"),
    path("assessments/<uuid:pk>/items/<int:item_id>/", ItemSaveView.as_view(), name="assessment-item"),
    path("assessments/<uuid:pk>/submit/", SubmitView.as_view(), name="assessment-submit"),
    path(
        "assessments/<uuid:pk>/evidence/<uuid:deduction_id>/",
        EvidenceView.as_view(),
        name="assessment-evidence",
    ),
    path("assessments/<uuid:pk>/review/", ReviewView.as_view(), name="assessment-review"),
    path("assessments/<uuid:pk>/review/start/", ReviewStartView.as_view(), name="assessment-review-start"),
    path("assessments/<uuid:pk>/review/items/<int:item_id>/", AdjustView.as_view(), name="assessment-adjust"),
    path("assessments/<uuid:pk>/approve/", ApproveView.as_view(), name="assessment-approve"),
    path("assessments/<uuid:pk>/return/", ReturnView.as_view(), name="assessment-return"),
]
