"""Housekeeping that runs inside `civicbot serve`: retention every hour (idempotent, any replica)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from contacts.retention import purge

if TYPE_CHECKING:
    from bot.app import Service

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600.0


async def run_retention(service: Service) -> None:
    while not service.stopping.is_set():
        try:
            async with service.sessions() as session, session.begin():
                report = await purge(session, service.context.vault)
            if report.erased_inactive or report.dropped_unfinished:
                log.info("retention: %s", report)
        except Exception:  # housekeeping must never take the service down; it runs again next hour
            log.exception("retention run failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(service.stopping.wait(), PURGE_EVERY_SECONDS)
