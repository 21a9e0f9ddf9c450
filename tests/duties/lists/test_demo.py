"""seed_demo's responsibility lists: a list for every post in Chinese, signatures partly done (some
overdue, some asked again after a new version), a month of assessments with failures."""

from __future__ import annotations

import json

import pytest

from compliance.duties import selectors_lists as sel
from compliance.duties.models import Acknowledgement, DutyAssessment, DutyPost, ListTemplate, PostHolder
from tenants.models import Person, Tenant
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

pytestmark = pytest.mark.no_world


@pytest.fixture
def seeded(seeded_demo):
    with dangerously_platform_scope():  # the operator's view, as seed_demo has it
        yield json.loads(seeded_demo.logins)


@pytest.mark.django_db
def test_every_post_of_the_demo_has_a_list_and_everyone_holds_one(seeded):
    with dangerously_platform_scope():
        for tenant in Tenant.objects.all():
            titles = set(
                Person.objects.filter(tenant=tenant).exclude(job_title="").values_list("job_title", flat=True)
            )
            names = set(DutyPost.objects.filter(tenant=tenant).values_list("name", flat=True))
            assert {"董事长", "总经理", "实际控制人"} <= names
            assert titles - {"库长"} <= names
            assert ListTemplate.objects.filter(tenant=tenant, current_version__isnull=True).count() == 0
            assert ListTemplate.objects.filter(tenant=tenant, base__isnull=False).exists()  # an adaptation
            holders = PostHolder.objects.filter(tenant=tenant).count()
            signed = Acknowledgement.objects.filter(tenant=tenant).count()
            assert 0 < signed < holders
            assessments = DutyAssessment.objects.filter(tenant=tenant)
            assert assessments.count() > 5 and assessments.filter(passed=False).exists()


@pytest.mark.django_db
def test_the_demo_safety_manager_sees_overdue_and_worker2_must_sign_again(seeded):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    manager = scope_for_user(users.get(username="qn-manager"))
    with activate(manager):
        assert sel.acknowledgement_rows(manager, status="overdue")
    worker2 = scope_for_user(users.get(username="qn-worker2"))
    with activate(worker2):
        [due] = sel.my_lists(worker2)
        assert due.version.number == 2 and not due.signed
    worker1 = scope_for_user(users.get(username="qn-worker1"))
    with activate(worker1):
        assert all(d.signed for d in sel.my_lists(worker1))
