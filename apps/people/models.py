from django.contrib.auth.models import AbstractUser
from simple_history.models import HistoricalRecords

from apps.desk.history import HistoryStamp


class User(AbstractUser):
    """A person (or a system identity) who signs in to the desk."""

    history = HistoricalRecords(bases=[HistoryStamp], excluded_fields=["last_login", "password"])

    def __str__(self) -> str:
        return self.get_full_name() or self.username
