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
