from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "apps.desk"
    label = "desk"
    verbose_name = "Desk shell: layout, home, history"

    def ready(self) -> None:
        from apps.desk import history

        history.connect()
