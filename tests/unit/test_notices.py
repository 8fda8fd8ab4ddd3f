from sqlalchemy import select

from library_common import db, notices
from library_common.models import Notification


def test_a_notice_is_rendered_for_the_member_and_queued_once(users):
    member = users.create("member", name="Ada <Lovelace>")
    for _ in range(2):
        with db.transaction() as session:
            notices.queue_notice(
                session,
                user_id=member["id"],
                kind="borrow_receipt",
                subject="loan:1",
                context={"title": "Dune", "author": "Frank Herbert", "due_date": "2026-12-07"},
            )
    with db.transaction() as session:
        queued = session.scalars(select(Notification)).all()
    assert len(queued) == 1
    notice = queued[0]
    assert (notice.recipient, notice.status, notice.subject) == (member["email"], "queued", 'You borrowed "Dune"')
    assert "Hello Ada <Lovelace>," in notice.body_text and "2026-12-07" in notice.body_text
    assert "Ada &lt;Lovelace&gt;" in notice.body_html
