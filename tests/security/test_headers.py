"""Browser-facing headers: no sniffing and no Referer to other sites everywhere; console and simulator
pages never framed by another site and never cached (they show personal data)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import bot.app
from bot.app import Service, create_http_app
from bot.settings import DatabaseSettings, PrivacySettings, Settings


async def test_private_pages_are_not_framed_or_cached_and_public_ones_may_be_framed(
    migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.app, "BACKGROUND_COMPONENTS", [])
    settings = Settings(db=DatabaseSettings(database_url=migrated_url),
                        privacy=PrivacySettings(state_dir=tmp_path / "state"))  # fmt: skip
    app = create_http_app(settings, Service.build(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://civicbot.test") as client:
            pages = {
                path: await client.get(path)
                for path in ("/console/signin", "/console", "/try", "/", "/healthz")
            }
    for path, response in pages.items():
        assert response.status_code < 500, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path
    for path in ("/console/signin", "/console", "/try"):
        headers = pages[path].headers
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["cache-control"] == "no-store", path
    assert "x-frame-options" not in pages["/"].headers  # a municipality's site may embed the public pages
