"""Alembic environment: always called through `library_common.migrate`, which passes the connection."""

from alembic import context

from library_common.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
