"""Pages: change one's own password; a group admin resets a member's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from compliance.http import no_store
from compliance.pages import ScopedPageMixin, apply_service_errors
from tenants import roles, selectors

from . import services
from .forms import PasswordChangeForm
from .sessions import MUST_CHANGE_PASSWORD


class PasswordChangeView(ScopedPageMixin, View):
    template_name = "accounts/password_change.html"
    # One's own credentials: any login, a regulator or one without roles included.
    acts_on_own_credentials = True

    def render_page(self, request, form, status=200):
        forced = bool(request.session.get(MUST_CHANGE_PASSWORD))
        context = {"form": form, "forced": forced, "rules": password_validators_help_texts()}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(request, PasswordChangeForm())

    def post(self, request):
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            try:
                revoked = services.password_change(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                # This session stays; every other one of the login ends with the old hash.
                update_session_auth_hash(request, request.user)
                request.session.pop(MUST_CHANGE_PASSWORD, None)
                message = _("Your password has been changed. Your other sessions have been logged out.")
                if revoked:
                    message += " " + _("%(count)d API tokens were revoked.") % {"count": revoked}
                messages.success(request, message)
                return redirect("home")
        return self.render_page(request, form, status=400)


class PasswordResetView(ScopedPageMixin, View):
    """Confirm, then show the temporary password once."""

    template_name = "accounts/password_reset.html"
    required_perm = roles.MANAGE_MEMBERSHIPS

    def get(self, request, pk):
        membership = selectors.access_membership(self.scope, pk)
        return render(request, self.template_name, {"membership": membership})

    def post(self, request, pk):
        membership = selectors.access_membership(self.scope, pk)
        try:
            user, password = services.password_reset(scope=self.scope, membership=membership)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("membership-list")
        response = render(
            request, self.template_name, {"membership": membership, "reset_user": user, "password": password}
        )
        return no_store(response)  # shown once, kept nowhere
