from sqlalchemy import text

from library_common import db
from library_common.models import Permission
from library_loans.app import lambda_handler as loans_handler
from tests.conftest import api_event
from tests.test_circulation_support import add_book, authorizer_for, body_of, make_overdue


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


def test_a_borrow_and_a_return_record_who_made_them(users, engine, lambda_context):
    """Their statements run without the ORM session (`db.writing()`), so they fill the audit columns themselves."""
    member, waiting, staff = users.create("member"), users.create("member"), users.create("admin")
    book_id = add_book(quantity=1)

    def call(name: str, who: dict, path: str | None = None, **changes) -> dict:
        event = api_event(f"loans/{name}.json", authorizer=authorizer_for(who, engine), **changes)
        return body_of(loans_handler(event | ({"path": path} if path else {}), lambda_context))["data"]

    loan_id = call("borrow", member, body={"book_id": book_id})["id"]
    call("place_hold", waiting, body={"book_id": book_id})
    make_overdue(engine, loan_id, 2)
    call("return_loan", staff, path_parameters={"loan_id": str(loan_id)}, path=f"/loans/{loan_id}/return")
    with engine.connect() as connection:
        loan = connection.execute(text("SELECT created_by, updated_by FROM loans WHERE id = :id"), {"id": loan_id})
        fine = connection.execute(text("SELECT created_by, updated_by FROM fines WHERE loan_id = :id"), {"id": loan_id})
        hold = connection.execute(text("SELECT status, updated_by FROM holds WHERE book_id = :id"), {"id": book_id})
        assert tuple(loan.one()) == (member["id"], staff["id"])
        assert tuple(fine.one()) == (staff["id"], staff["id"])
        assert tuple(hold.one()) == ("ready", staff["id"])
