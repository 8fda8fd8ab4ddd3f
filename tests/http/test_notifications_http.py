"""GET /notifications through the local API: behind the authorizer, a member's own notices."""

import pytest

from library_common import db, notices
from tests.http.client import call

pytestmark = pytest.mark.http


def test_notifications_need_a_token_and_show_the_callers_own(local_api, users):
    assert call(local_api, "GET", "/notifications").status == 401
    member, other = users.create("member"), users.create("member")
    with db.transaction() as session:
        for user in (member, other):
            notices.queue_notice(
                session,
                user_id=user["id"],
                kind="account_activated",
                subject=f"user:{user['id']}",
                context={},
            )
    reply = call(local_api, "GET", "/notifications?page_size=5", token=users.token(member))
    assert reply.status == 200
    (notice,) = reply.body["data"]["items"]
    assert (notice["kind"], notice["recipient"], notice["status"]) == ("account_activated", member["email"], "queued")
    assert notice["subject"] == "Your library account is active"
