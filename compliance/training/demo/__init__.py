"""Training demo data for the groups ``seed_demo`` builds: so every training page has something true to show.

Per demo group, everything written through the training services (validated and audited):

1. question bank — ``training.demo_questions`` (Chinese, real rules), owned by the group HQ:
   each question validated by ``training.bank.build_question``, saved and audited in bulk the
   way the bank's Excel import saves a file (one ``create`` event per question);
2. courses of every kind, sessions at the mines this year and attendance, with some people short
   of their hours — ``training.courses``; one person back after 500 days away and not retrained
   since (flagged for retraining) — ``tenants.services.person_update``;
3. papers — ``training.bank.paper_create``: an annual exam per mine type (every post category at
   those mines), the group's own exam for a special-operation trade (it issues an internal
   training record, never the statutory certificate), a spot-exam paper (逢查必考) and a re-test
   paper that clears a suspension;
4. attempts — ``training.attempts.start_attempt / save_answer / submit_attempt`` with ``now`` in
   the past for finished ones: worker 1 failed the annual exam and has the re-sit in progress,
   worker 2 passed the group's exam of their trade (its internal record is issued by the grading,
   ``training.certificates.issue_for_passed_attempt``) and has the annual exam still to take, and
   two colleagues took the annual exam (one passed, one failed);
5. certificates recorded from outside — ``training.certificates.record_external``: managers'
   and special-operation certificates, some due within 90 days, one expired, reviews due;
(the inspection with its spot exams is ``compliance.inspections.demo``'s, built after this).

Deterministic: choices come from ``random.Random`` seeded per group; dates are relative to the
day of the build (like the licence expiry dates in ``tenants.demo``), so "due within 90 days"
stays true whenever the demo is built. Idempotent: a group whose bank, papers or courses already
hold anything is left alone; a demo group built before training existed gets it on the next run.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone, translation

from compliance.training.models import Course, ExamPaper, Question
from tenants.models import Tenant
from tenants.scope import Scope

from . import rules as demo_rules
from .base import _context
from .materials import SPOT, STANDARD, _seed_bank, _seed_courses, _seed_papers
from .records import _seed_attempts, _seed_certificates, answer_attempt, demo_context

# What seed_demo, another capability's demo (compliance.inspections.demo) and the tests use.
__all__ = ["SPOT", "STANDARD", "answer_attempt", "demo_context", "seed_training"]


# --- entry point --------------------------------------------------------------------------------------
def seed_training(
    spec, *, scope: Scope, today: datetime.date | None = None, log: Callable[[str], None] = lambda m: None
) -> dict[str, int] | None:
    """Seed the training demo of the demo group ``spec`` (a ``tenants.demo.TenantSpec``).

    Runs in the caller's transaction and scope (``tenants.demo.build_demo``: the platform scope,
    acting as ``manage.py seed_demo``). Returns what it made, or None when it left the group
    alone: training data already there, or the group is not the one the demo built (its worker
    logins are missing).
    """
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None:
        return None
    # Shared reference data, once for every group: the provincial override of the demo.
    demo_rules.seed_provincial_pack(scope=scope)
    if (
        Question.objects.filter(tenant=tenant).exists()
        or ExamPaper.objects.filter(tenant=tenant).exists()
        or Course.objects.filter(tenant=tenant).exists()
    ):
        log(f"training exists, skipped: {spec.name}")
        return None
    demo = _context(spec, tenant, scope, today or timezone.localdate())
    if demo is None:
        log(f"not built by seed_demo, training skipped: {spec.name}")
        return None
    # Texts the services store (a suspension's reason, …) are in the demo's language, Chinese,
    # also when a management command runs with translations off.
    with translation.override(settings.LANGUAGE_CODE):
        _seed_bank(demo)
        _seed_courses(demo)
        _seed_papers(demo)
        _seed_attempts(demo)
        _seed_certificates(demo)
        demo.counts["supervised practices"] = demo_rules.seed_practice(demo)
    log(
        f"training created: {spec.name} (" + ", ".join(f"{n} {what}" for what, n in demo.counts.items()) + ")"
    )
    return demo.counts
