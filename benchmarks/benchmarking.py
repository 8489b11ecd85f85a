"""`python -m benchmarks.benchmarking`: the participation index over 1,000,000 answers on PostgreSQL.

Builds the data of `benchmarks.benchmarking_data` in a fresh database (the answers first, then the two
periods, whose triggers count them into `answer_tallies`), then times computing every index (all four
municipalities, both periods, the whole default framework with its inclusion gaps), and records the time
of every statement of the last run so that `EXPLAIN ANALYZE` is shown for the heaviest one. As the floor
to compare with: one sequential scan of the answers. As the proof: the same index computed from every
answer (`from_answers=True`) must be equal, and the "aware of hearings" scores must match the
generator's own count. Last, what the tallies add to storing one answer: the same INSERT with the
trigger and without it. Results also go to benchmarks/out/benchmarking.json. Target: under 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event

from benchmarking.framework import Framework, Indicator, Source
from benchmarking.framework_yaml import default_framework
from benchmarking.index import MunicipalityIndex, compute_index
from benchmarks.benchmarking_data import SURVEYS, Generated, add_periods, add_plans, generate, pg_dsn, prepare
from benchmarks.benchmarking_hot_path import answer_cost
from benchmarks.survey_answers_data import drop_database, new_database
from storage.db import create_engine, session_factory

TARGET_S = 0.5
OUT = Path(__file__).resolve().parent / "out" / "benchmarking.json"


def both_surveys(framework: Framework) -> Framework:
    """The default framework, with the follow-up survey's code next to the baseline's."""

    def widen(item: Indicator) -> Indicator:
        return replace(item, surveys=SURVEYS) if item.source is Source.SURVEY else item

    dimensions = tuple(
        replace(d, indicators=tuple(widen(i) for i in d.indicators)) for d in framework.dimensions
    )
    return replace(framework, dimensions=dimensions)


def step(message: str, started: float) -> None:
    print(f"  {message} ({time.perf_counter() - started:.1f} s)", flush=True)


def shape(result: MunicipalityIndex) -> list[Any]:
    """What an index shows, rounded to 9 decimals (the tallies sum score × count, the answers one by one)."""
    rounded = [round(result.overall, 9) if result.overall is not None else None]
    for dimension in result.dimensions:
        rounded.append(round(dimension.score, 9) if dimension.score is not None else None)
        for item in dimension.indicators:
            score = round(item.score, 9) if item.score is not None else None
            rounded += [score, item.status.value, item.respondents]
    for gap in result.gaps:
        rounded += [None if v is None else round(v, 9) for v in (gap.minority, gap.others)] + [gap.hidden]
    return rounded


async def measure(url: str, runs: int) -> dict[str, Any]:
    framework = both_surveys(default_framework())
    engine = create_engine(url)
    sessions = session_factory(engine)
    # (seconds, SQL, parameters, the planner settings the index had set for it with set_config)
    statements: list[tuple[float, str, Any, dict[str, str]]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _stop(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        settings = conn.info.setdefault("settings", {})
        if "set_config(" in statement:  # benchmarking.figures: for the rest of the transaction
            settings[str(parameters[0])] = str(parameters[1])
        statements.append(
            (time.perf_counter() - conn.info.pop("started"), statement, parameters, dict(settings))
        )

    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _ended(conn: Any) -> None:
        conn.info.pop("settings", None)

    try:
        timings = []
        for _ in range(runs + 1):  # the first run warms the caches and is not counted
            statements.clear()
            async with sessions() as session:
                started = time.perf_counter()
                results = await compute_index(session, framework)
                timings.append(time.perf_counter() - started)
        last_run = sorted(statements, key=lambda s: s[0], reverse=True)
        async with sessions() as session:
            started = time.perf_counter()
            scanned = await compute_index(session, framework, from_answers=True)
            scan_s = time.perf_counter() - started
    finally:
        await engine.dispose()
    differ = [key for key in results if shape(results[key]) != shape(scanned[key])]
    heaviest_s, heaviest_sql, params, settings = last_run[0]
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        await conn.execute("SET plan_cache_mode = force_custom_plan")
        for name, value in settings.items():  # the plan the index got, not the one the defaults give
            await conn.execute("SELECT set_config($1, $2, false)", name, value)
        plan = [row[0] for row in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + heaviest_sql, *params)]
        scans = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            await conn.fetchval("SELECT count(declined) FROM survey_answers")
            scans.append(time.perf_counter() - started)
        answers = await conn.fetchval("SELECT count(*) FROM survey_answers")
        tallies = await conn.fetchval("SELECT count(*) FROM answer_tallies")
    finally:
        await conn.close()
    return {
        "timings": timings[1:],
        "statements": [(round(s * 1000, 1), sql.split()[:12]) for s, sql, *_ in last_run[:8]],
        "statement_count": len(last_run),
        "heaviest_s": heaviest_s,
        "plan": plan,
        "scan": scans[1:],
        "answers": answers,
        "tallies": tallies,
        "results": results,
        "from_answers_s": scan_s,
        "differ": differ,
    }


def check(results: dict[tuple[str, str], Any], made: Generated) -> list[str]:
    """Differences between the database's aware-of-hearings scores and the generator's own count."""
    wrong = []
    for (period, code), (yes, answered) in made.aware.items():
        index = results[(period, code)]
        score = next(
            i.score for d in index.dimensions for i in d.indicators if i.indicator.code == "aware_of_hearings"
        )
        expected = 100 * yes / answered
        if score is None or abs(score - expected) > 1e-9:
            wrong.append(f"{period} {code}: {score} in the database, {expected} counted")
    return wrong


async def main_async(runs: int, keep: bool, hot: int) -> int:
    started = time.perf_counter()
    url = await new_database("postgres", Path("."))
    print(f"database: {url}", flush=True)
    try:
        ids = await prepare(url)
        step("schema and surveys", started)
        made = await generate(url, ids)
        step(
            f"generated {made.answers:,} answers in {made.responses:,} responses, {made.hearings} hearings, "
            f"{made.rsvps:,} RSVPs, {made.questions:,} questions, {made.deliveries:,} notices",
            started,
        )
        backfill_s = await add_periods(url)
        await add_plans(url, made)
        step(
            f"two periods added, their answers tallied in {backfill_s:.1f} s; {made.items} action-plan items",
            started,
        )
        measured = await measure(url, runs)
        step("measured", started)
        cost = await answer_cost(url, hot) if hot else None
        if cost:
            step("answer write measured", started)
    finally:
        if not keep:
            await drop_database(url)
    wrong = check(measured["results"], made)
    best, median = min(measured["timings"]), statistics.median(measured["timings"])
    scan = statistics.median(measured["scan"])
    load = os.getloadavg()
    print(f"\nslowest statements of the last run ({measured['statement_count']} in all), ms:")
    for ms, words in measured["statements"]:
        print(f"  {ms:>7.1f}  {' '.join(words)} ...")
    print("\nEXPLAIN ANALYZE of the heaviest statement:")
    print("\n".join("  " + line for line in measured["plan"]))
    print(f"\nanswers in the table: {measured['answers']:,}; tally rows: {measured['tallies']:,}")
    print(
        f"every index (4 municipalities x 2 periods, {sum(1 for _ in default_framework().indicators())} "
        f"indicators, gaps): median {median * 1000:.0f} ms, best {best * 1000:.0f} ms over {runs} runs"
    )
    print(f"one sequential scan of the answers: median {scan * 1000:.0f} ms")
    print(
        f"the same index from every answer: {measured['from_answers_s'] * 1000:.0f} ms; "
        f"{'equal' if not measured['differ'] else 'DIFFERENT for ' + str(measured['differ'])}"
    )
    if cost:
        print(cost.summary())
    for (period, code), result in sorted(measured["results"].items()):
        overall = "—" if result.overall is None else f"{result.overall:.1f}"
        print(
            f"  {period:<14} {code:<12} overall {overall:>5}, {result.missing} of {result.total} indicators "
            "without a score"
        )
    met = median < TARGET_S
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"target < {TARGET_S} s: {'met' if met else 'NOT met'}; scores checked against the generator: "
        f"{wrong if wrong else 'all match'}"
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "answers": measured["answers"],
                "tally_rows": measured["tallies"],
                "runs_s": measured["timings"],
                "median_s": median,
                "best_s": best,
                "sequential_scan_s": measured["scan"],
                "from_answers_s": measured["from_answers_s"],
                "equal_from_answers": not measured["differ"],
                "period_backfill_s": backfill_s,
                "heaviest_statement_s": measured["heaviest_s"],
                "plan": measured["plan"],
                "answer_write": cost.as_dict() if cost else None,
                "load_average": load,
                "target_met": met,
                "scores_match": not wrong,
            },
            indent=2,
        )
    )
    return 0 if met and not wrong and not measured["differ"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (after one warm-up)")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    parser.add_argument(
        "--answer-writes", type=int, default=2000, help="answers stored to time the trigger (0: skip)"
    )
    args = parser.parse_args()
    return asyncio.run(main_async(args.runs, args.keep, args.answer_writes))


if __name__ == "__main__":
    sys.exit(main())
