"""`python -m benchmarks.benchmarking`: the participation index over 1,000,000 answers on PostgreSQL.

Builds the data of `benchmarks.benchmarking_data` in a fresh database, then times computing every
index (all four municipalities, both periods, the whole default framework with its inclusion gaps),
shows `EXPLAIN ANALYZE` of the heaviest query (the survey aggregation) and, as the floor to compare with,
one sequential scan of the answers table. Checks the database's "aware of hearings" scores against the
generator's own count. Results also go to benchmarks/out/benchmarking.json. Target: under 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from benchmarking.framework import Framework, Indicator, Source
from benchmarking.framework_yaml import default_framework
from benchmarking.index import compute_index
from benchmarking.periods import periods, window
from benchmarking.survey_scores import survey_ids, tallies_query
from benchmarks.benchmarking_data import SURVEYS, Generated, generate, pg_dsn, prepare
from benchmarks.survey_answers_data import drop_database, new_database
from storage.db import create_engine, session_factory

TARGET_S = 0.5
OUT = Path(__file__).resolve().parent / "out" / "benchmarking.json"


def both_surveys(framework: Framework) -> Framework:
    """The default framework, with the follow-up survey's code next to the baseline's."""
    from dataclasses import replace

    def widen(item: Indicator) -> Indicator:
        return replace(item, surveys=SURVEYS) if item.source is Source.SURVEY else item

    dimensions = tuple(
        replace(d, indicators=tuple(widen(i) for i in d.indicators)) for d in framework.dimensions
    )
    return replace(framework, dimensions=dimensions)


def step(message: str, started: float) -> None:
    print(f"  {message} ({time.perf_counter() - started:.1f} s)", flush=True)


async def measure(url: str, runs: int) -> dict[str, Any]:
    framework = both_surveys(default_framework())
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        timings = []
        for _ in range(runs + 1):  # the first run warms the caches and is not counted
            async with sessions() as session:
                started = time.perf_counter()
                results = await compute_index(session, framework)
                timings.append(time.perf_counter() - started)
        async with sessions() as session:
            baseline = window((await periods(session))[0])
            query = tallies_query(framework, await survey_ids(session, framework), baseline, "postgresql")
            assert query is not None
            sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        plan = [row[0] for row in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql)]
        scans = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            await conn.fetchval("SELECT count(declined) FROM survey_answers")
            scans.append(time.perf_counter() - started)
        scan_plan = [
            row[0]
            for row in await conn.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT count(declined) FROM survey_answers"
            )
        ]
        answers = await conn.fetchval("SELECT count(*) FROM survey_answers")
    finally:
        await conn.close()
    return {
        "timings": timings[1:],
        "scan": scans[1:],
        "plan": plan,
        "scan_plan": scan_plan,
        "answers": answers,
        "results": results,
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


async def main_async(runs: int, keep: bool) -> int:
    started = time.perf_counter()
    url = await new_database("postgres", Path("."))
    print(f"database: {url}", flush=True)
    try:
        ids = await prepare(url)
        step("schema, surveys and periods", started)
        made = await generate(url, ids)
        step(
            f"generated {made.answers:,} answers in {made.responses:,} responses, {made.hearings} hearings, "
            f"{made.rsvps:,} RSVPs, {made.questions:,} questions, {made.deliveries:,} notices, "
            f"{made.items} action-plan items",
            started,
        )
        measured = await measure(url, runs)
        step("measured", started)
    finally:
        if not keep:
            await drop_database(url)
    wrong = check(measured["results"], made)
    best, median = min(measured["timings"]), statistics.median(measured["timings"])
    scan = statistics.median(measured["scan"])
    index = measured["results"]
    print("\nEXPLAIN ANALYZE of the survey aggregation (one period; the index runs it once per period):")
    print("\n".join("  " + line for line in measured["plan"]))
    print("\nEXPLAIN ANALYZE of one sequential scan of survey_answers:")
    print("\n".join("  " + line for line in measured["scan_plan"]))
    print(f"\nanswers in the table: {measured['answers']:,}")
    print(
        f"every index (4 municipalities x 2 periods, {sum(1 for _ in default_framework().indicators())} "
        f"indicators, gaps): median {median * 1000:.0f} ms, best {best * 1000:.0f} ms over {runs} runs"
    )
    print(f"one sequential scan of the answers: median {scan * 1000:.0f} ms")
    for (period, code), result in sorted(index.items()):
        overall = "—" if result.overall is None else f"{result.overall:.1f}"
        print(
            f"  {period:<14} {code:<12} overall {overall:>5}, {result.missing} of {result.total} indicators "
            "without a score"
        )
    met = median < TARGET_S
    print(
        f"target < {TARGET_S} s: {'met' if met else 'NOT met'}; scores checked against the generator: "
        f"{wrong if wrong else 'all match'}"
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "answers": measured["answers"],
                "runs_s": measured["timings"],
                "median_s": median,
                "best_s": best,
                "sequential_scan_s": measured["scan"],
                "plan": measured["plan"],
                "target_met": met,
                "scores_match": not wrong,
            },
            indent=2,
        )
    )
    return 0 if met and not wrong else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (after one warm-up)")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    args = parser.parse_args()
    return asyncio.run(main_async(args.runs, args.keep))


if __name__ == "__main__":
    sys.exit(main())
