from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from library_common.models import Base


def test_the_models_declare_the_schema_the_migrations_build(engine):
    # Foreign keys are compared with their ON DELETE rule, server defaults with their expressions.
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_server_default": True}), Base.metadata
        )
    assert differences == []


def test_every_foreign_key_is_validated(engine):
    # compare_metadata cannot tell a key added NOT VALID (old rows never checked) from a validated one.
    with engine.connect() as connection:
        not_validated = connection.execute(
            text("SELECT conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")
        ).all()
    assert not_validated == []
