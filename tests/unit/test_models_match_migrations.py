from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import ForeignKeyConstraint

from library_common.models import Audited, Base

AUDIT_COLUMNS = ("created_by", "updated_by")


def _audit_foreign_key(difference) -> tuple[str, str] | None:
    if isinstance(difference, tuple) and difference[0] == "add_fk" and isinstance(difference[1], ForeignKeyConstraint):
        columns = [column.name for column in difference[1].columns]
        if len(columns) == 1 and columns[0] in AUDIT_COLUMNS and difference[1].referred_table.name == "users":
            return difference[1].table.name, columns[0]
    return None


def test_the_models_declare_the_schema_the_migrations_build(engine):
    # Known difference: migration 0001 declares the audit columns' foreign keys to users with use_alter=True inside
    # op.create_table, which leaves such constraints out of CREATE TABLE, and no ALTER adds them later, so the
    # database has none of them. Everything else the models declare, the migrations build.
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_server_default": True}), Base.metadata
        )
    audit_foreign_keys = {_audit_foreign_key(difference) for difference in differences} - {None}
    audited = [mapper.local_table.name for mapper in Base.registry.mappers if issubclass(mapper.class_, Audited)]
    assert [difference for difference in differences if _audit_foreign_key(difference) is None] == []
    assert audit_foreign_keys == {(table, column) for table in audited for column in AUDIT_COLUMNS}
    assert len(audit_foreign_keys) == 24
