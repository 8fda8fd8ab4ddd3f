"""The audit columns' foreign keys to users (created_by, updated_by -> users.id ON DELETE SET NULL).

0001 declared them with use_alter=True inside op.create_table, which leaves such keys out of CREATE TABLE, and
nothing added them later: no database migrated before this revision has them, so an audit id may name a user that
no longer exists. Such an id is set to NULL here, which is what the key itself does when a user is deleted: the
row keeps its data and loses only the name of someone who is gone (there is nobody left for the id to identify).

Each statement runs in its own transaction (autocommit), in three passes. Adding a key NOT VALID locks its table
and users against writes (SHARE ROW EXCLUSIVE) for a moment, without reading either; from its commit on, new and
changed ids are checked and a deleted user's ids become NULL, so no new dangling id can appear while the old ones
are cleared. Clearing (an UPDATE: row locks on the rows it clears) and VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE)
then read the whole table while reads and writes go on. A run that stops halfway (a timeout, a deadlock with a
request) leaves the revision at 0003; running it again adds only the keys still missing and validates them all.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Every table 0001 created with audit columns; frozen here, as this revision found them.
AUDITED_TABLES = (
    "users",
    "permissions",
    "permission_groups",
    "policies",
    "books",
    "import_jobs",
    "reviews",
    "loans",
    "holds",
    "fines",
    "notifications",
    "refresh_tokens",
)
AUDIT_COLUMNS = ("created_by", "updated_by")
KEYS = [(table, column, f"fk_{table}_{column}_users") for table in AUDITED_TABLES for column in AUDIT_COLUMNS]


def _existing_keys() -> set[str]:
    rows = op.get_bind().execute(text("SELECT conname FROM pg_constraint WHERE contype = 'f'"))
    return {row[0] for row in rows}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        existing = _existing_keys()
        for table, column, name in KEYS:
            if name not in existing:
                op.create_foreign_key(
                    name, table, "users", [column], ["id"], ondelete="SET NULL", postgresql_not_valid=True
                )
        for table, column, _ in KEYS:
            op.execute(
                f"UPDATE {table} AS audited SET {column} = NULL WHERE audited.{column} IS NOT NULL "
                f"AND NOT EXISTS (SELECT FROM users AS author WHERE author.id = audited.{column})"
            )
        for table, _, name in KEYS:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    for table, _, name in reversed(KEYS):
        op.drop_constraint(name, table, type_="foreignkey")
