from django.db import models


class AuditEntry(models.Model):
    """One link of the audit chain: a state change of a chained record, with the hash of the
    link before it. Written only by `apps.desk.audit`; the database refuses UPDATE and DELETE
    on this table (triggers in the migration, `apps.desk.chain_sql`)."""

    # Assigned under the chain lock, one after the other: a gap means a removed link.
    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    model = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)  # created, changed, deleted
    actor = models.CharField(max_length=200)
    reason = models.TextField(blank=True, default="")
    history_id = models.BigIntegerField(null=True, blank=True)
    changes = models.TextField()  # canonical JSON text of the changed fields, hashed as is
    prev_hash = models.CharField(max_length=64)
    # Not unique-indexed: `seq` already refuses a fork, and ingest chains thousands a batch.
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["model", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.model} {self.object_id}"
