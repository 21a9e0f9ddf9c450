"""The page "API tokens": one's tokens (a group admin also sees the group's), make one, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from compliance.pages import ScopedPageMixin, apply_service_errors, paginate

from . import selectors, services
from .forms import TokenCreateForm
from .models import token_admin_tenant_ids


class TokenListView(ScopedPageMixin, View):
    template_name = "tokens/token_list.html"
    acts_on_own_credentials = True

    def render_page(self, request, form, *, new_key: str = "", status: int = 200):
        page = paginate(request, selectors.api_token_list(scope=self.scope))
        response = render(
            request,
            self.template_name,
            {
                "form": form,
                "page": page,
                "new_key": new_key,
                "is_token_admin": bool(token_admin_tenant_ids(self.scope)),
            },
            status=status,
        )
        if new_key:
            response["Cache-Control"] = "no-store"  # the key is shown once and kept nowhere
        return response

    def get(self, request):
        return self.render_page(request, TokenCreateForm())

    def post(self, request):
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                _token, key = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self.render_page(request, TokenCreateForm(), new_key=key, status=201)
        return self.render_page(request, form, status=400)


class TokenRevokeView(ScopedPageMixin, View):
    acts_on_own_credentials = True

    def post(self, request, pk):
        token = selectors.access_api_token(self.scope, pk)
        services.api_token_revoke(scope=self.scope, token=token)
        messages.success(request, _("Token %(name)s revoked.") % {"name": token})
        return redirect("account-tokens")
