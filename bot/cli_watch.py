"""`--watch` for `civicbot campaign status` and `civicbot hearing status`: one progress line every few
seconds until nothing is waiting any more (or Ctrl-C). The counts are `channels.tally`'s, read anew each
time; sleeping and reading are passed in, so a test runs it without waiting."""

from __future__ import annotations

from collections.abc import Callable

from channels.tally import Standing, Tally

WIDTH = 30
INTERVAL = 2.0  # seconds between readings
_WAITING = (Standing.QUEUED, Standing.HELD_QUIET, Standing.HELD_PAUSE)


def waiting(counted: Tally) -> int:
    total = counted.total
    return sum(total[s] for s in _WAITING)


def bar(done: int, total: int, width: int = WIDTH) -> str:
    """ "[#########.....................]": the share of messages no longer waiting."""
    filled = width if total == 0 else min(width, done * width // total)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def progress_line(counted: Tally) -> str:
    total = counted.total
    everything = sum(total.values()) - total[Standing.CANCELLED]
    done = total[Standing.SENT] + total[Standing.FAILED]
    line = (
        f"{bar(done, everything)} {done}/{everything} done: {total[Standing.SENT]} sent, "
        f"{total[Standing.FAILED]} failed; {total[Standing.QUEUED]} queued"
    )
    if total[Standing.HELD_QUIET]:
        line += f", {total[Standing.HELD_QUIET]} held by quiet hours"
    if total[Standing.HELD_PAUSE]:
        line += f", {total[Standing.HELD_PAUSE]} held by pause"
    return line


def watch(
    read: Callable[[], Tally],
    echo: Callable[[str], None],
    sleep: Callable[[float], None],
    *,
    interval: float = INTERVAL,
    readings: int | None = None,
) -> Tally:
    """Print a progress line per reading until nothing waits (or after `readings` readings)."""
    count = 0
    while True:
        counted = read()
        count += 1
        echo(progress_line(counted))
        if waiting(counted) == 0:
            echo("done: nothing is waiting any more")
            return counted
        if readings is not None and count >= readings:
            return counted
        sleep(interval)
