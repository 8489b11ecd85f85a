"""Surveys in the browser (coordinators): upload a YAML or XLSForm file (every problem shown with its
cell, nothing imported on error), open and close, results with small groups hidden as in the CLI,
CSV and XLSX export with pseudonymous ids. Everything goes through `surveys.*`."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from channels.i18n import TIMEZONE, render
from contacts.registry import municipalities
from surveys import lifecycle
from surveys.definition import SurveyDefinitionError
from surveys.export import export_rows, to_csv, to_xlsx
from surveys.report import results_json
from surveys.results import Dimension, survey_results
from surveys.xlsform import XLSFormError
from web.console.auth import Console, as_staff

router = APIRouter(prefix="/console/surveys")
BREAKDOWNS = (Dimension.MUNICIPALITY, Dimension.LANGUAGE, Dimension.CHANNEL)
MAX_UPLOAD = 5 * 1024 * 1024


async def _listing(console: Console, status_code: int = 200, **context: object) -> Response:
    now = datetime.now(UTC)
    rows = [
        (
            record,
            lifecycle.shown_status(record, now),
            await lifecycle.response_counts(console.session, record.id),
        )
        for record in await lifecycle.list_surveys(console.session)
    ]
    places = await municipalities(console.session)
    return console.page("console/surveys.html", status_code, surveys=rows, places=places, **context)


@router.get("")
async def listing(request: Request) -> Response:
    async def _list(console: Console) -> Response:
        await console.ensure_coordinator("surveys")
        return await _listing(console)

    return await as_staff(request, _list)


@router.post("/upload")
async def upload(request: Request) -> Response:
    async def _upload(console: Console) -> Response:
        await console.ensure_coordinator("surveys")
        sent = console.form.get("file")
        name = str(sent.filename or "") if isinstance(sent, UploadFile) else ""
        content = await sent.read(MAX_UPLOAD + 1) if isinstance(sent, UploadFile) else b""
        suffix = Path(name).suffix.lower()
        if not content or len(content) > MAX_UPLOAD or suffix not in (".yaml", ".yml", ".xlsx"):
            return await _listing(console, 400, upload_error="file")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(content)
            try:
                survey, source = lifecycle.load_survey_file(
                    path, code=str(console.form.get("code") or "") or None
                )
            except XLSFormError as error:
                cells = [
                    {"sheet": p.sheet, "row": p.row, "letter": p.letter, "column": p.column,
                     "message": render(p.text, console.lang)}
                    for p in error.problems
                ]  # fmt: skip
                return await _listing(console, 400, problems=cells, filename=name)
            except SurveyDefinitionError as error:
                places = [{"path": p.path, "message": render(p.text, console.lang)} for p in error.problems]
                return await _listing(console, 400, problems=places, filename=name)
            except lifecycle.SurveyLifecycleError as error:
                return await _listing(console, 400, upload_error=str(error))
        try:
            record, changed = await lifecycle.import_survey(console.session, survey, source)
        except lifecycle.SurveyLifecycleError as error:
            return await _listing(console, 400, upload_error=str(error))
        await console.record("survey.imported", f"survey:{record.id}", changed=changed, source=source)
        return RedirectResponse(f"/console/surveys/{record.code}", status_code=303)

    return await as_staff(request, _upload, form=True)


@router.post("/{code}/open")
async def open_survey(request: Request, code: str) -> Response:
    async def _open(console: Console) -> Response:
        await console.ensure_coordinator(f"survey:{code}")
        until = str(console.form.get("until", "")).strip()
        closes_at = None
        if until:
            day = datetime.fromisoformat(until).date()
            closes_at = datetime.combine(day + timedelta(days=1), time(), TIMEZONE).astimezone(UTC)
        chosen = console.form.getlist("municipality") if hasattr(console.form, "getlist") else []
        try:
            record = await lifecycle.open_survey(
                console.session, code, closes_at=closes_at, municipalities=[str(c) for c in chosen if c]
            )
        except lifecycle.SurveyLifecycleError as error:
            return console.page("console/refused.html", 400, reason="domain", message=str(error))
        await console.record("survey.opened", f"survey:{record.id}")
        return RedirectResponse(f"/console/surveys/{code}", status_code=303)

    return await as_staff(request, _open, form=True)


@router.post("/{code}/close")
async def close_survey(request: Request, code: str) -> Response:
    async def _close(console: Console) -> Response:
        await console.ensure_coordinator(f"survey:{code}")
        try:
            record = await lifecycle.close_survey(console.session, code)
        except lifecycle.SurveyLifecycleError as error:
            return console.page("console/refused.html", 400, reason="domain", message=str(error))
        await console.record("survey.closed", f"survey:{record.id}")
        return RedirectResponse(f"/console/surveys/{code}", status_code=303)

    return await as_staff(request, _close, form=True)


@router.get("/{code}")
async def results(request: Request, code: str) -> Response:
    async def _results(console: Console) -> Response:
        await console.ensure_coordinator(f"survey:{code}")
        record = await lifecycle.survey_by_code(console.session, code)
        if record is None:
            return console.page("console/refused.html", 404, reason="domain", message=code)
        by_name = request.query_params.get("by", "")
        by = Dimension(by_name) if by_name in {str(d) for d in BREAKDOWNS} else None
        found = await survey_results(console.session, record, by=by)
        data = results_json(found, console.lang)
        status = lifecycle.shown_status(record, datetime.now(UTC))
        places = await municipalities(console.session)
        return console.page(
            "console/survey.html",
            record=record,
            data=data,
            status=status,
            by=by,
            breakdowns=BREAKDOWNS,
            places=places,
        )

    return await as_staff(request, _results)


@router.get("/{code}/export.{kind}")
async def export(request: Request, code: str, kind: str) -> Response:
    async def _export(console: Console) -> Response:
        await console.ensure_coordinator(f"survey:{code}")
        record = await lifecycle.survey_by_code(console.session, code)
        if record is None or kind not in ("csv", "xlsx"):
            return console.page("console/refused.html", 404, reason="domain", message=code)
        header, rows = await export_rows(
            console.session, record, console.request.app.state.service.context.vault
        )
        await console.record("survey.exported", f"survey:{record.id}", format=kind, rows=len(rows))
        disposition = {"Content-Disposition": f'attachment; filename="{record.code}.{kind}"'}
        if kind == "csv":
            return Response(to_csv(header, rows), media_type="text/csv; charset=utf-8", headers=disposition)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(to_xlsx(header, rows, title=record.code), media_type=media, headers=disposition)

    return await as_staff(request, _export)
