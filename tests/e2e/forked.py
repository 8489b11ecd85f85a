"""`python -m bot.cli …` without paying for a new interpreter's imports each time.

A fresh interpreter spends most of a `civicbot serve` start importing third-party packages (aiogram's Bot
API types alone take seconds of CPU), and the end-to-end, browser and set-up tests start dozens of them.
Here each command runs in a child forked from one server process per test process (multiprocessing's
forkserver) that has imported those packages and nothing else: the child sets its environment, folder,
argv and output, then imports the project's own modules and runs `bot.cli` as `__main__`, as `python -m`
does. Children never share state: each is forked from the untouched server.

`CIVICBOT_TEST_FORK=0` starts real interpreters instead (`subprocess`), to rule this out when debugging.
This module imports only the standard library: the child imports it before its environment is set.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import runpy
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path

# The heavy third-party modules `civicbot serve` and the CLI import (from `python -X importtime`); a module
# missing here is only imported by the child. Never a project module: those read the child's environment.
PRELOAD = [
    "PIL.features",
    "aiogram",
    "aiogram.client.bot",
    "aiogram.client.session.aiohttp",
    "aiogram.fsm.storage.redis",
    "aiohttp",
    "aiohttp_retry",
    "aiosqlite",
    "apscheduler",
    "asyncpg",
    "babel.dates",
    "babel.messages",
    "babel.numbers",
    "charset_normalizer",
    "cryptography.fernet",
    "cryptography.hazmat",
    "fastapi",
    "fastapi.staticfiles",
    "httpx",
    "icalendar",
    "jinja2",
    "matplotlib.backends.backend_agg",
    "matplotlib.pyplot",
    "numpy",
    "openpyxl",
    "phonenumbers",
    "prometheus_client",
    "pydantic",
    "pydantic.v1",
    "pydantic_settings",
    "pyxform",
    "pyxform.xls2xform",
    "redis.asyncio",
    "requests",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "twilio.http.async_http_client",
    "twilio.request_validator",
    "twilio.rest",
    "typer",
    "tzlocal",
    "urllib3",
    "uvicorn",
    "uvicorn.main",
    "yaml",
]
_ENABLED = os.environ.get("CIVICBOT_TEST_FORK", "1") != "0"
_context_lock = threading.Lock()


class Forked:
    """A running `python -m bot.cli …` child, with the part of `subprocess.Popen` the tests use."""

    def __init__(self, process: BaseProcess, args: Sequence[str]) -> None:
        self._process = process
        self._lock = threading.Lock()  # the exit code is read from a pipe once: one reader at a time
        self.args = list(args)

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def poll(self) -> int | None:
        with self._lock:
            return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        multiprocessing.connection.wait([self._process.sentinel], timeout)
        code = self.poll()
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


Process = Forked | subprocess.Popen[bytes]


def start(args: Sequence[str], env: Mapping[str, str], cwd: Path, output: Path) -> Process:
    """Start `python -m bot.cli *args` in `cwd` with exactly `env`, stdout and stderr appended to `output`."""
    if not _ENABLED:
        with output.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=dict(env), stdout=log, stderr=log
            )
    process = _context().Process(
        target=_run_cli, args=(list(args), dict(env), str(cwd), str(output), str(output)), daemon=True
    )
    process.start()
    return Forked(process, args)


def run(
    args: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot.cli *args` to its end, like `subprocess.run(…, capture_output=True, text=True)`."""
    if not _ENABLED:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    name = uuid.uuid4().hex[:12]
    out, err = Path(cwd) / f".cli-{name}.out", Path(cwd) / f".cli-{name}.err"
    process = _context().Process(
        target=_run_cli, args=(list(args), dict(env), str(cwd), str(out), str(err)), daemon=True
    )
    process.start()
    forked = Forked(process, args)
    try:
        code = forked.wait(timeout)
    except subprocess.TimeoutExpired:
        forked.kill()
        raise
    try:
        return subprocess.CompletedProcess(
            args, code, out.read_text(errors="replace"), err.read_text(errors="replace")
        )
    finally:
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)


def _context() -> multiprocessing.context.ForkServerContext:
    with _context_lock:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context


def _run_cli(args: list[str], env: dict[str, str], cwd: str, stdout: str, stderr: str) -> None:
    """In the child: what `python -m bot.cli *args` would be, started in `cwd` with `env`."""
    for fd, path in ((1, stdout), (2, stderr)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["-m", *args]
    runpy.run_module("bot.cli", run_name="__main__", alter_sys=True)
