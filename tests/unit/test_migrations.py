from sqlalchemy import text

from library_common import migrate


def test_the_schema_is_at_the_head_revision_with_reference_data(engine):
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()
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
