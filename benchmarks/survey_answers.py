"""Survey answers through the Telegram webhook: how many are stored per second, and how fast each is answered.

    python -m benchmarks.survey_answers [--backend sqlite|postgres|both] [--people 1000] [--questions 20]
                                        [--senders 100]

For each database: a fresh database with `people` signed-up Telegram users and an open survey of
`questions` single-choice questions; the fake Bot API in its own process (`python -m
tests.fakes.telegram_api`, flood limits raised so they never bind); the real HTTP app (`bot.app.
create_http_app`, webhook mode, secret token) in its own process, with one extra route `/bench/noop`
added to this benchmark's instance only. Every person first starts the survey (not measured), then
`senders` concurrent senders POST real callback-query updates, each sender pressing the buttons of its
own people in order (a person's answers arrive one after the other, as from a phone). The same requests
against `/bench/noop` give the ceiling of the HTTP stack on this machine. Every answer must be stored
exactly once: the benchmark counts the rows and the distinct (response, question) pairs.

Answers stored per second run from the first request until the last answer is in the database: civicbot's
webhook spools an update the database has not taken in time and answers Telegram at once (handling goes
on), so answered requests alone would flatter it. Also reported: webhook answers slower than 1 s (Telegram
may re-send those), updates spooled, and CPU per answer of each process. `--profile DIR` samples the app
with py-spy (on PATH) while the answers run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

from benchmarks.survey_answers_data import (
    FIRST_USER_ID,
    Person,
    Updates,
    answer_rounds,
    drop_database,
    new_database,
    prepare,
    responses_by_user,
    stored,
    wait_stored,
)
from benchmarks.survey_answers_run import (
    ROOT,
    SECRET,
    Run,
    cpu_seconds_by_process,
    free_port,
    load_average,
    send_all,
    spawn,
    stop,
    streams_of,
    wait_up,
)
from handlers.telegram.webhook import WebhookCredentials
from storage.models.surveys import SurveyResponse

TOKEN = "123456789:AAFakeCivicbotTokenForLocalTests0000"
UNLIMITED = "1000000"


@dataclass
class Result:
    backend: str
    bot: str
    answers: Run
    noop: Run
    stored: int
    distinct: int
    completed: int
    bot_api_calls: dict[str, int]
    cpu_ms_per_answer: dict[str, float]
    load_average: str
    stored_per_second: float  # from the first request until the last answer was stored
    spooled: int  # answers civicbot's webhook answered before handling them (spooled)

    @property
    def share_of_ceiling(self) -> float:
        return self.answers.per_second / self.noop.per_second


async def run_backend(
    backend: str,
    people: int,
    questions: int,
    senders: int,
    workdir: Path,
    rate: float | None = None,
    bot: str = "civicbot",
    profile: Path | None = None,
    spool_after_ms: int | None = None,
) -> Result:
    url = await new_database(backend, workdir)
    fake_port, app_port = free_port(), free_port()
    fake_url, app_url = f"http://127.0.0.1:{fake_port}", f"http://127.0.0.1:{app_port}"
    fake = app = None
    try:
        survey_id = await prepare(url, people, questions)
        fake_log, app_log = workdir / f"fake-{backend}-{bot}.log", workdir / f"app-{backend}-{bot}.log"
        fake = spawn(
            [
                "-m",
                "tests.fakes.telegram_api",
                "--port",
                str(fake_port),
                "--token",
                TOKEN,
                "--global-limit",
                UNLIMITED,
                "--per-chat-limit",
                UNLIMITED,
                "--per-chat-burst",
                UNLIMITED,
                "--paid-limit",
                UNLIMITED,
            ],
            fake_log,
            {},
        )
        app = spawn(
            ["-m", "benchmarks.peer_bot" if bot == "peer" else "benchmarks.survey_answers", "serve-app"],
            app_log,
            {
                "DATABASE_URL": url,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE": fake_url,
                "TELEGRAM_WEBHOOK_URL": f"{app_url}/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "HTTP_HOST": "127.0.0.1",
                "HTTP_PORT": str(app_port),
                "STATE_DIR": str(workdir / "state"),
                "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
                "QUESTIONS": str(questions),
                # The fake's limits are raised for this benchmark and the peer paces nothing: civicbot's
                # replies share the channel's pacer, so give it the same raised limits (and no flood limit).
                "TELEGRAM_RATE_PER_SECOND": "100000",
                "TELEGRAM_PER_CHAT_PER_SECOND": "1000",
                "TELEGRAM_INBOUND_PER_MINUTE": "1000000",
                **({"INBOUND_SPOOL_AFTER_MS": str(spool_after_ms)} if spool_after_ms else {}),
            },
        )
        connector = aiohttp.TCPConnector(limit=senders)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=60)
        ) as client:
            await wait_up(client, f"{fake_url}/_control/stats", fake, fake_log)
            users = [
                {"id": FIRST_USER_ID + n, "first_name": "Nino", "language_code": "en"} for n in range(people)
            ]
            await client.post(f"{fake_url}/_control/users", json={"users": users})
            await wait_up(client, f"{app_url}/healthz", app, app_log)
            hook = f"{app_url}/telegram/webhook"
            if bot == "civicbot":  # civicbot's webhook path carries a key derived from the token
                hook += "/" + WebhookCredentials.for_bot(TOKEN, SECRET).path_key
            updates = Updates()
            starts = [[updates.press(FIRST_USER_ID + n, 1, f"sv:{survey_id}:go")] for n in range(people)]
            await send_all(client, hook, streams_of(starts, senders))
            await wait_stored(url, people, table=SurveyResponse)
            by_user = await responses_by_user(url)
            persons = [Person(FIRST_USER_ID + n, by_user[FIRST_USER_ID + n]) for n in range(people)]
            streams = streams_of(list(answer_rounds(persons, questions, updates)), senders)
            noop_cpu = cpu_seconds_by_process(app.pid, fake.pid)["app"]
            noop = await send_all(client, f"{app_url}/bench/noop", streams)
            noop_cpu = cpu_seconds_by_process(app.pid, fake.pid)["app"] - noop_cpu
            before = await (await client.get(f"{fake_url}/_control/stats")).json()
            spooled = await spooled_updates(client, f"{app_url}/metrics") if bot == "civicbot" else 0
            load = load_average()
            cpu_before = cpu_seconds_by_process(app.pid, fake.pid)
            sampler = profile_app(app.pid, profile, f"{backend}-{bot}") if profile else None
            began = time.perf_counter()
            answers = await send_all(client, hook, streams, rate)
            finished, _ = await wait_stored(url, people * questions)
            if sampler is not None:  # py-spy writes its output on SIGINT
                sampler.send_signal(signal.SIGINT)
                await asyncio.to_thread(sampler.wait, 60)
            cpu = {
                k: round((v - cpu_before[k]) * 1000 / answers.requests, 2)
                for k, v in cpu_seconds_by_process(app.pid, fake.pid).items()
            }
            cpu["app_for_a_noop_request"] = round(noop_cpu * 1000 / noop.requests, 2)
            after = await (await client.get(f"{fake_url}/_control/stats")).json()
            if bot == "civicbot":
                spooled = await spooled_updates(client, f"{app_url}/metrics") - spooled
        calls = {k: v - before["methods"].get(k, 0) for k, v in after["methods"].items()}
        await stop(app)  # an update answered late finishes first: the count below sees all of them
        app = None
        count, distinct, completed = await stored(url)
        load += " -> " + load_average()
        return Result(
            backend,
            bot,
            answers,
            noop,
            count,
            distinct,
            completed,
            {k: v for k, v in calls.items() if v},
            cpu,
            load,
            round(people * questions / (finished - began), 1),
            spooled,
        )
    finally:
        for process in (app, fake):
            if process is not None:
                await stop(process)
        await drop_database(url)


async def spooled_updates(client: aiohttp.ClientSession, metrics: str) -> int:
    """civicbot's count of inbound events spooled because they were not handled within the budget."""
    async with client.get(metrics) as response:
        text = await response.text()
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in text.splitlines()
        if line.startswith('civicbot_inbound_spooled_total{channel="telegram"}')
    )


def profile_app(pid: int, directory: Path, name: str) -> subprocess.Popen[bytes]:
    """py-spy (on PATH; not a dependency) samples the app process while the answers run: collapsed
    stacks, one line per stack with its sample count, for `flamegraph.pl` or a quick `sort -k2`.
    `--gil` keeps only samples holding the GIL, i.e. the app's own CPU, not the event loop waiting."""
    directory.mkdir(parents=True, exist_ok=True)
    command = ["py-spy", "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--gil"]
    return subprocess.Popen(
        [*command, "--nonblocking", "--output", str(directory / f"{name}.txt")],
        stdout=subprocess.DEVNULL,
        stderr=(directory / f"{name}.log").open("wb"),
    )


def serve_app() -> None:
    """The real HTTP app in webhook mode, plus a no-op route for the ceiling (this instance only)."""
    import uvicorn
    from fastapi import Response

    from bot.app import create_http_app
    from bot.logging import configure_logging
    from bot.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, [TOKEN, SECRET])
    app = create_http_app(settings)

    @app.post("/bench/noop", include_in_schema=False)
    async def noop() -> Response:
        return Response(status_code=200)

    uvicorn.run(
        app,
        host=settings.http.http_host,
        port=settings.http.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
    )


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line
    )
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory_gb": f"{int(memory) / 2**20:.0f}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }


def report(
    results: list[Result],
    people: int,
    questions: int,
    senders: int,
    rate: float | None,
    spool_after_ms: int | None = None,
) -> str:
    pace = f"paced at {rate:g} answers/s" if rate else "each sending when answered"
    if spool_after_ms:
        pace += f"; civicbot spools after {spool_after_ms} ms"
    lines = [
        f"{people * questions} answers from {people} people, {senders} concurrent senders ({pace}); machine: "
        + ", ".join(f"{k} {v}" for k, v in machine().items()),
        "",
        "| database | bot | answers stored/s | webhook answers/s | p50 ms | p99 ms | answered after 1 s "
        "| spooled | no-op req/s | no-op p50 / p99 ms | stored (distinct) | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.bot} | {r.stored_per_second:.0f} | {r.answers.per_second:.0f} "
            f"| {r.answers.p50_ms} | {r.answers.p99_ms} | {r.answers.over_one_second} | {r.spooled} "
            f"| {r.noop.per_second:.0f} | {r.noop.p50_ms} / {r.noop.p99_ms} "
            f"| {r.stored} ({r.distinct}) | {r.answers.errors} |"
        )
    lines.append("")
    for r in results:
        busy = r.cpu_ms_per_answer["app"] * r.stored_per_second / 1000
        lines.append(
            f"{r.backend} {r.bot}: Bot API calls {r.bot_api_calls}; CPU ms per answer {r.cpu_ms_per_answer} "
            f"(the app process busy {busy:.0%} of one core); load average {r.load_average}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve-app"]:
        serve_app()
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks.survey_answers")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--rate", type=float, help="answers a second in all (default: as fast as answered)")
    parser.add_argument("--bot", choices=["civicbot", "peer", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the bots this many times")
    parser.add_argument("--profile", type=Path, help="sample the app with py-spy into this folder")
    parser.add_argument(
        "--spool-after-ms",
        type=int,
        help="civicbot's INBOUND_SPOOL_AFTER_MS (default: the service's, 500): how long its webhook waits "
        "for an update to be handled before spooling it and answering",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "out" / "survey_answers.json")
    options = parser.parse_args(args)
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    bots = ["civicbot", "peer"] if options.bot == "both" else [options.bot]
    results = []
    for _, backend, bot in itertools.product(range(options.rounds), backends, bots):
        with tempfile.TemporaryDirectory(prefix="civicbot-bench-") as workdir:
            result = asyncio.run(
                run_backend(
                    backend,
                    options.people,
                    options.questions,
                    options.senders,
                    Path(workdir),
                    options.rate,
                    bot,
                    options.profile,
                    options.spool_after_ms,
                )
            )
        expected = options.people * options.questions
        lost = (result.stored, result.distinct, result.completed) != (expected, expected, options.people)
        if lost and bot == "peer":  # the peer makes no such promise: its losses are part of its result
            print(f"{backend} peer: stored {result.stored} of {expected} answers", flush=True)
        elif lost:
            raise SystemExit(
                f"{backend} {bot}: stored {result.stored} answers ({result.distinct} distinct, "
                f"{result.completed} completed); expected {expected} exactly once"
            )
        results.append(result)
        line = report(
            [result], options.people, options.questions, options.senders, options.rate, options.spool_after_ms
        )
        print(line, flush=True)
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(
        json.dumps(
            {
                "machine": machine(),
                "results": [asdict(r) | {"share_of_ceiling": r.share_of_ceiling} for r in results],
            },
            indent=2,
        )
    )
    print(
        report(
            results, options.people, options.questions, options.senders, options.rate, options.spool_after_ms
        )
    )


if __name__ == "__main__":
    main()
