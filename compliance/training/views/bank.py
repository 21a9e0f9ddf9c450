"""Pages of the question bank (题库) and exam papers (试卷). Thin: parse input, call one selector or
service of ``training.bank``, render.

Who: the bank (questions with their answers) needs ``view_question_bank`` to read and
``manage_training`` to write — regulators and workers never see it. Papers and their results need
``view_training`` (regulators read them; they show no answers); a worker, who reads only records
about themself, sits papers on the exam pages instead.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from compliance.http import no_store
from compliance.imports.views import ImportTemplateView, ImportView
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate, valid_filters
from compliance.training import bank, bank_io, selectors
from compliance.training import permissions as training_perms
from compliance.training.bank_forms import (
    OptionFormSet,
    PaperForm,
    QuestionFilterForm,
    QuestionForm,
    SectionFormSet,
    section_rows,
)
from compliance.training.models import ExamPaper, MineType, PaperSection, PostCategory, Question
from tenants import roles

POST_LABELS = dict(PostCategory.choices)
MINE_LABELS = dict(MineType.choices)


def _tag_labels(values, labels) -> list[str]:
    return [str(labels.get(v, v)) for v in values or []]


def _not_self_only(scope) -> None:
    """Papers and results are management pages: a worker's scope (self only) is refused."""
    perms = {p for role in scope.roles for p in roles.perms_of(role)}
    if roles.SELF_ONLY in perms and len(scope.roles) == 1:
        raise PermissionDenied


# --- questions -----------------------------------------------------------------------------------------
def _filters(scope, params):
    form = QuestionFilterForm(params or None, topics=selectors.question_topics(scope=scope))
    filters = valid_filters(form)
    return form, {
        "type": filters.get("type", ""),
        "topic": filters.get("topic", ""),
        "post_category": filters.get("post_category", ""),
        "mine_type": filters.get("mine_type", ""),
        "difficulty": filters.get("difficulty"),
        "search": filters.get("q", ""),
        "retired": filters.get("state") == "retired",
    }


class QuestionListView(ScopedPageMixin, TemplateView):
    template_name = "training/question_list.html"
    required_perm = training_perms.VIEW_QUESTION_BANK

    def get_context_data(self, **kwargs):
        form, filters = _filters(self.scope, self.request.GET)
        page = paginate(self.request, selectors.question_list(scope=self.scope, **filters))
        for question in page:
            question.post_labels = _tag_labels(question.post_categories, POST_LABELS)
            question.mine_labels = _tag_labels(question.mine_types, MINE_LABELS)
        return super().get_context_data(
            filter_form=form,
            page=page,
            query=filter_query(self.request),
            can_manage=self.scope.has_perm(training_perms.MANAGE_TRAINING),
            **kwargs,
        )


class QuestionExportView(ScopedPageMixin, View):
    required_perm = training_perms.VIEW_QUESTION_BANK

    def get(self, request):
        _form, filters = _filters(self.scope, request.GET)
        questions = selectors.question_list(scope=self.scope, **filters)
        response = HttpResponse(
            bank_io.question_export(scope=self.scope, questions=questions), content_type=bank_io.XLSX
        )
        response["Content-Disposition"] = 'attachment; filename="questions.xlsx"'
        return no_store(response)


def _options_from(form: QuestionForm, formset) -> list[dict]:
    if form.cleaned_data.get("type") == Question.Type.TRUE_FALSE:
        answer = form.cleaned_data.get("true_false_answer")
        if not answer:
            return []  # the service says what is missing
        return bank.true_false_options(answer == "true")
    return [
        {"text": f.cleaned_data.get("text", ""), "is_correct": f.cleaned_data.get("is_correct", False)}
        for f in formset.forms
    ]


def _apply_question_errors(form, formset, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        option_errors = exc.message_dict.get("options", [])
        if option_errors:
            if form.cleaned_data.get("type") == Question.Type.TRUE_FALSE:
                for message in option_errors:
                    form.add_error("true_false_answer", message)
            else:
                formset.option_errors = option_errors
        rest = {k: v for k, v in exc.message_dict.items() if k != "options"}
        if rest:
            apply_service_errors(form, ValidationError(rest))
    else:
        apply_service_errors(form, exc)


class QuestionFormView(ScopedPageMixin, View):
    """Create a question, or edit one (which saves a new version)."""

    required_perm = training_perms.MANAGE_TRAINING
    template_name = "training/question_form.html"

    def _question(self, pk):
        if pk is None:
            return None
        question = selectors.access_question(self.scope, pk)
        self.scope.require(training_perms.MANAGE_TRAINING, question.org_unit)
        return question

    def _render(self, request, form, formset, question, status=200):
        context = {
            "form": form,
            "formset": formset,
            "question": question,
            "letters": bank.OPTION_LETTERS,
            "option_errors": getattr(formset, "option_errors", []),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk=None):
        question = self._question(pk)
        if question is not None and not question.is_current:
            messages.error(request, _("Only the current version of a question can be edited."))
            return redirect("training:question-detail", pk=question.pk)
        if question is None:
            initial = {"org_unit": request.GET.get("unit"), "difficulty": 2}
            options = []
        else:
            initial = {name: getattr(question, name) for name in bank.QUESTION_FIELDS}
            options = [{"text": o.text, "is_correct": o.is_correct} for o in question.options.all()]
            if question.type == Question.Type.TRUE_FALSE:
                correct = next((o["text"] for o in options if o["is_correct"]), "")
                initial["true_false_answer"] = "true" if correct == bank.TRUE_TEXT else "false"
                options = []
        form = QuestionForm(initial=initial, scope=self.scope, creating=question is None)
        formset = OptionFormSet(initial=options, prefix="options")
        return self._render(request, form, formset, question)

    def post(self, request, pk=None):
        question = self._question(pk)
        form = QuestionForm(request.POST, scope=self.scope, creating=question is None)
        formset = OptionFormSet(request.POST, prefix="options")
        if form.is_valid() and formset.is_valid():
            data, options = form.data_for_service(), _options_from(form, formset)
            try:
                if question is None:
                    saved = bank.create_question(
                        form.cleaned_data["org_unit"], data, options, request.user, scope=self.scope
                    )
                    messages.success(request, _("Question added to the bank."))
                else:
                    saved = bank.edit_question(question, data, options, request.user, scope=self.scope)
                    if saved.pk == question.pk:
                        messages.info(request, _("Nothing changed."))
                    else:
                        messages.success(
                            request,
                            _("Saved as version %(n)d; earlier versions are kept.") % {"n": saved.version},
                        )
            except ValidationError as exc:
                _apply_question_errors(form, formset, exc)
            else:
                return redirect("training:question-detail", pk=saved.pk)
        return self._render(request, form, formset, question, status=400)


class QuestionDetailView(ScopedPageMixin, TemplateView):
    template_name = "training/question_detail.html"
    required_perm = training_perms.VIEW_QUESTION_BANK

    def get_context_data(self, pk, **kwargs):
        question = selectors.access_question(self.scope, pk)
        history = selectors.question_history(scope=self.scope, question=question)
        options = list(question.options.all())
        for index, option in enumerate(options):
            option.letter = bank.OPTION_LETTERS[index] if index < bank.MAX_OPTIONS else str(index + 1)
        current = next((q for q in history if q.is_current), None)
        return super().get_context_data(
            question=question,
            options=options,
            history=history,
            current=current,
            post_labels=_tag_labels(question.post_categories, POST_LABELS),
            mine_labels=_tag_labels(question.mine_types, MINE_LABELS),
            can_manage=self.scope.has_perm(
                training_perms.MANAGE_TRAINING, question.org_unit.path, question.tenant_id
            ),
            **kwargs,
        )


class QuestionRetireView(ScopedPageMixin, View):
    required_perm = training_perms.MANAGE_TRAINING

    def post(self, request, pk):
        question = selectors.access_question(self.scope, pk)
        try:
            bank.retire_question(question, request.user, scope=self.scope)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Retired: it is no longer drawn for new attempts; its history stays.")
            )
        return redirect("training:question-detail", pk=question.pk)


# --- papers -------------------------------------------------------------------------------------------------
class PaperListView(ScopedPageMixin, TemplateView):
    template_name = "training/paper_list.html"
    required_perm = training_perms.VIEW_TRAINING

    def get_context_data(self, **kwargs):
        _not_self_only(self.scope)
        search = self.request.GET.get("q", "").strip()
        spot = self.request.GET.get("kind", "")
        papers = selectors.paper_list(scope=self.scope, search=search, spot=spot)
        return super().get_context_data(
            page=paginate(self.request, papers),
            query=filter_query(self.request),
            filters={"q": search, "kind": spot},
            can_manage=self.scope.has_perm(training_perms.MANAGE_TRAINING),
            **kwargs,
        )


def _sections_for_check(formset, tenant_id) -> list[PaperSection]:
    """Unsaved sections from whatever the form holds now (for the live check)."""
    sections = []
    for form in formset.forms:
        data = form.cleaned_data if form.is_valid() else {}
        if not data or form.is_blank() or not data.get("question_type"):
            continue
        sections.append(
            PaperSection(
                tenant_id=tenant_id,
                question_type=data["question_type"],
                post_category=data.get("post_category") or "",
                mine_type=data.get("mine_type") or "",
                topic=(data.get("topic") or "").strip(),
                difficulty=data.get("difficulty"),
                count=data.get("count") or 0,
                points=data.get("points") or 0,
            )
        )
    return sections


class PaperFormView(ScopedPageMixin, View):
    """Create or change a paper and its blueprint. An htmx POST with ``_check`` returns the live
    check of the blueprint (points total and questions available per section) without saving."""

    required_perm = training_perms.MANAGE_TRAINING
    template_name = "training/paper_form.html"

    def _paper(self, pk):
        if pk is None:
            return None
        paper = selectors.access_paper(self.scope, pk)
        self.scope.require(training_perms.MANAGE_TRAINING, paper.org_unit)
        return paper

    def _render(self, request, form, formset, paper, status=200):
        return render(
            request, self.template_name, {"form": form, "formset": formset, "paper": paper}, status=status
        )

    def get(self, request, pk=None):
        paper = self._paper(pk)
        if paper is None:
            initial = {"org_unit": request.GET.get("unit")}
            sections = []
        else:
            initial = {name: getattr(paper, name) for name in bank.PAPER_FIELDS}
            initial["audience_units"] = [str(u.pk) for u in paper.audience_units.all()]
            initial["audience_people"] = [str(p.pk) for p in paper.audience_people.all()]
            sections = [
                {name: getattr(s, name) for name in bank.SECTION_FIELDS} for s in paper.sections.all()
            ]
        form = PaperForm(initial=initial, scope=self.scope, creating=paper is None)
        formset = SectionFormSet(initial=sections, prefix="sections")
        formset.extra = max(2, 6 - len(sections))
        return self._render(request, form, formset, paper)

    def post(self, request, pk=None):
        paper = self._paper(pk)
        formset = SectionFormSet(request.POST, prefix="sections")
        if request.POST.get("_check"):
            formset.is_valid()
            tenant_id = paper.tenant_id if paper else self.scope.tenant_id
            checks = bank.blueprint_check(_sections_for_check(formset, tenant_id), scope=self.scope)
            total = bank.blueprint_total([c.section for c in checks])
            return render(
                request,
                "training/paper_check.html",
                {"checks": checks, "total": total, "total_ok": total == bank.TOTAL_POINTS},
            )
        form = PaperForm(request.POST, scope=self.scope, creating=paper is None)
        if form.is_valid() and formset.is_valid():
            kwargs = {
                "scope": self.scope,
                "data": form.data_for_service(),
                "sections": section_rows(formset),
                "audience_units": form.cleaned_data["audience_units"],
                "audience_people": form.cleaned_data["audience_people"],
            }
            try:
                if paper is None:
                    paper = bank.paper_create(org_unit=form.cleaned_data["org_unit"], **kwargs)
                else:
                    paper = bank.paper_update(paper=paper, **kwargs)
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "sections" in exc.error_dict:
                    formset.section_errors = exc.message_dict["sections"]
                    exc = ValidationError({k: v for k, v in exc.message_dict.items() if k != "sections"})
                if not hasattr(exc, "error_dict") or exc.error_dict:
                    apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved %(title)s.") % {"title": paper.title})
                for warning in bank.pack_minimum_warnings(scope=self.scope, paper=paper):
                    messages.warning(request, warning)
                return redirect("training:paper-detail", pk=paper.pk)
        return self._render(request, form, formset, paper, status=400)


class PaperDetailView(ScopedPageMixin, TemplateView):
    template_name = "training/paper_detail.html"
    required_perm = training_perms.VIEW_TRAINING

    def get_context_data(self, pk, **kwargs):
        _not_self_only(self.scope)
        paper = selectors.access_paper(self.scope, pk)
        sections = list(paper.sections.all())
        checks = bank.blueprint_check(sections, scope=self.scope)
        return super().get_context_data(
            paper=paper,
            rule_warnings=bank.pack_minimum_warnings(scope=self.scope, paper=paper),
            checks=checks,
            total=bank.blueprint_total(sections),
            question_count=sum(s.count for s in sections),
            audience_categories=_tag_labels(paper.audience_post_categories, POST_LABELS),
            audience_units=list(paper.audience_units.all()),
            audience_people=list(paper.audience_people.select_related("org_unit")),
            results=selectors.paper_results(scope=self.scope, paper=paper),
            page=paginate(self.request, selectors.paper_attempts(scope=self.scope, paper=paper)),
            query=filter_query(self.request),
            can_manage=self.scope.has_perm(
                training_perms.MANAGE_TRAINING, paper.org_unit.path, paper.tenant_id
            ),
            ShowAnswers=ExamPaper.ShowAnswers,
            **kwargs,
        )


urlpatterns = [
    path("questions/", QuestionListView.as_view(), name="question-list"),
    path("questions/new/", QuestionFormView.as_view(), name="question-create"),
    path("questions/import/", ImportView.as_view(kind=bank_io.IMPORT_KIND), name="question-import"),
    path(
        "questions/import/template/",
        ImportTemplateView.as_view(kind=bank_io.IMPORT_KIND),
        name="question-import-template",
    ),
    path("questions/export/", QuestionExportView.as_view(), name="question-export"),
    path("questions/<uuid:pk>/", QuestionDetailView.as_view(), name="question-detail"),
    path("questions/<uuid:pk>/edit/", QuestionFormView.as_view(), name="question-edit"),
    path("questions/<uuid:pk>/retire/", QuestionRetireView.as_view(), name="question-retire"),
    path("papers/", PaperListView.as_view(), name="paper-list"),
    path("papers/new/", PaperFormView.as_view(), name="paper-create"),
    path("papers/<uuid:pk>/", PaperDetailView.as_view(), name="paper-detail"),
    path("papers/<uuid:pk>/edit/", PaperFormView.as_view(), name="paper-edit"),
]
