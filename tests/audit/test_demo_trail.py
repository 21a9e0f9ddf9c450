"""The trail of the seeded demo, read as its auditor and regulator read it: every action and
object kind named, the demo's own writes under a readable system actor, no internal names."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from compliance import registry
from compliance.audit.display import action_label, kind_label
from compliance.audit.models import AuditEvent

from ..tenants.test_seed_demo import _operator_view, seeded  # noqa: F401  (the demo, built once)

pytestmark = [pytest.mark.no_world, pytest.mark.django_db]


def test_every_action_and_kind_in_the_demo_is_named(seeded):  # noqa: F811
    seen = set(AuditEvent.objects.values_list("action", "object_type").distinct())
    assert len(seen) > 20
    kinds = registry.audit_object_kinds()
    with translation.override("zh-hans"):
        unnamed = {(a, o) for a, o in seen if action_label(a) == a or o not in kinds or kind_label(o) == o}
    assert not unnamed


@pytest.mark.parametrize("login", ["qn-auditor", "reg-gz"])
def test_the_demo_trail_reads_without_internal_names(seeded, login):  # noqa: F811
    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    for query in ("", "?page=2", "?action=score_item", "?object_type=grading.Assessment"):
        html = client.get(f"/audit/{query}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'data-testid="audit-row"' in html, query
        # What people read: the table (the links around it carry the filter in their query strings).
        table = html.split('<table class="audit"')[1].split("</table>")[0]
        for internal in ("manage.py", " object (", "tenants.", "grading.", "score_item</", "{&#x27;"):
            assert internal not in table, (query, internal)
    assert "系统（演示数据）" in html
