"""The staff console under `/console`: coordinators and officers do in a browser what the CLI does."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)  # each module router carries the /console prefix


def _include() -> None:
    from web.console import (
        audit_log,
        benchmarks,
        campaigns,
        citizen_preview,
        hearings,
        overview,
        people,
        signin,
        staff_pages,
        surveys,
    )

    router.include_router(signin.router)
    router.include_router(overview.router)
    router.include_router(campaigns.router)
    router.include_router(hearings.router)
    router.include_router(surveys.router)
    router.include_router(people.router)
    router.include_router(benchmarks.router)
    router.include_router(staff_pages.router)
    router.include_router(audit_log.router)
    router.include_router(citizen_preview.router)


_include()
