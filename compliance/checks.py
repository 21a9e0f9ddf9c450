"""Project-level system checks (registered by compliance.tokens at start-up)."""

from django.core.checks import Error, Warning, register

from tenants.scope import Scope, activate


@register(deploy=True)
def api_schema_check(app_configs, **kwargs):
    """drf-spectacular's own deploy check (schema generation warnings become check warnings), run
    inside an empty scope: outside a request the fail-closed managers would refuse to build the
    filter parameters."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.settings import spectacular_settings

    problems = []
    try:
        with GENERATOR_STATS.silence(), activate(Scope(kind="tenant")):
            spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    except Exception as exc:  # any failure to build the schema is the finding
        problems.append(Error(f'Schema generation threw exception "{exc}"', id="compliance.E001"))
    for message in GENERATOR_STATS._warn_cache:
        problems.append(Warning(message, id="compliance.W001"))
    for message in GENERATOR_STATS._error_cache:
        problems.append(Warning(message, id="compliance.W002"))
    return problems
