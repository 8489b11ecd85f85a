"""Telegram routers in the order they are tried: specific conversations first, the fallback last."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    from handlers.telegram import admin, errors, fallback, hearings, membership, onboarding, surveys
    from handlers.telegram import console  # staff: sign-in links to the web console

    return [
        errors.router,
        membership.router,
        onboarding.router,
        # Domain conversations (surveys, hearings, admin) go here, before the fallback.
        hearings.router,
        surveys.router,
        admin.router,
        console.router,
        fallback.router,
    ]
