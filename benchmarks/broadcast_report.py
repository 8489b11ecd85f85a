"""The broadcast benchmark's Markdown table, one row per run, for benchmarks/README.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.broadcast import Run

HEADER = (
    "| sender | mode | recipients | achieved/s | of limit | 429s | 429 share | lost | duplicates "
    "| peak RSS MB (idle) | enqueue s (RSS MB) |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def markdown(runs: Sequence[Run]) -> str:
    rows = [HEADER]
    for run in runs:
        idle = f" ({run.idle_rss_mb:.0f})" if run.idle_rss_mb is not None else ""
        enqueue = ""
        if run.enqueue_seconds is not None:
            enqueue = f"{run.enqueue_seconds:.1f} ({run.enqueue_peak_rss_mb:.0f})"
        rows.append(
            f"| {run.sender} | {run.mode} | {run.recipients:,} | {run.achieved_per_second:,.1f} "
            f"| {run.of_limit:.3f} | {run.rate_limited:,} | {run.rate_limited_share:.3%} | {run.lost:,} "
            f"| {run.duplicates:,} | {run.peak_rss_mb:.0f}{idle} | {enqueue} |"
        )
    return "\n".join(rows)
