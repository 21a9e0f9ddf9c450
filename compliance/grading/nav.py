"""Standardization grading's entry in the top bar: one entry; its pages share a sub-navigation."""

from django.utils.translation import gettext_lazy as _

from compliance.registry import NavEntry, register_nav

from . import permissions as perms


def register() -> None:
    register_nav(
        NavEntry(
            "grading",
            "grading",
            _("Standardization"),
            "grading:dashboard",
            visible=lambda s: s.has_perm(perms.VIEW_GRADING) and not s.self_only,
            namespace="grading",
            subnav="grading/_subnav.html",
        )
    )
