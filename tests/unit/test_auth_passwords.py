"""Password hashing parameters and the password rules of the auth function."""

import pytest

from library_auth.logic.accounts import check_password
from library_common import passwords
from library_common.errors import ValidationFailed


def test_hashes_use_argon2id_at_owasps_parameters():
    hashed = passwords.hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(hashed, "a long passphrase")
    assert not passwords.verify_password(hashed, "a long passphrasE")
    assert not passwords.verify_password("not a hash", "a long passphrase")


def test_the_dummy_hash_costs_what_a_real_one_costs():
    # Same parameters as real hashes (else unknown emails would answer faster), and it matches nothing typed.
    assert not passwords.needs_rehash(passwords.dummy_hash())
    assert not passwords.verify_password(passwords.dummy_hash(), "")


def test_hashes_at_other_parameters_need_rehashing():
    from argon2 import PasswordHasher

    assert passwords.needs_rehash(PasswordHasher().hash("a long passphrase"))


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        ("1234567", "x@example.org", "X"),
        ("ADA.LOVELACE!", "ada.lovelace@example.org", "Countess"),
        ("i am lovelace", "ada@example.org", "Ada Lovelace"),
        ("xx-Ada Lovelace-xx", "countess@example.org", "Ada Lovelace"),
    ],
)
def test_short_passwords_and_those_containing_the_email_or_name_are_refused(password, email, name):
    with pytest.raises(ValidationFailed) as refused:
        check_password(password, email=email, name=name)
    assert refused.value.code == "WEAK_PASSWORD" and refused.value.errors[0]["field"] == "password"


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        ("analytical engine", "ada@example.org", "Ada Lovelace"),
        # Pieces under three characters are too common to forbid.
        ("a long passphrase", "al@example.org", "Al Bo"),
    ],
)
def test_other_passwords_pass(password, email, name):
    check_password(password, email=email, name=name)
