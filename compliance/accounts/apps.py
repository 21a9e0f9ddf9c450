from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """A login's own account: session lifetimes, changing one's password, and a group admin's
    reset of a member's password. No tables of its own (the reset flag is the login's, in tenants)."""

    name = "compliance.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .sessions import on_login

        user_logged_in.connect(on_login, dispatch_uid="kuangan-session-start")
