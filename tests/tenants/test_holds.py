"""Holds on a person (tenants.holds): placed and lifted by a capability's rule, idempotent by
(source, reference), audited, walled by tenant; while one is open nobody puts the person on post."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from compliance.audit.models import AuditEvent
from tenants import holds, roles, services
from tenants.models import Person, PersonHold
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login

pytestmark = pytest.mark.django_db

SOURCE = "test.rule"


def _fresh(person) -> Person:
    with dangerously_platform_scope():
        return Person.objects.select_related("org_unit").get(pk=person.pk)


def _place(scope, person, *, ref="case-1", reason="资格证过期", source=SOURCE):
    return holds.place_hold(scope=scope, person=person, source=source, reason=reason, reference=ref)


def test_placing_takes_the_person_off_post_with_the_reason_and_is_audited(world):
    person = world.a.people[1]
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        hold = _place(scope, person)
    person = _fresh(person)
    assert person.status == Person.Status.SUSPENDED and person.status_reason == "资格证过期"
    assert hold.is_open and hold.source == SOURCE and hold.reference_text == "case-1"
    assert hold.placed_by_id == world.a.users[roles.SAFETY_MANAGER].pk
    with dangerously_platform_scope():
        event = AuditEvent.objects.get(object_type="tenants.PersonHold", object_id=str(hold.pk))
        assert event.action == "create" and event.after["source"] == SOURCE
        assert AuditEvent.objects.filter(object_id=str(person.pk), action="update").exists()


def test_placing_again_for_the_same_reference_changes_nothing(world):
    person = world.a.people[1]
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        first = _place(scope, person)
        again = _place(scope, person, reason="另一个原因")
        with dangerously_platform_scope():
            referenced = _place(scope, person, ref=("tenants.Person", person.pk))
    assert again.pk == first.pk
    assert referenced.pk != first.pk and referenced.reference_type == "tenants.Person"
    with dangerously_platform_scope():
        assert PersonHold.objects.filter(person=person).count() == 2
        assert AuditEvent.objects.filter(object_type="tenants.PersonHold", action="create").count() == 2
    # a lifted hold is not placed again by the same reference either
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        holds.lift_hold(scope=scope, person=person, source=SOURCE, reference="case-1")
        assert _place(scope, person).pk == first.pk
        assert not holds.open_holds(person).filter(pk=first.pk).exists()


def test_lifting_the_last_open_hold_puts_the_person_back_on_post(world):
    person = world.a.people[1]
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        _place(scope, person, ref="one", reason="第一个原因")
        _place(scope, person, ref="two", reason="第二个原因")
        lifted = holds.lift_hold(
            scope=scope, person=person, source=SOURCE, reference="two", lift_reason="已复训"
        )
        assert lifted.lifted_at is not None and lifted.lift_reason == "已复训"
        assert lifted.lifted_by_id == world.a.users[roles.SAFETY_MANAGER].pk
        person = _fresh(person)
        assert person.status == Person.Status.SUSPENDED and person.status_reason == "第一个原因"
        assert holds.lift_hold(scope=scope, person=person, source=SOURCE, reference="two") is None
        holds.lift_hold(scope=scope, person=person, source=SOURCE, reference="one")
    person = _fresh(person)
    assert person.status == Person.Status.ON_POST and person.status_reason == ""
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(object_type="tenants.PersonHold", action="update").count() == 2


def test_a_person_who_left_stays_left(world):
    person = world.a.people[1]
    with dangerously_platform_scope():
        Person.objects.filter(pk=person.pk).update(status=Person.Status.LEFT)
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        _place(scope, _fresh(person))
        assert _fresh(person).status == Person.Status.LEFT
        holds.lift_hold(scope=scope, person=person, source=SOURCE, reference="case-1")
    assert _fresh(person).status == Person.Status.LEFT


def test_the_hold_the_event_and_the_status_commit_together(world):
    person = world.a.people[1]
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        with transaction.atomic():
            _place(scope, person)
            transaction.set_rollback(True)
    with dangerously_platform_scope():
        assert not PersonHold.objects.exists()
        assert not AuditEvent.objects.filter(object_type="tenants.PersonHold").exists()
    assert _fresh(person).status == Person.Status.ON_POST


def test_nobody_puts_a_held_person_on_post_by_hand(world):
    a = world.a
    person = a.people[1]
    with activate(a.scope(roles.SAFETY_MANAGER)) as scope:
        _place(scope, person, reason="资格证过期")
        with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
            services.person_update(scope=scope, person=_fresh(person), status=Person.Status.ON_POST)
        (message,) = exc.value.message_dict["status"]
        assert "资格证过期" in message and "解除" in message
        # other edits of a held person still work
        services.person_update(scope=scope, person=_fresh(person), phone="13800000000")
    assert _fresh(person).status == Person.Status.SUSPENDED
    client = login(a.users[roles.SAFETY_MANAGER])
    api = client.patch(
        reverse("api:person-detail", kwargs={"pk": person.pk}),
        {"status": "on_post"},
        content_type="application/json",
    )
    assert api.status_code == 400 and "status" in api.json()
    with activate(a.scope(roles.SAFETY_MANAGER)) as scope:
        holds.lift_hold(scope=scope, person=person, source=SOURCE, reference="case-1")
        services.person_update(
            scope=scope, person=_fresh(person), status=Person.Status.SUSPENDED, status_reason="x"
        )
        services.person_update(
            scope=scope, person=_fresh(person), status=Person.Status.ON_POST, status_reason=""
        )
    assert _fresh(person).status == Person.Status.ON_POST


def test_holds_stay_inside_their_group(world):
    a_person, b_person = world.a.people[1], world.b.people[1]
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        with pytest.raises(PermissionDenied):
            _place(scope, b_person)
        _place(scope, a_person)
        assert len(holds.holds_of(scope=scope, person=a_person)) == 1
    with activate(scope_for_user(world.regulator_in)) as regulator:
        with pytest.raises(PermissionDenied):
            _place(regulator, a_person, ref="by-regulator")
    with activate(world.b.scope(roles.TENANT_ADMIN)) as b_scope:
        assert holds.holds_of(scope=b_scope, person=a_person) == []
        with pytest.raises(PermissionDenied):
            holds.lift_hold(scope=b_scope, person=a_person, source=SOURCE, reference="case-1")
    assert _fresh(a_person).status == Person.Status.SUSPENDED
    assert _fresh(b_person).status == Person.Status.ON_POST


def test_placing_many_at_once_leaves_each_person_as_one_by_one_would(world):
    """``place_holds`` (a post gate over an import): each new hold audited, each person off post
    with the reason of their last new hold; a hold that exists already changes nothing; a person
    outside the scope's groups is refused before anything is written."""
    first, second = world.a.people[0], world.a.people[1]
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        existing = _place(scope, second, ref="case-1", reason="旧原因")
        placed = holds.place_holds(
            scope=scope,
            source=SOURCE,
            placements=[
                (first, "原因一", "case-2"),
                (first, "原因二", "case-3"),
                (second, "新原因", "case-1"),
            ],
        )
        with pytest.raises(PermissionDenied):
            holds.place_holds(scope=scope, source=SOURCE, placements=[(world.b.people[0], "原因", "x")])
    assert [h.reference_text for h in placed] == ["case-2", "case-3"]
    assert _fresh(first).status == Person.Status.SUSPENDED and _fresh(first).status_reason == "原因二"
    assert _fresh(second).status_reason == "旧原因"
    with dangerously_platform_scope():
        assert PersonHold.objects.filter(person=second).get().pk == existing.pk
        assert not PersonHold.objects.filter(person=world.b.people[0]).exists()
        created = AuditEvent.objects.filter(object_type="tenants.PersonHold", action="create")
        assert created.count() == 3
        assert AuditEvent.objects.filter(object_id=str(first.pk), action="update").count() == 1
