"""Browser tests: the distribution's Chromium driven by Playwright, against a real `civicbot serve`.

One server per test module (`web_server`), one fresh browser context per test (`page`), so cookies never
leak between tests. Chromium comes from Debian (`scripts/ensure-chromium.sh`, run by `make test`);
Playwright is never allowed to download a browser. `assert_accessible(page)` runs axe-core (bundled
with axe-playwright-python, offline) and fails on any serious or critical violation.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import create_engine, session_factory, unit_of_work
from tests.e2e import forked
from tests.e2e.service import free_port, prepare_database
from tests.fakes.telegram_api import FakeTelegram

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
T = TypeVar("T")
TELEGRAM_TOKEN = "123456789:AAE_test-token_abcdefghijklmnopqrstuv"


@dataclass
class WebServer:
    """A running `civicbot serve` with its own SQLite database."""

    base_url: str
    database_url: str
    workdir: Path
    process: forked.Process

    def log(self) -> str:
        return (self.workdir / "civicbot.log").read_text(errors="replace")

    def db(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one committed transaction on the server's database (set-up and checks)."""

        async def _run() -> T:
            engine = create_engine(self.database_url)
            try:
                async with unit_of_work(session_factory(engine)) as session:
                    return await work(session)
            finally:
                await engine.dispose()

        return run_async(_run)


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion in a worker thread: Playwright's sync API owns this thread's loop."""

    async def _main() -> T:
        return await work()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _main()).result()


def start_server(workdir: Path, env: dict[str, str] | None = None, timeout: float = 90.0) -> WebServer:
    """Migrate and seed a fresh SQLite database, start `civicbot serve`, wait until /healthz answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite+aiosqlite:///{workdir / 'civicbot.sqlite3'}"
    run_async(lambda: prepare_database(database_url))
    port = free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "STATE_DIR": str(workdir / "state"),
        "LOG_LEVEL": "INFO",
        **(env or {}),
    }
    for name in ("TELEGRAM_BOT_TOKEN", "TWILIO_ACCOUNT_SID", "PUBLIC_BASE_URL"):
        if env is None or name not in env:
            full_env.pop(name, None)
    (workdir / "civicbot.log").write_bytes(b"")
    process = forked.start(["serve"], full_env, workdir, workdir / "civicbot.log")
    server = WebServer(f"http://127.0.0.1:{port}", database_url, workdir, process)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError("civicbot exited at start-up:\n" + server.log())
        try:
            if httpx.get(server.base_url + "/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise AssertionError("civicbot never became healthy:\n" + server.log())
        time.sleep(0.1)


def stop_server(server: WebServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(5)


class ThreadedTelegram:
    """The fake Bot API on its own event loop in a thread (Playwright's sync API owns the main one)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-telegram", daemon=True)
        self.fake = FakeTelegram(TELEGRAM_TOKEN)

    def run(self, coro: Awaitable[T], timeout: float = 60.0) -> T:
        async def _main() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(_main(), self.loop).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a plain method of the fake (send_text, register_user, messages) on its loop."""

        async def _call() -> T:
            return fn(*args, **kwargs)

        return self.run(_call())

    def start(self) -> None:
        self.thread.start()
        self.run(self.fake.start())

    def stop(self) -> None:
        self.run(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def telegram() -> Iterator[ThreadedTelegram]:
    threaded = ThreadedTelegram()
    threaded.start()
    try:
        yield threaded
    finally:
        threaded.stop()


@pytest.fixture(scope="module")
def web_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """One server per module. A module with `WITH_TELEGRAM = True` gets the fake Bot API (`telegram`)
    connected, messages sent without quiet hours, and a scheduler that picks up new campaigns at once."""
    env: dict[str, str] = {}
    if getattr(request.module, "WITH_TELEGRAM", False):
        fake: ThreadedTelegram = request.getfixturevalue("telegram")
        env = {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_BASE": fake.fake.base_url,
            "SCHEDULER_RESYNC_SECONDS": "1",
            "QUIET_HOURS": "00:00-00:00",
        }
    server = start_server(tmp_path_factory.mktemp("web"), env or None)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module: Playwright's sync API holds the thread's event loop while it runs, so it
    is stopped before other modules' async tests."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `bash scripts/ensure-chromium.sh` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, web_server: WebServer) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies), based at the module's server."""
    context = browser.new_context(base_url=web_server.base_url, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"


def screenshot(page: Any, name: str) -> None:
    """Keep docs/console/<name>.png (referenced from the README) in step with the pages.

    Only with CIVICBOT_SCREENSHOTS=1: an ordinary test run must not rewrite tracked files.
    """
    if os.environ.get("CIVICBOT_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_accessible(page: Any) -> None:
    """axe-core on the current page: zero serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}:\n" + "\n".join(bad)
