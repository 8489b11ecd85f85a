"""Ids in page paths: a path whose id no row can have is a page that does not exist (404), not a bad
request and never a database error (see `storage.ids`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from storage.ids import MAX_ID

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


async def missing_when_the_path_is_wrong(request: Request, exc: Exception) -> Response:
    """A path parameter that fails its type (`/console/hearings/99999999999`, `/…/-1`, `/…/²`) is a 404
    like any unknown path; other validation errors keep FastAPI's 422."""
    assert isinstance(exc, RequestValidationError)
    if exc.errors() and all(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return await request_validation_exception_handler(request, exc)
