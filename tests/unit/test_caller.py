import pytest

from library_common.caller import Caller
from library_common.errors import Forbidden, Unauthorized


def test_a_member_lists_only_their_own_records():
    member = Caller(user_id=5, role="member")
    assert member.listing_scope(None, "loans.view_all", "loans") == 5
    assert member.listing_scope(5, "loans.view_all", "loans") == 5
    with pytest.raises(Forbidden, match="Only your own loans"):
        member.listing_scope(6, "loans.view_all", "loans")


def test_staff_with_the_permission_list_anyone_or_everyone():
    staff = Caller(user_id=1, role="librarian", permissions=frozenset({"loans.view_all"}))
    assert staff.listing_scope(None, "loans.view_all", "loans") is None
    assert staff.listing_scope(6, "loans.view_all", "loans") == 6


def test_anonymous_callers_list_nothing():
    with pytest.raises(Unauthorized):
        Caller().listing_scope(None, "loans.view_all", "loans")
