"""Logging for the service: one line per event, secrets masked wherever a library might print them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactSecrets(logging.Filter):
    """Masks configured secrets and anything shaped like a Telegram bot token in every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _BOT_TOKEN.sub("<bot-token>", message)
        for secret in self.secrets:
            masked = masked.replace(secret, "<secret>")
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, root.level))
    # Drivers that log statements with their parameters (aiosqlite at DEBUG) would print what citizens
    # typed; SQLAlchemy's own parameters are hidden by the engine (`hide_parameters`).
    for chatty in QUIET_LOGGERS:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


QUIET_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine")
