from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The roof: the pages that gather every app (home per role, any record's history, the
    API docs) and the demo loader. Nothing below imports it."""

    name = "apps.console"
    label = "console"
    verbose_name = "Console: home, history viewer, demo"
