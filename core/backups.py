"""Backing up and restoring the database, for operators (`make backup`, `make restore`).

- PostgreSQL: `pg_dump -Fc` (custom format, compressed) and `pg_restore --clean
  --if-exists --no-owner` into the configured database.
- SQLite: SQLite's online backup API (what the sqlite3 shell's `.backup` uses): a
  consistent copy even while the app writes.

MEDIA_ROOT (logos, scanned agreements) is files: copy it beside the backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


def _engine(alias: str) -> str:
    return connections[alias].settings_dict["ENGINE"]


def _pg_env(settings_dict: dict) -> tuple[list[str], dict]:
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def backup(path: Path, *, alias: str = "default") -> Path:
    """Write a backup of the database to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[alias]
    if "sqlite3" in _engine(alias):
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif "postgresql" in _engine(alias):
        settings_dict = connection.settings_dict
        args, env = _pg_env(settings_dict)
        subprocess.run(
            ["pg_dump", "-Fc", "--no-owner", *args, "--file", str(path), settings_dict["NAME"]],
            check=True,
            env=env,
        )
    else:
        raise NotImplementedError(_engine(alias))
    return path


def restore(path: Path, *, alias: str = "default", database: str | None = None) -> None:
    """Replace the database's content (or `database`'s, for PostgreSQL) with a backup."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    connection = connections[alias]
    if "sqlite3" in _engine(alias):
        name = database or str(connection.settings_dict["NAME"])
        if database is None:
            connection.close()
        source = sqlite3.connect(path)
        target = sqlite3.connect(name)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    elif "postgresql" in _engine(alias):
        settings_dict = connection.settings_dict
        args, env = _pg_env(settings_dict)
        if database is None:
            connection.close()
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                "--dbname",
                database or settings_dict["NAME"],
                str(path),
            ],
            check=True,
            env=env,
        )
    else:
        raise NotImplementedError(_engine(alias))


def copy_media(media_root: Path, target: Path) -> None:
    if Path(media_root).is_dir():
        shutil.copytree(media_root, target, dirs_exist_ok=True)
