"""The staff console under `/console`: coordinators and officers do in a browser what the CLI does."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/console", include_in_schema=False)
