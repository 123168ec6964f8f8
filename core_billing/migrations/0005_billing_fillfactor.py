"""Room on every page of the tables that set-based refreshes rewrite, so those
updates can be HOT (heap-only: no new index entries) on PostgreSQL.  Their
refreshed columns are deliberately not indexed (see the models)."""
from django.db import migrations

TABLES = ("core_billing_seasonaccount", "core_billing_customer")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("core_billing", "0004_ledger_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
