"""The pages of responsibility lists: the manager's tables, the worker's phone page and signature,
the assessment form; constant queries per list."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.duties.models import Acknowledgement, DutyAssessment, ListItem, ListTemplate
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ...conftest import login
from ...factories import resident_id
from .helpers import assign, make_post, setup_worker_list

pytestmark = pytest.mark.django_db

MANAGER_PAGES = [
    "duties:list-dashboard",
    "duties:list-templates",
    "duties:post-list",
    "duties:holder-list",
    "duties:ack-list",
    "duties:assessment-list",
    "duties:list-settings",
    "duties:list-publish",
]


@pytest.mark.parametrize("name", MANAGER_PAGES)
def test_manager_pages_open_in_chinese_and_workers_are_kept_out(world, name):
    setup_worker_list(world.a)
    response = login(world.a.users[roles.SAFETY_MANAGER]).get(reverse(name))
    assert response.status_code == 200
    assert "责任" in response.content.decode() or "考核" in response.content.decode()
    assert login(world.a.users[roles.WORKER]).get(reverse(name)).status_code == 403


def test_the_dashboard_chart_is_an_svg(world):
    setup_worker_list(world.a)
    client = login(world.a.users[roles.TENANT_ADMIN])
    for kind in ("ack", "score"):
        response = client.get(reverse("duties:list-dashboard-chart") + f"?kind={kind}")
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")


def test_a_worker_reads_and_signs_their_list_on_the_phone(world):
    _post, version, _holder = setup_worker_list(world.a)
    client = login(world.a.users[roles.WORKER])
    page = client.get(reverse("duties:my-lists")).content.decode()
    assert "遵守安全规程" in page and 'data-testid="sign"' in page
    wrong = client.post(reverse("duties:list-sign", args=[version.pk]), {"signed_name": "别人"})
    assert wrong.status_code == 400
    ok = client.post(
        reverse("duties:list-sign", args=[version.pk]), {"signed_name": world.a.worker_person.name}
    )
    assert ok.status_code == 302
    with dangerously_platform_scope():
        assert Acknowledgement.objects.filter(person=world.a.worker_person, version=version).count() == 1
    assert 'data-testid="sign"' not in client.get(reverse("duties:my-lists")).content.decode()


def test_a_worker_cannot_sign_another_tenants_version(world):
    _post, version, _holder = setup_worker_list(world.b)
    setup_worker_list(world.a)
    response = login(world.a.users[roles.WORKER]).post(
        reverse("duties:list-sign", args=[version.pk]), {"signed_name": world.a.worker_person.name}
    )
    assert response.status_code == 404


def test_publishing_an_adaptation_from_the_page_keeps_the_group_items(world):
    post, _version, _holder = setup_worker_list(world.a)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post(
        reverse("duties:list-publish"),
        {
            "post": post.pk,
            "org_unit": world.a.mine.pk,
            "lines": "本矿：防治水 | 井下 | 无透水 | 探放水记录 | 20",
            "note": "本矿",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with dangerously_platform_scope():
        template = ListTemplate.objects.get(post=post, org_unit=world.a.mine)
        items = list(ListItem.objects.filter(version=template.current_version).order_by("position"))
    assert [(i.duty, i.inherited) for i in items] == [
        ("遵守安全规程", True),
        ("参加班前会", True),
        ("本矿：防治水", False),
    ]
    assert items[2].max_score == 20


def test_bad_lines_show_messages_and_save_nothing(world):
    post = make_post(world.a)
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.post(
        reverse("duties:list-publish"), {"post": post.pk, "org_unit": world.a.hq.pk, "lines": "只有职责"}
    )
    assert response.status_code == 400
    assert "考核标准" in response.content.decode()
    with dangerously_platform_scope():
        assert not ListTemplate.objects.filter(post=post).exists()


def test_the_team_leader_assesses_from_the_page(world):
    _post, version, holder = setup_worker_list(world.a)
    with dangerously_platform_scope():
        items = list(ListItem.objects.filter(version=version))
    client = login(world.a.users[roles.TEAM_LEADER])
    form = client.get(reverse("duties:assessment-create", args=[holder.pk]))
    assert form.status_code == 200
    data = {"day": timezone.localdate().isoformat(), **{f"score-{i.pk}": i.max_score for i in items}}
    response = client.post(reverse("duties:assessment-create", args=[holder.pk]), data)
    assert response.status_code == 302
    with dangerously_platform_scope():
        assessment = DutyAssessment.objects.get()
    assert assessment.passed and assessment.score == 100
    assert client.get(reverse("duties:assessment-detail", args=[assessment.pk])).status_code == 200


def _people(tw, n):
    from tenants import services

    with dangerously_platform_scope() as platform:
        return [
            services.person_create(
                scope=platform,
                org_unit=tw.team,
                resident_id=resident_id("520201", birth="19900101", seq=500 + i),
                name=f"工人{i}",
                employee_no=f"Q-{i:03d}",
                post_category="other",
            )
            for i in range(n)
        ]


@pytest.mark.parametrize("name", ["duties:holder-list", "duties:ack-list", "duties:list-dashboard"])
def test_lists_run_a_constant_number_of_queries(world, name, django_assert_max_num_queries):
    post, _version, _holder = setup_worker_list(world.a)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    client.get(reverse(name))
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse(name)).status_code == 200
    for person in _people(world.a, 40):
        assign(world.a, person, post)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_the_worker_home_has_a_to_do_and_the_manager_sees_overdue(world, settings):
    setup_worker_list(world.a)
    from compliance.registry import todo_providers
    from tenants.scope import activate
    from tenants.selectors import scope_for_user

    provider = next(p for p in todo_providers() if p.key == "duties.lists")
    scope = scope_for_user(world.a.users[roles.WORKER])
    with activate(scope):
        [item] = provider.items(scope)
    assert item.key == "lists-to-sign" and item.count == 1


def test_person_panel_shows_the_list_status(world):
    post, _version, _holder = setup_worker_list(world.a)
    response = login(world.a.users[roles.SAFETY_MANAGER]).get(
        reverse("person-detail", args=[world.a.worker_person.pk])
    )
    assert response.status_code == 200
    assert 'data-testid="panel-duty-lists"' in response.content.decode()


def test_the_signed_list_prints_as_pdf_in_the_request(world):
    _post, version, holder = setup_worker_list(world.a)
    worker = login(world.a.users[roles.WORKER])
    worker.post(reverse("duties:list-sign", args=[version.pk]), {"signed_name": world.a.worker_person.name})
    own = worker.get(reverse("duties:person-list-pdf", args=[world.a.worker_person.pk]))
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf" and own.content[:4] == b"%PDF"
    # A worker prints only their own list.
    assert worker.get(reverse("duties:person-list-pdf", args=[world.a.people[1].pk])).status_code == 404
    # The mine's results are a background job: tests/duties/lists/test_results_pdf.py.
