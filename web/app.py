"""Mount the browser surfaces on the one FastAPI app that `civicbot serve` runs.

Each surface is a package exposing `router` (an `APIRouter`): `web.console` always, `web.public` and
`web.simulator` when they are installed. Static files (CSS, vendored htmx) are served at `/static`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from web.paths import missing_when_the_path_is_wrong
from web.security_headers import FramingSettings, SecurityHeaders

STATIC_DIR = Path(__file__).resolve().parent / "static"
OPTIONAL_SURFACES = ("web.public", "web.simulator")


def mount_web(app: FastAPI, service: object | None = None) -> None:
    """Include the console and (when present) the public pages and simulator; serve `/static`.

    `service` is accepted for symmetry with the app factory; routes look it up per request on
    `app.state.service`, which the lifespan sets, so this works before the service is built.
    """
    from web.console import router as console_router

    app.include_router(console_router)
    for name in OPTIONAL_SURFACES:
        router = _optional_router(name)
        if router is not None:
            app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(RequestValidationError, missing_when_the_path_is_wrong)
    framing = FramingSettings().public_frame_ancestors
    app.add_middleware(SecurityHeaders, public_frame_ancestors=framing)  # CSP, no framing, no caching


def _optional_router(name: str) -> APIRouter | None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
    router = getattr(module, "router", None)
    return router if isinstance(router, APIRouter) else None
