from library_common import db
from library_common.models import Permission


def test_audit_columns_are_filled_from_the_caller(users):
    staff = users.create("admin")
    token = db.current_actor.set(staff["id"])
    try:
        with db.transaction() as session:
            permission = Permission(code="reports.export", name="Export reports")
            session.add(permission)
            session.flush()
            created = (permission.created_by, permission.updated_by)
        with db.transaction() as session:
            permission = session.get(Permission, permission.id)
            permission.name = "Export every report"
    finally:
        db.current_actor.reset(token)
    with db.transaction() as session:
        stored = session.get(Permission, permission.id)
        assert created == (staff["id"], staff["id"])
        assert stored.updated_by == staff["id"] and stored.updated_on >= stored.created_on
