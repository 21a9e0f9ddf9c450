"""Sources feed the ledger through the registry (compliance.registry.propose_points): a 三违
finding of an inspection proposes a deduction for that person; a confirmed worker hazard report
proposes an award for the reporter. Proposals wait for a manager; nothing is counted twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from compliance.inspections import services as inspection_services
from compliance.inspections.hazards import services as hazard_services
from compliance.points import services
from compliance.points.models import Entry, Proposal, SourceKind
from tenants import roles
from tenants.scope import activate
from tenants.selectors import scope_for_user

from ..inspections.hazards.helpers import photo
from .factories import install

pytestmark = pytest.mark.django_db


def test_a_violation_finding_proposes_a_deduction_for_the_person(world):
    install(world.a)
    manager = world.a.users[roles.SAFETY_MANAGER]
    scope = scope_for_user(manager)
    with activate(scope):
        inspection = inspection_services.create_inspection(
            scope=scope, org_unit=world.a.team, user=manager, kind="mine_internal",
            date=timezone.localdate(), inspectors="王",
        )  # fmt: skip
        finding = hazard_services.finding_add(
            scope=scope, inspection=inspection, user=manager, kind="violation", text="未戴自救器",
            person=world.a.worker_person, severity="grave",
        )  # fmt: skip
        hazard_services.finding_add(
            scope=scope, inspection=inspection, user=manager, kind="note", text="现场整洁"
        )
        proposal = Proposal.objects.get()
        assert (proposal.source_kind, proposal.source_ref) == (SourceKind.FINDING, str(finding.pk))
        assert proposal.rule.code == "SW-ZY-1" and proposal.person == world.a.worker_person
        assert not Entry.objects.exists()  # a proposal, not yet an entry
        services.proposal_decide(scope=scope, proposal=proposal, accept=True)
        assert Entry.objects.get().points == -6


def test_a_confirmed_worker_report_proposes_an_award_once(world):
    install(world.a)
    worker = world.a.users[roles.WORKER]
    w_scope = scope_for_user(worker)
    with activate(w_scope):
        hazard = hazard_services.hazard_report(
            scope=w_scope, mine=world.a.mine, user=worker, location="井口", description="护栏缺失",
            photos=[photo()],
        )  # fmt: skip
        assert not Proposal.objects.exists()  # reported, not yet confirmed
    manager = world.a.users[roles.SAFETY_MANAGER]
    m_scope = scope_for_user(manager)
    with activate(m_scope):
        hazard_services.hazard_confirm(scope=m_scope, hazard=hazard, user=manager)
        proposal = Proposal.objects.get()
        assert proposal.rule.code == "AW-HAZARD" and proposal.person == world.a.worker_person
        assert proposal.source_ref == str(hazard.pk)


def test_without_a_catalogue_a_source_proposes_nothing(world):
    manager = world.a.users[roles.SAFETY_MANAGER]
    scope = scope_for_user(manager)
    with activate(scope):
        inspection = inspection_services.create_inspection(
            scope=scope, org_unit=world.a.team, user=manager, kind="mine_internal",
            date=timezone.localdate(), inspectors="王",
        )  # fmt: skip
        hazard_services.finding_add(
            scope=scope, inspection=inspection, user=manager, kind="violation", text="未戴自救器",
            person=world.a.worker_person, severity="minor",
        )  # fmt: skip
        assert not Proposal.objects.exists()
