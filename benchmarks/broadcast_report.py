"""The broadcast benchmark's Markdown table, one row per run, for benchmarks/README.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.broadcast import Run

HEADER = (
    "| sender | mode | recipients | achieved/s | of real limit | most in 1 s | 429s | 429 share | lost "
    "| duplicates | resumed after wait (most in 1 s after) | reply p95 | slack ms | peak RSS MB (idle) "
    "| load |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def markdown(runs: Sequence[Run]) -> str:
    rows = [HEADER]
    for run in runs:
        idle = f" ({run.idle_rss_mb:.0f})" if run.idle_rss_mb is not None else ""
        resumed = ""
        if run.resume_after_s is not None:
            resumed = f"{run.resume_after_s:.2f} s ({run.peak_second_after})"
        reply = f"{run.reply_p95_s:.2f} s" if run.reply_p95_s is not None else ""
        slack = f"{run.slack_ms:.1f}" if run.slack_ms is not None else ""
        rows.append(
            f"| {run.sender} | {run.mode} | {run.recipients:,} | {run.achieved_per_second:,.1f} "
            f"| {run.of_limit:.3f} | {run.peak_second:,} | {run.rate_limited:,} "
            f"| {run.rate_limited_share:.3%} "
            f"| {run.lost:,} | {run.duplicates:,} | {resumed} | {reply} | {slack} "
            f"| {run.peak_rss_mb:.0f}{idle} | {run.load_average} |"
        )
    return "\n".join(rows)
