"""On PostgreSQL the tokens table has row-level security behind the application's filtering."""

from __future__ import annotations

import os

import pytest
from django.db import DatabaseError, transaction

from compliance.tokens.models import ApiToken
from compliance.tokens.services import api_token_issue
from tenants import roles
from tenants.scope import activate
from tenants.selectors import scope_for_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _as_the_application_role():
    if not os.environ.get("TEST_DATABASE_APP_ROLE") and os.environ.get("CI", "").lower() != "true":
        pytest.skip("set TEST_DATABASE_APP_ROLE (as .ci/run does): the owner would bypass row-level security")


def test_another_groups_tokens_are_invisible_even_unfiltered(world):
    api_token_issue(user=world.a.users[roles.WORKER], name="甲的令牌")
    api_token_issue(user=world.b.users[roles.WORKER], name="乙的令牌")
    api_token_issue(user=world.regulator_out, name="监管的令牌")
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        seen = set(ApiToken.dangerously_unscoped.values_list("name", flat=True))  # no app filter at all
    assert "甲的令牌" in seen and "乙的令牌" not in seen
    with activate(scope_for_user(world.regulator_out)):
        assert "监管的令牌" in set(ApiToken.dangerously_unscoped.values_list("name", flat=True))


def test_a_token_cannot_be_written_into_another_group(world):
    with activate(world.a.scope(roles.TENANT_ADMIN)), pytest.raises(DatabaseError), transaction.atomic():
        ApiToken.dangerously_unscoped.create(
            user=world.b.users[roles.WORKER],
            tenant=world.b.tenant,
            name="越界",
            key_prefix="ka_xxxxx",
            key_hash="0" * 64,
        )
