"""First-day set-up mistakes: one line saying what is wrong and what to do, status 2, no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e import forked
from tests.e2e.service import free_port

pytestmark = pytest.mark.slow


def _civicbot(cwd: Path, database_url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return forked.run(args, env, cwd)  # `python -m bot.cli`, without a new interpreter's imports


def test_postgresql_not_running(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/civicbot"
    done = _civicbot(tmp_path, url, "audience", "count", "--municipality", "marneuli")
    assert done.returncode == 2, done.stderr
    assert "cannot reach the database at postgresql+asyncpg://postgres@127.0.0.1" in done.stderr
    assert "is PostgreSQL running" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_database_that_was_never_created(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/civicbot_never_created_x9"
    done = _civicbot(tmp_path, url, "serve")
    assert done.returncode == 2, done.stderr
    assert "does not exist" in done.stderr and "createdb civicbot_never_created_x9" in done.stderr
    assert "Traceback" not in done.stderr


def test_running_from_another_folder_without_a_schema(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "var").mkdir(parents=True)
    (elsewhere / "var" / "civicbot.sqlite3").touch()  # an empty file, as a stray run leaves behind
    done = _civicbot(elsewhere, None, "serve")
    assert done.returncode == 2, done.stderr
    assert "has no civicbot schema yet: run `civicbot db upgrade`" in done.stderr
    assert "relative to the current folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/civicbot"
    done = _civicbot(tmp_path, url, "--debug", "audience", "count", "--municipality", "marneuli")
    assert done.returncode != 0
    assert "Traceback" in done.stderr or "Error" in done.stderr
