from alembic.script import ScriptDirectory
from sqlalchemy import text

from library_common import migrate


def test_schema_head_names_the_newest_revision_alembic_finds():
    assert ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head() == migrate.SCHEMA_HEAD


def test_the_schema_is_at_the_head_revision_with_reference_data(engine):
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.SCHEMA_HEAD
        codes = {row[0] for row in connection.execute(text("SELECT code FROM permissions WHERE is_builtin"))}
        librarians = {
            row[0]
            for row in connection.execute(
                text(
                    "SELECT p.code FROM permissions p JOIN group_permissions gp ON gp.permission_id = p.id "
                    "JOIN permission_groups g ON g.id = gp.group_id WHERE g.name = 'librarians'"
                )
            )
        }
        policy = connection.execute(text("SELECT loan_period_days, max_loans, fine_cap FROM policies")).one()
    assert {"books.create", "users.manage", "policies.manage", "reports.view"} <= codes
    assert librarians == codes - {"users.manage", "groups.manage", "policies.manage"}
    assert (policy.loan_period_days, policy.max_loans, str(policy.fine_cap)) == (14, 3, "10.00")


def test_migrating_again_is_a_no_op(engine):
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM policies")).scalar() == 1


def test_a_database_never_migrated_has_no_revision(engine):
    # A fresh database on the same server: no alembic_version table yet.
    with engine.connect() as connection:
        connection.execute(text("CREATE SCHEMA never_migrated"))
        connection.execute(text("SET search_path TO never_migrated"))
        try:
            assert migrate.current_revision(connection) is None
        finally:
            connection.rollback()
