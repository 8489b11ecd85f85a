"""Telegram routers in the order they are tried: specific conversations first, the fallback last."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    from handlers.telegram import (
        actionplan,  # the action plan: citizens read it, staff update it
        admin,
        console,  # staff: sign-in links to the web console
        errors,
        fallback,
        hearing_summary,  # staff: a hearing at a glance (/summary)
        hearings,
        membership,
        onboarding,
        surveys,
    )

    return [
        errors.router,
        membership.router,
        onboarding.router,
        # Domain conversations (surveys, hearings, admin) go here, before the fallback.
        hearings.router,
        surveys.router,
        admin.router,
        hearing_summary.router,
        console.router,
        actionplan.router,
        fallback.router,
    ]
