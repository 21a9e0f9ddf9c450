"""The token list runs the same number of queries for 2 tokens and for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.tokens.services import api_token_issue
from tenants import roles

from ..conftest import login

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/account/tokens/", "/api/v1/tokens/"])
def test_token_list_queries_do_not_grow(world, url):
    users = [world.a.users[r] for r in (roles.WORKER, roles.SAFETY_MANAGER)]
    for user in users:
        api_token_issue(user=user)
    client = login(world.a.users[roles.TENANT_ADMIN])
    few = _count(client, url)
    for i in range(48):
        api_token_issue(user=users[i % 2], name=f"t{i}")
    assert _count(client, url) == few
