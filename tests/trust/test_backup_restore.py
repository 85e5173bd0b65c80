"""`make backup` / `make restore`: a backup restored into an empty database holds every row
of every table."""

import sqlite3
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from tests.summary.factories import build_march_2026


def _tables():
    return sorted(t for t in connection.introspection.table_names() if t != "sqlite_sequence")


def _rows(cursor, tables, quote):
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - our table names
        counts[table] = cursor.fetchone()[0]
    return counts


def _our_rows():
    with connection.cursor() as cursor:
        return _rows(cursor, _tables(), connection.ops.quote_name)


@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores_every_row_into_an_empty_database(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backup")
    build_march_2026()
    expected = _our_rows()
    assert sum(expected.values()) > 100
    backup = tmp_path / "gongjian.dump"
    call_command("backup", output=str(backup), no_media=True)

    empty = tmp_path / "restored.sqlite3"
    from core.backups import restore

    restore(backup, database=str(empty))
    restored = sqlite3.connect(empty)
    try:
        counts = _rows(restored.cursor(), expected, lambda t: f'"{t}"')
    finally:
        restored.close()
    assert counts == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgres_backup_restores_every_row_into_an_empty_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    import psycopg2

    build_march_2026()
    expected = _our_rows()
    assert sum(expected.values()) > 100
    backup = tmp_path / "gongjian.dump"
    call_command("backup", output=str(backup), no_media=True)
    assert backup.stat().st_size > 0

    settings_dict = connection.settings_dict
    empty = f"{settings_dict['NAME']}_restore"
    params = {
        k: v
        for k, v in {
            "host": settings_dict.get("HOST"),
            "port": settings_dict.get("PORT"),
            "user": settings_dict.get("USER"),
            "password": settings_dict.get("PASSWORD"),
        }.items()
        if v
    }
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{empty}"')
        cursor.execute(f'CREATE DATABASE "{empty}"')
    try:
        from core.backups import restore

        restore(backup, database=empty)
        restored = psycopg2.connect(dbname=empty, **params)
        try:
            counts = _rows(restored.cursor(), expected, lambda t: f'"{t}"')
        finally:
            restored.close()
        assert counts == expected
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{empty}"')
        admin.close()


def test_make_knows_backup_and_restore():
    result = subprocess.run(["make", "help"], capture_output=True, text=True, check=False)
    assert "make backup" in result.stdout and "make restore" in result.stdout
