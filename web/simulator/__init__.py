"""The chat simulator at /try (see `web.simulator.routes`)."""

from web.simulator.routes import router

__all__ = ["router"]
