"""The audit log refuses UPDATE and DELETE at the database, not only in the ORM."""
from django.db import migrations

SQLITE = [
    """CREATE TRIGGER core_billing_auditlog_no_update BEFORE UPDATE ON core_billing_auditlog
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER core_billing_auditlog_no_delete BEFORE DELETE ON core_billing_auditlog
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_billing_auditlog_no_update",
    "DROP TRIGGER IF EXISTS core_billing_auditlog_no_delete",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION nuanxin_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER core_billing_auditlog_append_only BEFORE UPDATE OR DELETE ON core_billing_auditlog
       FOR EACH ROW EXECUTE FUNCTION nuanxin_append_only()""",
    # TRUNCATE bypasses row triggers; the flush between tests needs it, so only
    # UPDATE and DELETE are refused.
]
POSTGRES_REVERSE = ["DROP TRIGGER IF EXISTS core_billing_auditlog_append_only ON core_billing_auditlog"]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("core_billing", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
