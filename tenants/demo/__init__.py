"""A believable demo world: two mining groups, their mines, teams and people, regulators, logins.

Everything is written through ``tenants.services`` (validated, audited), inside one transaction.
People are generated deterministically (``random.Random`` with a fixed seed), so every run builds
the same names, resident ID numbers and employee numbers. Licence expiry dates are the one thing
relative to the day of the build, so that "expiring soon" is soon whenever the demo is built.

Idempotent: a group found by its credit code or name, and an agency found by its name, is left
alone; the logins are always reported.
"""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.context import acting_as
from tenants import roles, services
from tenants.models import OrgUnit, RegulatorAgency, Tenant
from tenants.scope import dangerously_platform_scope

from .people import _login_person_index, people_of
from .specs import (
    ACTOR,
    AGENCIES,
    DEMO_PASSWORD,
    PROVINCE_ABBR,
    TEAMS,
    TENANTS,
    MineSpec,
    TenantSpec,
    credit_code,
)

# What the seed command, the capabilities' demo builders and the tests read from the demo.
__all__ = [
    "DEMO_PASSWORD",
    "PROVINCE_ABBR",
    "TENANTS",
    "BuildReport",
    "build_demo",
    "demo_logins",
    "existing_logins",
    "people_of",
]


# --- building -------------------------------------------------------------------------------------
@dataclass
class BuildReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    people: int = 0
    # Per demo builder (its key, in run order): the groups whose part of the demo was added.
    added: dict[str, list[str]] = field(default_factory=dict)


def _licence_numbers(tenant: TenantSpec, mine: MineSpec, today: datetime.date) -> dict:
    coal = mine.mine_type.startswith("coal")
    year = mine.licence_year
    province = mine.region_code[:2]
    serial = 1000 + zlib.crc32(f"{tenant.key}-{mine.no}".encode()) % 9000

    def expiry(days: int | None, years: int) -> datetime.date:
        if days is not None:
            return today + datetime.timedelta(days=days)
        # Years away: the next anniversary of the issue date that is at least a year off.
        end = datetime.date(year + years, 6, 30)
        while end < today + datetime.timedelta(days=365):
            end = end.replace(year=end.year + years)
        return end

    safety_expires = expiry(mine.safety_expires_in, 3)
    return {
        "mining_licence_no": f"C{province}0000{year}07{11 if coal else 21}{serial:08d}",
        "mining_licence_expires": expiry(mine.mining_expires_in, 30 if coal else 20),
        # A safety production licence runs 3 years; its number carries the year it was (re)issued.
        "safety_licence_no": f"（{PROVINCE_ABBR[province]}）{'MK' if coal else 'FM'}安许证字"
        f"〔{safety_expires.year - 3}〕{serial:04d}",
        "safety_licence_expires": safety_expires,
        "business_licence_no": credit_code(mine.region_code, f"{province}{mine.no:02d}{serial % 10000:04d}"),
        "business_licence_expires": None,  # 长期 (no end date)
    }


def _build_tenant(spec: TenantSpec, today: datetime.date) -> int:
    tenant = services.tenant_create(name=spec.name, credit_code=spec.credit_code, hq_name=spec.hq_name)
    units: dict[str, OrgUnit] = {}
    # The demo builder is the platform operator filling groups it has just created.
    with dangerously_platform_scope() as platform:
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        units[""] = hq
        for sub_spec in spec.subsidiaries:
            sub = services.org_unit_create(
                scope=platform, parent=hq, kind=OrgUnit.Kind.SUBSIDIARY, name=sub_spec.name
            )
            for mine_spec in sub_spec.mines:
                profile = {
                    "mine_type": mine_spec.mine_type,
                    "region_code": mine_spec.region_code,
                    "production_status": mine_spec.status,
                    "production_status_since": (
                        today - datetime.timedelta(days=mine_spec.status_since_days)
                        if mine_spec.status_since_days is not None
                        else None
                    ),
                    "rated_capacity": Decimal(mine_spec.capacity) if mine_spec.capacity else None,
                    "production_started_on": mine_spec.started,
                    **_licence_numbers(spec, mine_spec, today),
                }
                mine = services.org_unit_create(
                    scope=platform,
                    parent=sub,
                    kind=OrgUnit.Kind.MINE,
                    name=mine_spec.name,
                    mine_profile=profile,
                )
                units[mine_spec.name] = mine
                for team_name, _posts in TEAMS[mine_spec.mine_type]:
                    units[f"{mine_spec.name}/{team_name}"] = services.org_unit_create(
                        scope=platform, parent=mine, kind=OrgUnit.Kind.TEAM, name=team_name
                    )
        people = people_of(spec)
        created = []
        for person in people:
            created.append(
                services.person_create(
                    scope=platform,
                    org_unit=units[person.unit],
                    resident_id=person.resident_id,
                    name=person.name,
                    employee_no=person.employee_no,
                    phone=person.phone,
                    job_title=person.job_title,
                    post_category=person.post_category,
                    operation_type=person.operation_type,
                    status=person.status,
                    status_reason=person.status_reason,
                )
            )
        for login in spec.logins:
            if login.role == roles.WORKER:
                services.person_login_create(
                    scope=platform,
                    person=created[_login_person_index(people, login)],
                    username=login.username,
                    password=DEMO_PASSWORD,
                )
            else:
                user = services.tenant_user_create(
                    tenant=tenant,
                    username=login.username,
                    password=DEMO_PASSWORD,
                    role=login.role,
                    org_unit=units[login.unit],
                )
                if login.full_name:  # reports name people, not logins
                    user.first_name = login.full_name
                    user.save(update_fields=["first_name"])
    return len(people)


def build_demo(*, builders: Iterable = (), log: Callable[[str], None] = lambda message: None) -> BuildReport:
    """Build whatever part of the demo is missing, all in one transaction: the base (groups,
    units, people, logins, regulators), then each capability's part through ``builders`` (the
    registered ``compliance.registry.DemoBuilder``s, in order; this module names none of them)."""
    report = BuildReport()
    today = timezone.localdate()
    with acting_as(ACTOR), transaction.atomic():
        for agency_spec in AGENCIES:
            if RegulatorAgency.objects.filter(name=agency_spec.name).exists():
                report.skipped.append(agency_spec.name)
                log(f"exists, skipped: {agency_spec.name}")
                continue
            agency = services.agency_create(
                name=agency_spec.name, level=agency_spec.level, region_prefix=agency_spec.region_prefix
            )
            services.agency_user_create(agency=agency, username=agency_spec.username, password=DEMO_PASSWORD)
            report.created.append(agency_spec.name)
            log(f"created: {agency_spec.name}")
        for spec in TENANTS:
            if Tenant.objects.filter(Q(credit_code=spec.credit_code) | Q(name=spec.name)).exists():
                report.skipped.append(spec.name)
                log(f"exists, skipped: {spec.name}")
                continue
            count = _build_tenant(spec, today)
            report.people += count
            report.created.append(spec.name)
            log(f"created: {spec.name} ({count} people)")
        # Each capability's part, for every demo group that has none yet (also one built by an
        # earlier version of this command); per group, the builders in their order.
        builders = list(builders)
        for builder in builders:
            report.added[builder.key] = []
        with dangerously_platform_scope() as platform:
            for spec in TENANTS:
                for builder in builders:
                    if builder.build(spec, scope=platform, today=today, log=log) is not None:
                        report.added[builder.key].append(spec.name)
    return report


# --- the logins -----------------------------------------------------------------------------------
def demo_logins() -> list[dict]:
    """Every demo login as {username, password, role, tenant, org_unit} (tenant None for regulators)."""
    rows = []
    for spec in TENANTS:
        for login in spec.logins:
            rows.append(
                {
                    "username": login.username,
                    "password": DEMO_PASSWORD,
                    "role": login.role,
                    "tenant": spec.name,
                    "org_unit": login.unit or spec.hq_name,
                }
            )
    for agency in AGENCIES:
        rows.append(
            {
                "username": agency.username,
                "password": DEMO_PASSWORD,
                "role": roles.REGULATOR,
                "tenant": None,
                "org_unit": agency.name,
            }
        )
    return rows


def existing_logins() -> tuple[list[dict], list[dict]]:
    """The demo logins split into those that exist (active) and those that do not."""
    rows = demo_logins()
    active = set(
        get_user_model()
        .objects.filter(username__in=[r["username"] for r in rows], is_active=True)
        .values_list("username", flat=True)
    )
    return [r for r in rows if r["username"] in active], [r for r in rows if r["username"] not in active]
