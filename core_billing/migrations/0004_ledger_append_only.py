"""The ledger, receipts, heating changes and price changes refuse UPDATE and DELETE
at the database, like the audit log (0002)."""
from django.db import migrations

from core_billing.append_only import create_statements, drop_statements

# Named here, not read from APPEND_ONLY_TABLES, so this migration never changes meaning.
TABLES = ("core_billing_ledgerentry", "core_billing_receipt", "core_billing_accountchange",
          "core_billing_pricechange")


def forwards(apps, schema_editor):
    for table in TABLES:
        for sql in create_statements(schema_editor.connection.vendor, table):
            schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    for table in TABLES:
        for sql in drop_statements(schema_editor.connection.vendor, table):
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("core_billing", "0003_billing")]
    operations = [migrations.RunPython(forwards, backwards)]
