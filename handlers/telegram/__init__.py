"""Telegram routers in the order they are tried: specific conversations first, the fallback last."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    from handlers.telegram import errors, fallback, membership, onboarding

    return [
        errors.router,
        membership.router,
        onboarding.router,
        # Domain conversations (surveys, hearings, admin) go here, before the fallback.
        fallback.router,
    ]
