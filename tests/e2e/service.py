"""Run the real `civicbot serve` in a process of its own against fake providers, as a user's machine would
(forked from an interpreter that has its third-party packages imported: `tests/e2e/forked.py`)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.databases import TEMPLATES
from tests.e2e import forked

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningService:
    process: forked.Process
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


async def prepare_database(url: str) -> None:
    """Migrate and seed the database at `url`: a copy of the session's template when it is a new one."""
    await TEMPLATES.prepare(url)


@asynccontextmanager
async def civicbot_serve(
    env: Mapping[str, str], workdir: Path, *, startup_timeout: float = 300.0, port: int | None = None
) -> AsyncIterator[RunningService]:
    """Start `civicbot serve`, wait for /healthz, stop it with SIGTERM (and check it stopped cleanly).

    The wait ends when the service answers or exits; `startup_timeout` only guards against a hang, so
    a start-up slowed down by a busy machine is not a failure."""
    port = port or free_port()
    log_path = workdir / "civicbot.log"
    full_env = {
        **os.environ,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "STATE_DIR": str(workdir / "state"),
        "LOG_LEVEL": "INFO",
        **env,
    }
    log_path.write_bytes(b"")
    process = forked.start(["serve"], full_env, workdir, log_path)
    service = RunningService(process, f"http://127.0.0.1:{port}", log_path)
    try:
        await _wait_healthy(service, startup_timeout)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.to_thread(process.wait, 20)
            except subprocess.TimeoutExpired:
                process.kill()
                raise AssertionError("civicbot did not stop on SIGTERM:\n" + service.log()) from None
            # uvicorn finishes its graceful shutdown, then re-raises SIGTERM so the exit shows the signal.
            assert code in (0, -signal.SIGTERM), f"civicbot exited with {code} on SIGTERM:\n" + service.log()
            assert "Application shutdown complete" in service.log(), service.log()


async def _wait_healthy(service: RunningService, timeout: float) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            if service.process.poll() is not None:
                raise AssertionError("civicbot exited at start-up:\n" + service.log())
            try:
                response = await client.get(service.base_url + "/healthz", timeout=2)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("civicbot never became healthy:\n" + service.log())
            await asyncio.sleep(0.05)
