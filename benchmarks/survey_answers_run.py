"""What the survey-answers benchmark runs: child processes, the concurrent senders, CPU accounting."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"


@dataclass
class Run:
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    over_one_second: int = 0  # answered after more than 1 s: Telegram may have given up and re-sent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(args: Sequence[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        )


async def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()


async def wait_up(
    client: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{log.name} exited; see {log}")
        try:
            async with client.get(url) as response:
                if response.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


async def send_all(
    client: aiohttp.ClientSession, url: str, streams: list[list[bytes]], rate: float | None = None
) -> Run:
    """Each stream is sent in order by its own sender; all senders run at once. Without `rate` each
    sender sends its next request when the last one is answered (saturation); with `rate` the senders
    together start `rate` requests a second, and latency counts from when a request was due, so a
    server that falls behind is not flattered (no coordinated omission)."""
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    latencies: list[float] = []
    errors = 0
    senders = len(streams)
    began = time.perf_counter()

    async def sender(number: int, bodies: list[bytes]) -> None:
        nonlocal errors
        for index, body in enumerate(bodies):
            started = time.perf_counter()
            if rate is not None:
                started = began + (index * senders + number) / rate
                await asyncio.sleep(max(0.0, started - time.perf_counter()))
            async with client.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(sender(number, stream) for number, stream in enumerate(streams)))
    seconds = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return Run(
        len(latencies),
        round(seconds, 2),
        round(len(latencies) / seconds, 1),
        round(cuts[49] * 1000, 1),
        round(cuts[98] * 1000, 1),
        errors,
        sum(latency > 1.0 for latency in latencies),
    )


def streams_of(rounds: list[list[dict[str, Any]]], senders: int) -> list[list[bytes]]:
    """Sender k presses for persons k, k + senders, ...: question by question, person by person."""
    streams: list[list[bytes]] = [[] for _ in range(senders)]
    for updates in rounds:
        for n, update in enumerate(updates):
            streams[n % senders].append(json.dumps(update).encode())
    return streams


def load_average() -> str:
    with open("/proc/loadavg") as handle:
        return handle.read().split()[0]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_by_process(app: int, fake: int) -> dict[str, float]:
    """CPU seconds used so far by the app, the fake Bot API, PostgreSQL (every server process) and us."""
    postgres = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    postgres += _cpu_seconds(int(entry.name))
            except OSError:
                continue
    return {
        "app": _cpu_seconds(app),
        "fake_bot_api": _cpu_seconds(fake),
        "postgres": postgres,
        "load_generator": _cpu_seconds(os.getpid()),
    }
