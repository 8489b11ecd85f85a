"""The broadcast benchmark's enqueue step, as its own process: every Telegram contact gets one message.

Reads people a page at a time and enqueues each page (as `campaigns.firing` does), in one transaction,
so its memory stays flat however large the audience; prints seconds, rows and its peak RSS as JSON.

    python -m benchmarks.broadcast_enqueue --database-url sqlite+aiosqlite:///var/bench.sqlite3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Sequence

from sqlalchemy import select

from benchmarks.broadcast_processes import peak_rss_mb
from channels.outbox import OutboxItem, enqueue
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.contacts import Channel, ChannelIdentity
from tests.channels.recipients import BROADCAST

PAGE = 5000


async def enqueue_everyone(url: str, campaign_id: int) -> int:
    engine = create_engine(url)
    queued = 0
    try:
        async with unit_of_work(session_factory(engine)) as session:
            after = 0
            while True:
                page = (
                    await session.execute(
                        select(ChannelIdentity.contact_id, ChannelIdentity.address)
                        .where(
                            ChannelIdentity.channel == Channel.TELEGRAM, ChannelIdentity.contact_id > after
                        )
                        .order_by(ChannelIdentity.contact_id)
                        .limit(PAGE)
                    )
                ).all()
                if not page:
                    break
                after = page[-1][0]
                queued += await enqueue(
                    session,
                    (
                        OutboxItem(
                            f"bench:{campaign_id}:{person}",
                            person,
                            Channel.TELEGRAM,
                            address,
                            "en",
                            BROADCAST,
                            campaign_id=campaign_id,
                            step_id=1,
                        )
                        for person, address in page
                    ),
                )
    finally:
        await engine.dispose()
    return queued


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.broadcast_enqueue")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--campaign-id", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.monotonic()
    queued = asyncio.run(enqueue_everyone(args.database_url, args.campaign_id))
    print(
        json.dumps(
            {"queued": queued, "seconds": time.monotonic() - started, "peak_rss_mb": peak_rss_mb(os.getpid())}
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
