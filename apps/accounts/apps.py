from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Exchange accounts"

    def ready(self) -> None:
        from apps.accounts.models import ControlCluster, ExchangeAccount
        from apps.desk.history import register_history
        from apps.people.roles import STAFF_ROLES

        register_history("account", ExchangeAccount, STAFF_ROLES)
        register_history("cluster", ControlCluster, STAFF_ROLES)
