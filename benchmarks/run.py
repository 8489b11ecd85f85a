"""`make bench`: every benchmark in turn, on SQLite and PostgreSQL; each writes its own results."""

from __future__ import annotations

import subprocess
import sys

RUNS = (
    ["benchmarks.broadcast", "--database", "sqlite"],
    ["benchmarks.broadcast", "--database", "postgres"],
    ["benchmarks.survey_answers", "--backend", "both"],
    ["benchmarks.public_pages", "--concurrency", "1"],
    ["benchmarks.benchmarking"],
    ["benchmarks.cluster"],
)


def main() -> int:
    failed = 0
    for run in RUNS:
        print("==>", " ".join(run), flush=True)
        failed += subprocess.run([sys.executable, "-m", *run], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
