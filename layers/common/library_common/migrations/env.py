"""Alembic environment: always called through `library_common.migrate`, which passes the connection."""

from alembic import context

from library_common.models import Base

connection = context.config.attributes["connection"]
# One transaction per revision: a revision may commit within itself (op.get_context().autocommit_block()), which
# would otherwise commit the revisions before it halfway through a run.
context.configure(
    connection=connection, target_metadata=Base.metadata, compare_type=True, transaction_per_migration=True
)
with context.begin_transaction():
    context.run_migrations()
