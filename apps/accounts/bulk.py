"""Updating many rows of a running record at once, without the ORM's per-row expressions.

Django's ``bulk_update`` builds a CASE expression per field per row and resolves each:
folding a 6,500-account window into the memory spent 65 of its 75 s there. One prepared
UPDATE per row, sent with ``executemany``, does the same in a fraction of that. Only for
records without a history table (Identifier, AccountProfile): it sends no signals.
"""

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Field, Model


def rows_update(model: type[Model], objects: Sequence[Model], fields: list[str]) -> int:
    """Write ``fields`` of each object to its row (by primary key); returns how many."""
    if not objects:
        return 0
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [field for name in fields if isinstance(field := meta.get_field(name), Field)]
    assert len(columns) == len(fields), "only concrete fields can be written"
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in columns)
    pk = meta.pk
    assert pk is not None
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(pk.column))} = %s"
    params = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [pk.get_db_prep_save(obj.pk, connection)]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(objects)
