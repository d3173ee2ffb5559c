"""Serialising the desk's folds of a window into its account records.

Detection runs fold their windows in from several workers at once; two folds inserting the
same new account, identifier or cluster would make one fail. On PostgreSQL a
transaction-scoped advisory lock per kind of fold queues them (taken first, so the second
sees what the first committed); SQLite serialises writers by itself.
"""

from django.db import connections, router
from django.db.models import Model

MEMORY = 0x6D656D6F7279  # folding a window into the memory of accounts
CLUSTERS = 0x636C7573746572  # storing links and re-deriving the clusters


def one_at_a_time(model: type[Model], key: int) -> None:
    """Inside a transaction: wait for any other holder of ``key``, hold it until commit."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
