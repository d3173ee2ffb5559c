"""The triggers that make the audit chain append-only, per database.

The migration seals the table; `unseal` is what a database superuser would run to bypass
them (the tamper tests do, and so does the test runner's flush of a transactional test).
"""

TABLE = "desk_auditentry"
_REFUSED = "the audit chain is append-only"


def seal(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION desk_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            # No '%' here: the statement goes through a driver that reads it as a placeholder.
            f"$$ BEGIN RAISE EXCEPTION USING MESSAGE = '{_REFUSED}: ' || TG_OP || ' refused'; "
            "END $$",
            f"CREATE TRIGGER desk_audit_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION desk_audit_refuse()",
            f"CREATE TRIGGER desk_audit_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION desk_audit_refuse()",
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER desk_audit_no_{op.lower()} BEFORE {op} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}: {op} refused'); END"
            for op in ("UPDATE", "DELETE")
        ]
    return []


def unseal(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS desk_audit_append_only ON {TABLE}",
            f"DROP TRIGGER IF EXISTS desk_audit_no_truncate ON {TABLE}",
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS desk_audit_no_{op} " for op in ("update", "delete")]
    return []
