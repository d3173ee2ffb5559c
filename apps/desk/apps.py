from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The ground every app stands on: history that names the actor, the row lock, the domain
    error, the admin base, spreadsheet cells. It imports no other app of the desk."""

    name = "apps.desk"
    label = "desk"
    verbose_name = "Desk ground: history, locking, errors"

    def ready(self) -> None:
        from apps.desk import audit, history

        history.connect()
        audit.connect()
