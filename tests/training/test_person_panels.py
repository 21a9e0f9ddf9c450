"""The person page as 一人一档: tenants renders the panels the capabilities registered; training's
are hours this year, certificates and exam attempts — each for whoever may read training records,
in order, in a constant number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import registry
from compliance.training.models import Attempt
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login
from .test_attempts import make_paper
from .test_certificates import make_cert

pytestmark = pytest.mark.django_db
PANELS = ('data-testid="person-hours"', 'data-testid="person-certificates"', 'data-testid="person-attempts"')


def make_attempt(person, paper, *, number=1, passed=True, score="85"):
    now = timezone.now() - datetime.timedelta(days=number)
    with dangerously_platform_scope():
        return Attempt.objects.create(
            tenant_id=person.tenant_id,
            paper=paper,
            person=person,
            number=number,
            started_at=now,
            deadline=now + datetime.timedelta(hours=1),
            submitted_at=now + datetime.timedelta(minutes=30),
            status=Attempt.Status.SUBMITTED,
            score=Decimal(score),
            max_score=Decimal("100"),
            passed=passed,
        )


def person_page(user, person) -> str:
    response = login(user).get(f"/people/{person.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_training_registers_its_panels_in_order():
    keys = [p.key for p in registry.person_panels()]
    assert keys.index("training-hours") < keys.index("certificates") < keys.index("exam-attempts")


def test_a_manager_sees_every_training_panel_in_order_with_the_actions(world):
    person = world.a.people[1]
    paper = make_paper(world.a, title="年度安全考试")
    make_cert(person, number="PP-1")
    make_attempt(person, paper, passed=False, score="55")
    page = person_page(world.a.users[roles.SAFETY_MANAGER], person)
    positions = [page.index(marker) for marker in PANELS]
    assert positions == sorted(positions)
    assert "PP-1" in page and "年度安全考试" in page and "55" in page
    assert f"/training/certificates/new/?person={person.pk}" in page  # record a certificate
    assert f"/training/papers/{paper.pk}/" in page  # the paper, for one who may read the bank
    assert 'class="status failed"' in page


def test_a_worker_sees_their_own_panels_without_actions(world):
    me = world.a.worker_person
    paper = make_paper(world.a)
    make_cert(me, number="ME-1")
    make_attempt(me, paper)
    page = person_page(world.a.users[roles.WORKER], me)
    assert all(marker in page for marker in PANELS)
    assert "ME-1" in page and 'class="status passed"' in page
    assert "/training/certificates/new/" not in page
    assert f"/training/papers/{paper.pk}/" not in page  # the answer keys are not a worker's


def test_a_regulator_reads_the_panels_and_can_change_nothing(world):
    person = world.a.people[1]  # under tenant A's Guizhou mine: in the regulator's region
    make_cert(person, number="RG-1")
    make_attempt(person, make_paper(world.a))
    page = person_page(world.regulator_in, person)
    assert all(marker in page for marker in PANELS) and "RG-1" in page
    assert "/training/certificates/new/" not in page
    assert "/training/papers/" not in page


def test_the_person_page_costs_the_same_queries_however_many_records(world):
    person = world.a.people[1]
    paper = make_paper(world.a)
    manager = world.a.users[roles.SAFETY_MANAGER]
    make_cert(person, number="Q-0")
    make_attempt(person, paper, number=1)
    client = login(manager)
    client.get(f"/people/{person.pk}/")  # warm: session, rule pack
    with CaptureQueriesContext(connection) as few:
        client.get(f"/people/{person.pk}/")
    for n in range(1, 8):
        make_cert(person, number=f"Q-{n}")
        make_attempt(person, paper, number=n + 1, passed=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/people/{person.pk}/").content.decode()
    assert "Q-7" in page
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_a_panel_that_answers_none_is_left_out(world):
    saved = registry.snapshot()
    try:
        registry.register_person_panel(
            registry.PersonPanel(
                "nothing", "—", "training/panels/hours.html", lambda scope, person: None, order=1
            )
        )
        scope = world.a.scope(roles.SAFETY_MANAGER)
        with activate(scope):
            panels = registry.visible_person_panels(scope, world.a.people[1])
        assert "certificates" in [p.key for p in panels]
        assert "nothing" not in [p.key for p in panels]
    finally:
        registry.restore(saved)
