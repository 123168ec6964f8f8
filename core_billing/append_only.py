"""Tables whose rows are only ever inserted, and the database triggers that keep them so.

The models refuse save-after-insert and delete in the ORM; these triggers refuse
UPDATE and DELETE even from raw SQL.  Migrations create them (0002 for the audit
log, 0004 for the ledger tables); tests/conftest.py re-creates and lifts them
around SQLite flushes from this one list.  TRUNCATE (PostgreSQL's test flush)
bypasses row triggers.
"""
from __future__ import annotations

APPEND_ONLY_TABLES = (
    "core_billing_auditlog",
    "core_billing_ledgerentry",
    "core_billing_receipt",
    "core_billing_accountchange",
    "core_billing_pricechange",
)


class AppendOnlyError(Exception):
    """A posted row was about to be changed or deleted."""


def sqlite_create(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
    ]


def sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION nuanxin_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"""


def postgres_create(table: str) -> list[str]:
    return [POSTGRES_FUNCTION,
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION nuanxin_append_only()"""]


def postgres_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"]


def create_statements(vendor: str, table: str) -> list[str]:
    return postgres_create(table) if vendor == "postgresql" else sqlite_create(table)


def drop_statements(vendor: str, table: str) -> list[str]:
    return postgres_drop(table) if vendor == "postgresql" else sqlite_drop(table)
