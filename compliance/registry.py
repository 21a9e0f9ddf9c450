"""The extension points: how a capability plugs into the product without the base knowing it.

Each capability (``compliance/<capability>/``) fills these in its ``AppConfig.ready()``; the
base (``tenants/`` and the platform pieces) only reads them. Registration is idempotent by key,
so a second ``ready()`` (the test runner, autoreload) replaces rather than duplicates.

The registries that ``tenants`` itself must consult live in ``tenants`` and are re-exported here
so a capability has one place to look:

- permissions and role bundles: ``tenants.roles.register_permissions``;
- holds on a person: ``tenants.holds`` (``place_hold`` / ``lift_hold``); a capability never
  writes ``Person.status``;
- rule kinds (rules as data: source and verified flag): ``compliance.rules.base.register_rule_kind``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from tenants.roles import register_permissions  # noqa: F401  (re-exported: one place to look)

# --- navigation -----------------------------------------------------------------------------------
# Groups of the top bar, in order. A capability names one of these; a group with a single visible
# entry shows as a plain link (the entry's label), a group with several as a drop-down menu under
# the group's label. The labels are short on purpose: the top bar must fit one line at 1366 px.
NAV_GROUPS: dict[str, Promise] = {
    "home": pgettext_lazy("navigation group", "Home"),
    "org": pgettext_lazy("navigation group", "Organisation"),
    "people": pgettext_lazy("navigation group", "People"),
    "training": pgettext_lazy("navigation group", "Training and exams"),
    "inspections": pgettext_lazy("navigation group", "Inspections"),
    "grading": pgettext_lazy("navigation group", "Standardization"),
    "oversight": pgettext_lazy("navigation group", "Oversight"),
    "system": pgettext_lazy("navigation group", "System"),
}


@dataclass(frozen=True)
class NavEntry:
    key: str  # unique; also the data-testid "nav-<key>"
    group: str  # a key of NAV_GROUPS
    label: Promise
    url_name: str  # reversed without arguments
    visible: Callable[[Any], bool]  # (scope) -> bool: only what the role may use; no queries
    order: int = 100
    # URL namespace whose pages mark this entry (and its group) as the current one.
    namespace: str | None = None
    # A sub-navigation template shown under the top bar on the pages of ``namespace``.
    subnav: str | None = None


_nav: dict[str, NavEntry] = {}


def register_nav(*entries: NavEntry) -> None:
    for entry in entries:
        if entry.group not in NAV_GROUPS:
            raise ValueError(f"unknown navigation group {entry.group!r} for {entry.key!r}")
        _nav[entry.key] = entry


def nav_entries() -> list[NavEntry]:
    return sorted(_nav.values(), key=lambda e: (list(NAV_GROUPS).index(e.group), e.order, e.key))


@dataclass(frozen=True)
class NavLink:
    key: str
    label: Promise
    url: str
    current: bool


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: Promise
    links: list[NavLink]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def navigation_for(scope, *, view_name: str = "", namespace: str = "") -> tuple[list[NavGroup], str | None]:
    """The top bar for this scope: the visible entries by group, and the sub-navigation template of
    the current page's capability (if any). No queries: ``visible`` reads the scope's grants."""
    groups: dict[str, list[NavLink]] = {}
    subnav = None
    for entry in nav_entries():
        if not entry.visible(scope):
            continue
        in_namespace = bool(entry.namespace) and entry.namespace == namespace
        groups.setdefault(entry.group, []).append(
            NavLink(
                key=entry.key,
                label=entry.label,
                url=reverse(entry.url_name),
                current=view_name == entry.url_name or in_namespace,
            )
        )
        if in_namespace and entry.subnav:
            subnav = entry.subnav
    return [NavGroup(key, NAV_GROUPS[key], links) for key, links in groups.items()], subnav


# --- person-page panels (一人一档) ------------------------------------------------------------------
@dataclass(frozen=True)
class PersonPanel:
    key: str
    title: Promise
    template: str  # rendered with the context the provider returns, plus ``person`` and ``scope``
    # (scope, person) -> dict | None. None: this viewer may not see the panel (no permission).
    # Must run a constant number of queries.
    context: Callable[[Any, Any], dict | None]
    order: int = 100


_person_panels: dict[str, PersonPanel] = {}


def register_person_panel(panel: PersonPanel) -> None:
    _person_panels[panel.key] = panel


def person_panels() -> list[PersonPanel]:
    return sorted(_person_panels.values(), key=lambda p: (p.order, p.key))


@dataclass(frozen=True)
class VisiblePanel:
    key: str
    title: Promise
    template: str
    context: dict


def visible_person_panels(scope, person) -> list[VisiblePanel]:
    """The panels this viewer sees on ``person``'s page, in order, each with its context. Queries:
    the sum of the providers' constant counts, whatever the person's records."""
    out = []
    for panel in person_panels():
        context = panel.context(scope, person)
        if context is not None:
            out.append(VisiblePanel(panel.key, panel.title, panel.template, context))
    return out


# --- demo builders ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoBuilder:
    key: str  # also the key of the report's per-capability list in ``seed_demo --json``
    # (spec, *, scope, today, log) -> object | None: None when the group already had this part.
    build: Callable[..., Any]
    order: int = 100


_demo_builders: dict[str, DemoBuilder] = {}


def register_demo_builder(builder: DemoBuilder) -> None:
    _demo_builders[builder.key] = builder


def demo_builders() -> list[DemoBuilder]:
    return sorted(_demo_builders.values(), key=lambda b: (b.order, b.key))


# --- attempt-outcome listeners ------------------------------------------------------------------------
# Called once per graded attempt, inside the grading transaction, in registration order. Each
# listener must be idempotent (a retry of the grading calls it again).
_attempt_listeners: dict[str, Callable[[Any], None]] = {}


def register_attempt_listener(key: str, listener: Callable[[Any], None]) -> None:
    _attempt_listeners[key] = listener


def attempt_listeners() -> list[Callable[[Any], None]]:
    return list(_attempt_listeners.values())


# --- attempt access ------------------------------------------------------------------------------------
# Who else may work on an attempt sat for a capability's occasion (a spot exam: the team running
# its inspection): (scope, prefix) -> Q on training's Attempt (``prefix`` as in a lookup from a
# row that leads to one, e.g. "attempt__"). Matches nothing for a scope it does not let in.
_attempt_access: dict[str, Callable[[Any, str], Any]] = {}


def register_attempt_access(key: str, condition: Callable[[Any, str], Any]) -> None:
    _attempt_access[key] = condition


def attempt_access_conditions() -> list[Callable[[Any, str], Any]]:
    return list(_attempt_access.values())


# --- notes on an attempt's result page --------------------------------------------------------------
# What follows a graded attempt in another capability, told to the person on training's result
# page (a failed spot exam: suspended from post, and the re-test). ``context(attempt, scope)``
# returns None when there is nothing to say, else the context of ``template``; a constant number
# of queries.
@dataclass(frozen=True)
class AttemptResultNote:
    key: str
    template: str
    context: Callable[[Any, Any], dict | None]
    order: int = 100


_attempt_result_notes: dict[str, AttemptResultNote] = {}


def register_attempt_result_note(note: AttemptResultNote) -> None:
    _attempt_result_notes[note.key] = note


def attempt_result_notes() -> list[AttemptResultNote]:
    return sorted(_attempt_result_notes.values(), key=lambda n: (n.order, n.key))


# --- per-mine figures -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MineFigure:
    key: str
    label: Promise
    value: Any
    # 正常 / 关注 / 警告 / 违规, as "ok" / "watch" / "warning" / "violation".
    status: str = "ok"
    rule: str = ""  # the rule behind the status, in the user's language
    url: str = ""


@dataclass(frozen=True)
class MineFigureProvider:
    key: str
    label: Promise
    # (scope, mine_ids) -> {mine org unit id: [MineFigure, ...]}; a constant number of queries.
    figures: Callable[[Any, Iterable], dict[Any, list[MineFigure]]]
    order: int = 100


_mine_figures: dict[str, MineFigureProvider] = {}


# Providers other capabilities read by key (declared here, so neither names the other): the
# spot-exam figures per mine that compliance.inspections provides and the training dashboard shows.
SPOT_EXAM_FIGURES = "inspections.spot_exams"


def register_mine_figures(provider: MineFigureProvider) -> None:
    _mine_figures[provider.key] = provider


def mine_figure_providers() -> list[MineFigureProvider]:
    return sorted(_mine_figures.values(), key=lambda p: (p.order, p.key))


def mine_figures(
    scope, mine_ids: Iterable, *, providers: Iterable[str] | None = None
) -> dict[Any, list[MineFigure]]:
    """Every provider's figures for these mines, in provider order; with ``providers``, only
    those providers' (by key)."""
    from tenants.models import OrgUnit

    mine_ids = list(mine_ids)
    wanted = set(providers) if providers is not None else None
    out: dict[Any, list[MineFigure]] = {mine_id: [] for mine_id in mine_ids}
    # Fail closed: providers only ever hear of the mines this scope may see (one query), so a
    # provider that reads "no rows" as "all posts vacant" cannot speak of another group's mine.
    visible = list(
        scope.filter_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE, pk__in=mine_ids)).values_list(
            "pk", flat=True
        )
    )
    for provider in mine_figure_providers():
        if wanted is not None and provider.key not in wanted:
            continue
        for mine_id, figures in provider.figures(scope, visible).items():
            out.setdefault(mine_id, []).extend(figures)
    return out


# --- the audit trail as people read it ------------------------------------------------------------
# Every action string written to ``AuditEvent.action`` has a label here (the platform's own from
# compliance.audit, each capability's from its ``ready()``); tests/audit/test_action_labels.py
# fails on an action written anywhere without one. Object kinds say how an event's object is
# named (the model's verbose name, found through the app registry, unless ``label`` says
# otherwise) and which page opens it; system actors give a readable name to the logins that are
# not people (the demo, scheduled jobs), shown instead of the stored label, which stays as it is
# (the chain's hashes cover it).
@dataclass(frozen=True)
class AuditObjectKind:
    object_type: str  # as stored on the event: "<app label>.<Model>"
    url_name: str | None = None  # the object's page, reversed with ``url_kwarg`` = the object id
    url_kwarg: str = "pk"
    # Needed at the event's org path for the link to show; None: never linked.
    perm: str | None = None
    label: Promise | None = None  # default: the model's verbose name


_audit_actions: dict[str, Promise] = {}
_audit_object_kinds: dict[str, AuditObjectKind] = {}
_system_actors: dict[str, Promise] = {}


def register_audit_actions(labels: dict[str, Promise]) -> None:
    """Action key → label in the user's language (lazy), e.g. ``{"score_item": _("Scored an item")}``."""
    for key, label in labels.items():
        if len(key) > 16:
            raise ValueError(f"audit action {key!r} is longer than the 16 characters the trail stores")
        _audit_actions[key] = label


def audit_action_labels() -> dict[str, Promise]:
    return dict(_audit_actions)


def register_audit_object_kinds(*kinds: AuditObjectKind) -> None:
    for kind in kinds:
        _audit_object_kinds[kind.object_type] = kind


def audit_object_kinds() -> dict[str, AuditObjectKind]:
    return dict(_audit_object_kinds)


def register_system_actor(username: str, label: Promise) -> None:
    """``username`` is the ``ActorContext.username`` a command or job writes under."""
    _system_actors[username] = label


def system_actors() -> dict[str, Promise]:
    return dict(_system_actors)


# --- to-dos on the home page ---------------------------------------------------------------------------
# Each role's home page is a to-do list for its scope: every capability contributes the items it
# knows about (exams to take, certificates due, acknowledgements overdue, hazards past their
# deadline …), each a count that links to the filtered list where the work is done.
@dataclass(frozen=True)
class TodoItem:
    key: str  # unique within the provider; also the data-testid "todo-<key>"
    label: Promise | str  # in the user's language, e.g. "证书 30 天内到期"
    count: int
    url: str = ""  # the filtered list where this work is done ("" when there is none)
    # "info" / "due" / "overdue" / "blocked": how urgent; the page orders and colours by it.
    severity: str = "due"
    deadline: Any = None  # a date, when the item has one (the earliest of its rows)
    hint: Promise | str = ""  # what to do, in one line ("参加补考即可解除")


@dataclass(frozen=True)
class TodoProvider:
    key: str
    label: Promise  # the heading the items sit under (the capability's name)
    # (scope) -> [TodoItem, ...]: only what this scope may act on or must know; items with a
    # count of 0 are dropped by the page. A constant number of queries whatever the row count.
    items: Callable[[Any], list[TodoItem]]
    order: int = 100


_todo_providers: dict[str, TodoProvider] = {}


def register_todo_provider(provider: TodoProvider) -> None:
    _todo_providers[provider.key] = provider


def todo_providers() -> list[TodoProvider]:
    return sorted(_todo_providers.values(), key=lambda p: (p.order, p.key))


# --- conditions: a state recorded by one capability that another must act on ---------------------------
# A vacant required post at a coal mine (duties), labour-only contracting of mining at a coal mine or a
# contractor cap exceeded (contractors), a failed control of a major risk (risks): each is a condition
# the hidden-danger register takes up as a hazard. The capability that sees the state reports it, present
# or gone, under a stable key; the sinks (hazards) decide what follows. Reporting the same key again
# with the same presence changes nothing (sinks are idempotent by key).
@dataclass(frozen=True)
class Condition:
    key: str  # stable for the state, e.g. "duties.post_vacant:<mine id>:<post code>"
    kind: str  # e.g. "duties.post_vacant", "contractors.labour_only", "contractors.cap_exceeded"
    tenant_id: Any
    mine_id: Any  # the mine's org unit id
    description: str  # what is wrong, in Chinese (it becomes the hazard's description)
    # A major-hazard condition under the criteria the source names (e.g. coal: a required post vacant).
    major: bool = False
    criterion: str = ""  # the criterion's code in the major-hazard catalogue, when one applies
    source: str = ""  # the document and article behind it
    location: str = ""


_condition_sinks: dict[str, Callable[..., None]] = {}


def register_condition_sink(key: str, sink: Callable[..., None]) -> None:
    """``sink(scope, condition, *, present: bool)``; called in the reporter's transaction."""
    _condition_sinks[key] = sink


def report_condition(scope, condition: Condition, *, present: bool = True) -> None:
    """Tell every sink that ``condition`` holds (``present``) or no longer holds. With no sink
    registered (no hazard register installed) the reporting capability's own record is all there is."""
    for sink in list(_condition_sinks.values()):
        sink(scope, condition, present=present)


# --- mine preconditions: a fact about a mine that one capability keeps and another checks ------------------
# Grading's standard versions name preconditions ("five_posts_staffed") that another capability knows
# better (duties keeps the post roster). A provider answers for one mine on one day, in the active scope:
# ``check(mine, on_date) -> PreconditionAnswer``; with none registered the reader keeps its own fallback.
@dataclass(frozen=True)
class PreconditionAnswer:
    met: bool
    message: str  # in the user's language: what is missing, or that it is met


_mine_preconditions: dict[str, Callable[[Any, Any], PreconditionAnswer]] = {}


def register_mine_precondition(code: str, check: Callable[[Any, Any], PreconditionAnswer]) -> None:
    _mine_preconditions[code] = check


def mine_precondition(code: str) -> Callable[[Any, Any], PreconditionAnswer] | None:
    return _mine_preconditions.get(code)


# --- production stops: a mine (or an area of it) that must not produce, for a capability's reason ----
# A major hazard under rectification stops the mine or the affected area until it is accepted
# (hazards); grading's right to produce (生产资格) and the mine file read the stops from here, so
# neither capability imports the other.
@dataclass(frozen=True)
class ProductionStop:
    mine_id: Any  # the mine's org unit id
    reason: str  # in the user's language, e.g. "重大事故隐患 YH-2026-00003 治理中"
    area: str = ""  # "" for the whole mine, else the stopped area
    since: Any = None  # a date
    binding: bool = True  # False: rests on an unverified rule, shown as a warning only (待核实)
    source: str = ""  # the document behind it
    url: str = ""


_production_stops: dict[str, Callable[[Any, Iterable], dict[Any, list[ProductionStop]]]] = {}


def register_production_stops(
    key: str, provider: Callable[[Any, Iterable], dict[Any, list[ProductionStop]]]
) -> None:
    """``provider(scope, mine_ids) -> {mine id: [ProductionStop, ...]}``; a constant number of queries."""
    _production_stops[key] = provider


def production_stops(scope, mine_ids: Iterable) -> dict[Any, list[ProductionStop]]:
    """Every provider's stops for these mines (mines without one are absent)."""
    mine_ids = list(mine_ids)
    out: dict[Any, list[ProductionStop]] = {}
    for provider in list(_production_stops.values()):
        for mine_id, stops in provider(scope, mine_ids).items():
            if stops:
                out.setdefault(mine_id, []).extend(stops)
    return out


# --- major hazards at a mine, self-reported and found by regulators ---------------------------------
# The grading rule "regulators find more major hazards than the mine reported itself → the grade
# falls" (issue 17, rule data in grading) counts through here, so grading does not import hazards.
@dataclass(frozen=True)
class MajorHazardTally:
    self_reported: int = 0  # found by the mine, its group, its inspections, its workers
    regulator_found: int = 0  # found by a regulator (in its own inspection, or registered as such)


_major_hazard_tallies: dict[str, Callable[[Any, Iterable, Any], dict[Any, MajorHazardTally]]] = {}


def register_major_hazard_tally(
    key: str, provider: Callable[[Any, Iterable, Any], dict[Any, MajorHazardTally]]
) -> None:
    """``provider(scope, mine_ids, since) -> {mine id: MajorHazardTally}`` for hazards found on or
    after the day ``since``; a constant number of queries."""
    _major_hazard_tallies[key] = provider


def major_hazard_tally(scope, mine_ids: Iterable, since) -> dict[Any, MajorHazardTally]:
    """Every provider's counts, summed per mine (mines with nothing are absent)."""
    mine_ids = list(mine_ids)
    out: dict[Any, MajorHazardTally] = {}
    for provider in list(_major_hazard_tallies.values()):
        for mine_id, tally in provider(scope, mine_ids, since).items():
            seen = out.get(mine_id, MajorHazardTally())
            out[mine_id] = MajorHazardTally(
                seen.self_reported + tally.self_reported, seen.regulator_found + tally.regulator_found
            )
    return out


# --- points proposals: a source in one capability proposes an entry in team safety points -------------
# A 三违 finding in an inspection proposes a deduction for the person who committed it; a confirmed
# worker hazard report proposes an award for the reporter (issue 18). The source reports under a
# stable reference; the sink (points) keeps one proposal per (source kind, reference), so editing or
# confirming the source again counts nothing twice.
@dataclass(frozen=True)
class PointsProposal:
    source_kind: str  # "finding" | "hazard_report" | "spot_exam" | "training" | "duty"
    source_ref: str  # stable id of the source record (at most 64 characters)
    tenant_id: Any
    person_id: Any
    occurred_on: Any  # a date
    reason: str  # in Chinese: what happened (the proposal's and the entry's reason)
    # What the rule is picked by: a 三违 finding's severity ("grave" / "serious" / "minor") or, for
    # an award, a rule code the tenant's catalogue may hold (e.g. "AW-HAZARD").
    severity: str = ""
    rule_code: str = ""
    evidence_url: str = ""


_points_sinks: dict[str, Callable[..., None]] = {}


def register_points_sink(key: str, sink: Callable[..., None]) -> None:
    """``sink(scope, proposal)``; called in the source's transaction, idempotent by reference."""
    _points_sinks[key] = sink


def propose_points(scope, proposal: PointsProposal) -> None:
    """Tell the points capability (if installed) of a proposed entry."""
    for sink in list(_points_sinks.values()):
        sink(scope, proposal)


# --- corrective training (矫正培训): a capability that runs training sessions takes an assignment ------
# Points assigns corrective training when a person falls below a threshold; a training capability
# that registers here turns the assignment into a session. ``assign(scope, person, reason,
# reference) -> bool``: True when it took the assignment. With none registered, points keeps the
# assignment as its own to-do (closed by a manager when the training is passed).
_corrective_training: dict[str, Callable[..., bool]] = {}


def register_corrective_training(key: str, assign: Callable[..., bool]) -> None:
    _corrective_training[key] = assign


def assign_corrective_training(scope, person, *, reason: str, reference: str) -> bool:
    taken = False
    for assign in list(_corrective_training.values()):
        taken = bool(assign(scope, person, reason=reason, reference=reference)) or taken
    return taken


_REGISTRIES = (
    ("nav", _nav),
    ("person_panels", _person_panels),
    ("demo_builders", _demo_builders),
    ("attempt_listeners", _attempt_listeners),
    ("attempt_access", _attempt_access),
    ("attempt_result_notes", _attempt_result_notes),
    ("mine_figures", _mine_figures),
    ("audit_actions", _audit_actions),
    ("audit_object_kinds", _audit_object_kinds),
    ("system_actors", _system_actors),
    ("todo_providers", _todo_providers),
    ("condition_sinks", _condition_sinks),
    ("mine_preconditions", _mine_preconditions),
    ("production_stops", _production_stops),
    ("major_hazard_tallies", _major_hazard_tallies),
    ("points_sinks", _points_sinks),
    ("corrective_training", _corrective_training),
)


def snapshot() -> dict:
    return {name: dict(reg) for name, reg in _REGISTRIES}


def restore(saved: dict) -> None:
    for name, reg in _REGISTRIES:
        reg.clear()
        reg.update(saved[name])
