"""Training and exams' entries in the top bar."""

from django.utils.translation import gettext_lazy as _

from compliance.registry import NavEntry, register_nav

from . import permissions as perms


def _overseer(scope) -> bool:
    """Reads everyone's training in its units (not a worker, who reads only their own)."""
    return scope.has_perm(perms.VIEW_TRAINING) and not scope.self_only


def register() -> None:
    register_nav(
        # Hours against the rules and sessions; a worker sees their own hours instead.
        NavEntry("training", "training", _("Training hours"), "training:hours", visible=_overseer, order=10),
        NavEntry(
            "my-training", "training", _("My training"), "training:my-training", order=10,
            visible=lambda s: s.has_perm(perms.VIEW_TRAINING) and s.self_only and bool(s.person_id),
        ),
        # The question bank holds the answer keys: never shown to regulators or workers.
        NavEntry(
            "bank", "training", _("Question bank"), "training:question-list", order=20,
            visible=lambda s: s.has_perm(perms.VIEW_QUESTION_BANK),
        ),
        NavEntry(
            "papers", "training", _("Exam papers"), "training:paper-list", order=30,
            visible=lambda s: s.has_perm(perms.VIEW_QUESTION_BANK),
        ),
        # Sitting one's own exams needs a login linked to a person record.
        NavEntry(
            "exams", "training", _("My exams"), "training:my-exams", order=40,
            visible=lambda s: s.has_perm(perms.TAKE_EXAMS) and bool(s.person_id),
        ),
        NavEntry(
            "certificates", "training", _("Certificates"), "training:certificate-list", order=50,
            visible=lambda s: s.has_perm(perms.VIEW_TRAINING),
        ),
        NavEntry(
            "training-dashboard", "training", _("Training dashboard"), "training:dashboard", order=60,
            visible=_overseer,
        ),
    )  # fmt: skip
