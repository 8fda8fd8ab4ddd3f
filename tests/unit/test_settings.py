from pathlib import Path

import pytest

from library_common.settings import SettingsError, load_settings


def test_local_settings_take_a_database_url_and_use_pg8000():
    settings = load_settings({"DATABASE_URL": "postgresql://u:p@db:5432/lib", "LIBRARY_DATA_DIR": "/srv/lib"})
    assert settings.database_url == "postgresql+pg8000://u:p@db:5432/lib"
    assert settings.data_dir == Path("/srv/lib")
    assert settings.access_token_ttl_seconds == 900


def test_aws_settings_take_the_rds_pieces_and_sam_empty_strings_mean_unset():
    settings = load_settings(
        {
            "DB_SECRET_ARN": "arn:secret",
            "DB_HOST": "db.rds",
            "DB_PORT": "6432",
            "AUTO_ACTIVATE_MEMBERS": "true",
            "JWT_PUBLIC_KEYS": "",
        }
    )
    assert (settings.db_host, settings.db_port, settings.auto_activate_members) == ("db.rds", 6432, True)
    assert settings.jwt_public_keys is None


@pytest.mark.parametrize(
    "environ, complaint",
    [
        ({}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://x/y", "DB_PORT": "five"}, "DB_PORT"),
        ({"DATABASE_URL": "postgresql://x/y", "AUTO_ACTIVATE_MEMBERS": "maybe"}, "AUTO_ACTIVATE_MEMBERS"),
        ({"DATABASE_URL": "postgresql://x/y", "ACCESS_TOKEN_TTL_SECONDS": "5"}, "ACCESS_TOKEN_TTL_SECONDS"),
        ({"DATABASE_URL": "postgresql://x/y", "ADMIN_EMAIL": "admin"}, "ADMIN_EMAIL"),
        ({"DATABASE_URL": "postgresql://x/y", "DUE_SOON_DAYS": "0"}, "DUE_SOON_DAYS"),
        ({"DATABASE_URL": "postgresql://x/y", "DB_TIMEOUT_SECONDS": "0"}, "DB_TIMEOUT_SECONDS"),
        ({"DATABASE_URL": "postgresql://x/y", "DUE_SOON_DAYS": "a week"}, "DUE_SOON_DAYS"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_TIME_ZONE": "Mars/Olympus_Mons"}, "LIBRARY_TIME_ZONE"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_TIME_ZONE": "+02:00"}, "LIBRARY_TIME_ZONE"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_TIME_ZONE": "UTC'; DROP"}, "LIBRARY_TIME_ZONE"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_CURRENCY": "usd"}, "LIBRARY_CURRENCY must be an ISO 4217"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_CURRENCY": "EURO"}, "LIBRARY_CURRENCY"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_CURRENCY": "XYZ"}, "not 'XYZ'"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_CURRENCY": "US$"}, "LIBRARY_CURRENCY"),
        ({"DATABASE_URL": "postgresql://x/y", "LIBRARY_CURRENCY": "XAU"}, "LIBRARY_CURRENCY"),
    ],
)
def test_a_bad_environment_fails_at_cold_start_with_the_variable_named(environ, complaint):
    with pytest.raises(SettingsError, match=complaint):
        load_settings(environ)


def test_the_librarys_time_zone_is_utc_unless_set_to_an_iana_zone():
    assert load_settings({"DATABASE_URL": "postgresql://x/y"}).library_time_zone == "UTC"
    chosen = load_settings({"DATABASE_URL": "postgresql://x/y", "LIBRARY_TIME_ZONE": "America/Argentina/Buenos_Aires"})
    assert chosen.library_time_zone == "America/Argentina/Buenos_Aires"


def test_the_librarys_currency_is_usd_unless_set_to_an_iso_4217_code():
    assert load_settings({"DATABASE_URL": "postgresql://x/y"}).library_currency == "USD"
    assert load_settings({"DATABASE_URL": "postgresql://x/y", "LIBRARY_CURRENCY": ""}).library_currency == "USD"
    assert load_settings({"DATABASE_URL": "postgresql://x/y", "LIBRARY_CURRENCY": "EUR"}).library_currency == "EUR"


@pytest.mark.parametrize(
    "email, complaint",
    [
        ("admin", "ADMIN_EMAIL must be an email address"),
        # Every account's email has a dot after its @, as registering one requires.
        ("admin@localhost", "ADMIN_EMAIL must be an email address"),
        (" admin@library.example", "ADMIN_EMAIL must be an email address"),
        ("a" * 309 + "@example.org", "ADMIN_EMAIL must be at most 320 characters, not"),
        # 312 characters as given, 612 lower-cased ('İ' becomes two).
        ("İ" * 300 + "@example.org", "ADMIN_EMAIL must be at most 320 characters once in lower case"),
    ],
)
def test_a_first_admin_email_that_no_account_could_have_fails_naming_admin_email(email, complaint):
    with pytest.raises(SettingsError, match=complaint):
        load_settings({"DATABASE_URL": "postgresql://x/y", "ADMIN_EMAIL": email})


def test_the_first_admin_email_is_kept_in_lower_case_as_every_accounts_is():
    settings = load_settings({"DATABASE_URL": "postgresql://x/y", "ADMIN_EMAIL": "Head.Librarian@Library.Example"})
    assert settings.admin_email == "head.librarian@library.example"
    longest = "a" * 308 + "@example.org"
    assert load_settings({"DATABASE_URL": "postgresql://x/y", "ADMIN_EMAIL": longest}).admin_email == longest


def test_make_run_stops_at_a_bad_admin_email_before_starting_the_database(monkeypatch):
    from devtools import run

    def started(_data_dir):
        raise AssertionError("the database was started")

    monkeypatch.setattr(run.database, "server_url", started)
    monkeypatch.setenv("ADMIN_EMAIL", "admin@localhost")
    with pytest.raises(SettingsError, match="ADMIN_EMAIL must be an email address"):
        run.main()
