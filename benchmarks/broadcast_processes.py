"""The processes a broadcast benchmark runs: the fake Bot API, `civicbot serve`, and RSS sampling."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.e2e.service import free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (VmHWM), exact, not sampled."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float(psutil.Process(pid).memory_info().rss) / 2**20


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def spawn(args: Sequence[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path = ROOT) -> Child:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        )
    return Child(process, log)


async def stop(child: Child, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a plain deadline
    if child.process.poll() is None:
        child.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(child.process.wait, timeout)
        except subprocess.TimeoutExpired:
            child.process.kill()


async def wait_http(url: str, child: Child, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as client:
        while True:
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.log.name} exited:\n{child.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url, timeout=2)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} never answered:\n{child.tail()}")
            await asyncio.sleep(0.2)


class FakeTelegramProcess:
    """`python -m tests.fakes.telegram_api` and its `/_control/` API."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.child: Child | None = None
        self.client = httpx.AsyncClient(
            base_url=self.base_url, timeout=60, limits=httpx.Limits(max_connections=64)
        )

    async def start(self) -> None:
        args = ["-m", "tests.fakes.telegram_api", "--port", str(self.port), "--token", DEFAULT_TOKEN]
        self.child = spawn(args, self.workdir / "fake-telegram.log")
        await wait_http(self.base_url + "/_control/stats", self.child)

    async def close(self) -> None:
        await self.client.aclose()
        if self.child is not None:
            await stop(self.child)

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.client.request(method, "/_control/" + path, json=body)
        response.raise_for_status()
        return response.json()

    async def register(self, first_id: int, count: int, chunk: int = 5000) -> None:
        for start in range(first_id, first_id + count, chunk):
            end = min(first_id + count, start + chunk)
            users = [{"id": uid, "first_name": "Citizen"} for uid in range(start, end)]
            await self.control("POST", "users", {"users": users})

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.control("GET", "stats")
        return result

    async def per_chat_counts(self, first_id: int, count: int) -> list[int]:
        """How many messages each chat holds, asked chat by chat (64 requests at a time)."""
        gate = asyncio.Semaphore(64)

        async def one(uid: int) -> int:
            async with gate:
                return len((await self.control("GET", f"chats/{uid}/messages"))["messages"])

        return list(await asyncio.gather(*(one(uid) for uid in range(first_id, first_id + count))))


@contextlib.asynccontextmanager
async def civicbot_serve(env: Mapping[str, str], workdir: Path) -> AsyncIterator[tuple[Child, str]]:
    """The real service, as deployed: `python -m bot.cli serve`."""
    port = free_port()
    full = {
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "STATE_DIR": str(workdir / "state"),
        "LOG_LEVEL": "WARNING",
        **env,
    }
    child = spawn(["-m", "bot.cli", "serve"], workdir / "civicbot.log", full, cwd=workdir)  # no stray .env
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_http(base + "/healthz", child)
        yield child, base
    finally:
        await stop(child)
