"""What a person sees in a real browser: navigation per role, language switch, the regulator's
read-only view, the Excel import with its progress bar and error table, the phone layout and the
audited resident-ID reveal."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from compliance.jobs.models import Job
from tenants import roles, services
from tenants.models import OrgUnit, Person
from tenants.people_io import COLUMNS
from tenants.scope import dangerously_platform_scope
from tests.factories import resident_id

from .conftest import PHONE

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Which nav links each role gets (paths), and which it must not.
HOME, ORG, MINES, PEOPLE, ROLES, AUDIT = "/", "/org/", "/mines/", "/people/", "/roles/", "/audit/"
IMPORT = "/people/import/"
HOURS, BANK, PAPERS = "/training/hours/", "/training/questions/", "/training/papers/"
CERTS, INSPECTIONS, DASHBOARD = "/training/certificates/", "/training/inspections/", "/training/dashboard/"
MY_TRAINING, MY_EXAMS = "/training/me/", "/training/exams/"
GRADING = "/grading/dashboard/"
JOBS = "/jobs/"
# Duties (lists, posts), outsourcing and hazards: read by every role that oversees a mine.
POSTS, CONTRACTORS, HAZARDS = "/duties/posts/", "/contractors/", "/hazards/"
DUTY_LISTS = "/duties/lists/dashboard/"
MY_DUTY_LIST, REPORT_HAZARD = "/duties/lists/mine/", "/hazards/report/"
# Regulators' own records (their inspections, 挂牌督办): read by the group's managers and team
# leaders, written by the regulator.
AGENCY = {"/agency/inspections/", "/agency/supervision/"}
OVERSIGHT = {HOURS, CERTS, INSPECTIONS, DASHBOARD, GRADING, POSTS, CONTRACTORS, HAZARDS} | AGENCY
# Team safety points (the ledger; a worker's own page; a regulator's team ranking) and the alarm queue.
POINTS, MY_POINTS, RANKING, ALARMS = "/points/", "/points/me/", "/points/ranking/", "/alarms/"
EXPECTED_NAV = {
    roles.TENANT_ADMIN: {HOME, ORG, MINES, PEOPLE, IMPORT, ROLES, AUDIT, BANK, PAPERS, JOBS}
    | OVERSIGHT
    | {DUTY_LISTS, POINTS, ALARMS},
    roles.HQ_AUDITOR: {HOME, ORG, MINES, PEOPLE, ROLES, AUDIT, BANK, PAPERS, JOBS}
    | OVERSIGHT
    | {DUTY_LISTS, POINTS, ALARMS},
    roles.SAFETY_MANAGER: {HOME, ORG, MINES, PEOPLE, IMPORT, ROLES, BANK, PAPERS, JOBS}
    | OVERSIGHT
    | {DUTY_LISTS, POINTS, ALARMS},
    roles.TEAM_LEADER: {HOME, ORG, MINES, PEOPLE, DUTY_LISTS, POINTS} | OVERSIGHT,
    roles.WORKER: {HOME, MY_TRAINING, MY_EXAMS, CERTS, MY_DUTY_LIST, REPORT_HAZARD, MY_POINTS},
    # Regulators read rosters, outsourcing, hazards and alarms of their region and the teams' points
    # ranking; not the groups' own lists nor a person's points.
    "regulator": {HOME, MINES, PEOPLE, AUDIT, RANKING, ALARMS} | OVERSIGHT,
}


def nav_paths(page, base_url) -> list[str]:
    hrefs = page.locator("nav.mainnav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [h.removeprefix(base_url) for h in hrefs]


def tenant_names(tw) -> list[str]:
    """Every name of a tenant that could leak onto a page: group, units, people, logins."""
    names = [tw.tenant.name]
    names += [u.name for u in (tw.hq, tw.subsidiary, tw.mine, tw.other_mine, tw.team, tw.other_team)]
    names += [p.name for p in tw.people] + [p.employee_no for p in tw.people]
    names += [u.get_username() for u in tw.users.values()]
    return names


def body_text(page) -> str:
    return page.locator("body").inner_text()


# --- 1. navigation per role ----------------------------------------------------------------------
@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_navigation_shows_only_what_the_role_may_use(role, page, live_server, browser_world, log_in, shot):
    w = browser_world
    user = w.regulator_in if role == "regulator" else w.a.users[role]
    log_in(page, user)
    expect(page.get_by_test_id("who")).to_contain_text(user.get_username())
    shot(page, "home")

    paths = nav_paths(page, live_server.url)
    assert len(paths) == len(set(paths)), paths
    assert set(paths) == EXPECTED_NAV[role]
    if role == roles.WORKER:
        assert PEOPLE not in paths and ROLES not in paths
    if role == "regulator":
        expect(page.locator("nav.mainnav a[href='/mines/']")).to_be_visible()
        expect(page.locator("nav.mainnav a[href='/audit/']")).to_be_visible()

    foreign = tenant_names(w.b)
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        shot(page, path.strip("/").replace("/", "-") or "home")
        text = body_text(page)
        if role == "regulator":
            # The Guizhou regulator legitimately sees tenant B's Guizhou mine, never its Shanxi one.
            assert w.b.other_mine.name not in text
            assert w.a.other_mine.name not in text
        else:
            leaked = [name for name in foreign if name in text]
            assert not leaked, f"{path} shows tenant B's {leaked}"

    # Pages needing a permission the role lacks are refused, not merely hidden.
    refused = {IMPORT, ROLES, AUDIT} - EXPECTED_NAV[role]
    for path in refused:
        assert page.goto(f"{live_server.url}{path}").status == 403, path
    # Hidden for simplicity only (the worker may read org/mines/people, limited to themself).
    for path in {ORG, MINES, PEOPLE} - EXPECTED_NAV[role]:
        assert page.goto(f"{live_server.url}{path}").status == 200, path
        shot(page, "hidden-" + path.strip("/"))
        text = body_text(page)
        if role == "regulator":
            assert w.b.other_mine.name not in text and w.a.other_mine.name not in text, path
        else:
            assert not [name for name in foreign if name in text], path
        if role == roles.WORKER:
            others = [p.name for p in w.a.people if p != w.a.worker_person]
            assert not [name for name in others if name in text], f"{path} shows colleagues to a worker"


# --- 2. language switch ----------------------------------------------------------------------------
def test_language_switch(page, live_server, browser_world, log_in, shot):
    log_in(page, browser_world.a.users[roles.TENANT_ADMIN])
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")
    logout = page.locator("header form[action='/accounts/logout/'] button")
    chinese_logout = logout.inner_text().strip()
    shot(page, "zh")
    assert CJK.search(chinese_logout), f"logout button is not Chinese: {chinese_logout!r}"
    assert CJK.search(page.locator("nav.mainnav").inner_text())
    # Each language is offered under its own name, so a reader of either can find it.
    expect(page.get_by_test_id("lang-en")).to_have_text("English")

    page.get_by_test_id("lang-en").click()
    expect(html).to_have_attribute("lang", "en")
    expect(logout).to_have_text("Log out")
    expect(page.locator("nav.mainnav a[href='/mines/']")).to_have_text("Mines")
    assert page.url == f"{live_server.url}/"  # stays on the same page
    expect(page.get_by_test_id("lang-zh-hans")).to_have_text("简体中文")
    shot(page, "en")

    # The choice sticks while browsing.
    page.goto(f"{live_server.url}/mines/")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Mines")

    page.get_by_test_id("lang-zh-hans").click()
    expect(html).to_have_attribute("lang", "zh-hans")
    assert page.url == f"{live_server.url}/mines/"
    expect(logout).to_have_text(chinese_logout)
    expect(page.get_by_test_id("lang-en")).to_have_text("English")


# --- 3. regulator ----------------------------------------------------------------------------------
def test_regulator_sees_guizhou_mines_of_both_groups(page, live_server, browser_world, log_in, shot):
    w = browser_world
    log_in(page, w.regulator_in)
    banner = page.locator(".banner")
    expect(banner).to_be_visible()

    page.goto(f"{live_server.url}/mines/")
    table = page.get_by_test_id("mine-table")
    expect(table).to_contain_text("A一矿")
    expect(table).to_contain_text("B一矿")
    expect(table).not_to_contain_text("A二矿")  # Yunnan
    expect(table).not_to_contain_text("B二矿")  # Shanxi
    # The regulator sees which group each mine belongs to.
    expect(table.locator("tr", has_text="B一矿")).to_contain_text(w.b.tenant.name)
    expect(banner).to_be_visible()
    shot(page, "mines")

    page.get_by_role("link", name="B一矿").click()
    page.wait_for_url(f"{live_server.url}/mines/{w.b.mine.pk}/")
    expect(page.locator("h1")).to_have_text("B一矿")
    expect(banner).to_be_visible()
    expect(page.locator(f"a[href='/mines/{w.b.mine.pk}/edit/']")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)  # nothing to submit at all
    shot(page, "mine-detail")
    assert page.request.get(f"{live_server.url}/mines/{w.b.mine.pk}/edit/").status == 403
    assert page.goto(f"{live_server.url}/mines/{w.a.other_mine.pk}/").status == 404


# --- 4. people import ------------------------------------------------------------------------------
def _xlsx(header: list[str], rows: list[dict]) -> bytes:
    """A workbook with the template's header; rows give values by field key (name, resident_id…)."""
    keys = [c.key for c in COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append([row.get(key, "") for key in keys])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_people_import_from_excel(page, live_server, browser_world, log_in, shot, tmp_path):
    w = browser_world
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.get_by_test_id("navgroup-people").hover()  # People and Import share a drop-down
    page.locator(f"nav.mainnav a[href='{IMPORT}']").click()
    page.wait_for_url(f"{live_server.url}{IMPORT}")
    shot(page, "import-form")

    # The template downloads as a real workbook with the column headers.
    with page.expect_download() as info:
        page.get_by_test_id("template").click()
    download = info.value
    assert download.suggested_filename == "people-template.xlsx"
    template = load_workbook(io.BytesIO(download.path().read_bytes()))
    header = [c.value for c in template.worksheets[0][1]]
    assert len(header) >= 4 and all(header), header
    response = page.request.get(f"{live_server.url}/people/import/template/")
    assert response.status == 200
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    assert len(header) == len(COLUMNS)
    rid_col = header[[c.key for c in COLUMNS].index("resident_id")]

    def person(name, number, employee_no):
        return {"name": name, "resident_id": number, "employee_no": employee_no, "post_category": "other"}

    good = [
        person("导入甲", resident_id("520201", seq=501), "IMP-001"),
        person("导入乙", resident_id("520201", seq=502), "IMP-002"),
    ]
    first = tmp_path / "people-good.xlsx"
    first.write_bytes(_xlsx(header, good))
    page.locator("#id_org_unit").select_option(str(w.a.mine.pk))
    page.locator("#id_file").set_input_files(str(first))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))

    job = page.get_by_test_id("job")
    expect(job).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(job.locator("progress")).to_have_attribute("value", "100")
    expect(page.get_by_test_id("imported")).to_contain_text("2")
    expect(page.get_by_test_id("import-errors")).to_have_count(0)
    expect(job).not_to_contain_text(re.compile(r"\b0 (/|of) 2\b"))  # no stale "checked 0 of 2 rows"
    shot(page, "job-succeeded")
    page.get_by_test_id("imported").get_by_role("link").click()
    people = page.get_by_test_id("people-table")
    expect(people).to_contain_text("导入甲")
    expect(people).to_contain_text("导入乙")

    # A file with one bad row: every problem is listed, nothing is imported.
    bad_id = resident_id("520201", seq=503)
    bad_id = bad_id[:-1] + ("0" if bad_id[-1] != "0" else "1")  # wrong check digit
    second = tmp_path / "people-bad.xlsx"
    bad = [person("导入丙", resident_id("520201", seq=504), "IMP-003"), person("导入丁", bad_id, "IMP-004")]
    second.write_bytes(_xlsx(header, bad))
    page.goto(f"{live_server.url}{IMPORT}")
    page.locator("#id_org_unit").select_option(str(w.a.mine.pk))
    page.locator("#id_file").set_input_files(str(second))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    expect(job).to_have_attribute("data-status", "failed", timeout=20_000)
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_be_visible()
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text("3")  # header is row 1, the bad person is row 3
    expect(cells.nth(1)).to_have_text(rid_col)
    assert cells.nth(2).inner_text().strip()
    expect(page.get_by_test_id("imported")).to_have_count(0)
    shot(page, "job-failed")

    page.goto(f"{live_server.url}{PEOPLE}?q=导入")
    expect(people).to_contain_text("导入甲")
    expect(people).not_to_contain_text("导入丙")
    expect(people).not_to_contain_text("导入丁")
    with dangerously_platform_scope():
        imported = Person.dangerously_unscoped.filter(tenant=w.a.tenant, name__startswith="导入")
        assert set(imported.values_list("name", flat=True)) == {"导入甲", "导入乙"}


def test_job_page_follows_a_running_job(page, live_server, browser_world, log_in, shot):
    """While a job runs, htmx re-fetches the progress bar every second until it is done."""
    w = browser_world
    with dangerously_platform_scope():
        job = _job_create(w)
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    box = page.get_by_test_id("job")
    expect(box).to_have_attribute("data-status", "pending")
    expect(box).to_have_attribute("hx-trigger", "every 1s")

    with dangerously_platform_scope():
        Job.dangerously_unscoped.filter(pk=job.pk).update(status="running", progress=40)
    expect(box).to_have_attribute("data-status", "running", timeout=5_000)
    expect(box.locator("progress")).to_have_attribute("value", "40")
    shot(page, "running")

    done = {"status": "succeeded", "progress": 100, "result": {"imported": 7}}
    with dangerously_platform_scope():
        Job.dangerously_unscoped.filter(pk=job.pk).update(**done)
    expect(box).to_have_attribute("data-status", "succeeded", timeout=5_000)
    expect(box.locator("progress")).to_have_attribute("value", "100")
    expect(page.get_by_test_id("imported")).to_contain_text("7")
    expect(box).not_to_have_attribute("hx-get", re.compile(".*"))  # polling stops
    assert page.url.endswith(f"/jobs/{job.pk}/")
    shot(page, "done")


def _job_create(w):
    return Job.dangerously_unscoped.create(
        tenant_id=w.a.tenant.pk,
        kind="people_import",
        org_unit=w.a.mine,
        created_by=w.a.users[roles.SAFETY_MANAGER],
        params={"filename": "slow.xlsx"},
    )


# --- 5. phone ----------------------------------------------------------------------------------------
def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} is {width}px wide"


def test_phone_layout_for_the_worker(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.WORKER])
        record = page.get_by_test_id("my-record")
        expect(record).to_be_visible()
        expect(record).to_contain_text(w.a.worker_person.name)
        expect(record).to_contain_text(w.a.worker_person.employee_no)
        expect(record).not_to_contain_text(resident_id("520201", seq=10))  # masked
        _no_horizontal_scroll(page)
        shot(page, "worker-home")

        nav = page.locator("nav.mainnav")
        menu = page.locator("label.nav-button")
        expect(menu).to_be_visible()
        expect(nav).to_be_hidden()
        menu.click()
        expect(nav).to_be_visible()
        expect(nav.get_by_role("link")).to_have_count(len(EXPECTED_NAV[roles.WORKER]))
        _no_horizontal_scroll(page)
        shot(page, "worker-menu-open")
        menu.click()
        expect(nav).to_be_hidden()
    finally:
        context.close()


def test_phone_layout_of_list_pages(browser, live_server, browser_world, log_in, shot):
    """Wide tables scroll inside their box; the page itself never scrolls sideways."""
    w = browser_world
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.TENANT_ADMIN])
        _no_horizontal_scroll(page)
        shot(page, "admin-home")
        pages = {
            "mines": MINES,
            "people": PEOPLE,
            "org": ORG,
            "person-detail": f"/people/{w.a.people[1].pk}/",
            "mine-detail": f"/mines/{w.a.mine.pk}/",
            "import": IMPORT,
            "audit": AUDIT,
        }
        for name, path in pages.items():
            assert page.goto(f"{live_server.url}{path}").status == 200, path
            _no_horizontal_scroll(page)
            shot(page, name)
    finally:
        context.close()


# --- 6. resident ID reveal ----------------------------------------------------------------------------
def test_reveal_resident_id(page, live_server, browser_world, log_in, shot):
    w = browser_world
    person = w.a.people[1]
    full = resident_id("520201", seq=11)
    log_in(page, w.a.users[roles.TENANT_ADMIN])
    page.goto(f"{live_server.url}/people/")
    page.get_by_role("link", name=person.name).click()
    page.wait_for_url(f"{live_server.url}/people/{person.pk}/")

    rid = page.locator("#rid .mono")
    masked = rid.inner_text().strip()
    assert masked != full and "*" in masked, masked
    assert masked[:2] == full[:2] and masked[-2:] == full[-2:], masked
    expect(page.locator("body")).not_to_contain_text(full)
    shot(page, "masked")

    with page.expect_response(lambda r: r.url.endswith(f"/people/{person.pk}/reveal/")) as info:
        page.get_by_test_id("reveal").click()
    assert info.value.status == 200
    expect(page.get_by_test_id("revealed")).to_have_text(full)
    expect(page.locator("#rid")).to_have_count(1)
    expect(page.get_by_test_id("reveal")).to_have_count(0)  # one click, one audited reveal
    assert page.url == f"{live_server.url}/people/{person.pk}/"  # swapped in place, no navigation
    shot(page, "revealed")

    # Reloading shows the masked number again: revealing is one audited look, not a setting.
    page.reload()
    expect(page.locator("#rid .mono")).to_have_text(masked)


def test_a_group_admin_moves_a_mine_to_another_subsidiary(page, live_server, browser_world, log_in, shot):
    w = browser_world
    with dangerously_platform_scope() as platform:
        second = services.org_unit_create(
            scope=platform, parent=w.a.hq, kind="subsidiary", name="A第二子公司"
        )
    log_in(page, w.a.users[roles.TENANT_ADMIN])
    page.goto(f"{live_server.url}/org/{w.a.mine.pk}/")
    form = page.get_by_test_id("move-form")
    expect(form).to_be_visible()
    form.locator("select").select_option(str(second.pk))
    shot(page, "choosing")
    form.get_by_role("button").click()
    page.wait_for_url(f"{live_server.url}/org/{w.a.mine.pk}/")
    expect(page.locator("body")).to_contain_text(f"已将{w.a.mine.name}移动到A第二子公司之下")
    expect(page.get_by_role("link", name="A第二子公司")).to_be_visible()  # "part of" the new parent
    shot(page, "moved")
    with dangerously_platform_scope():
        assert OrgUnit.objects.get(pk=w.a.team.pk).path.startswith(second.path)
