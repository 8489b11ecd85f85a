"""A municipality's benchmarking scorecard and action plan in the console, from the benchmarking
services (the same index, report rows and charts as `civicbot benchmark report`)."""

from __future__ import annotations

import base64
from datetime import date

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from benchmarking import actionplan_views, report
from benchmarking import periods as period_service
from benchmarking.framework_yaml import default_framework
from benchmarking.index import compute_index
from channels.i18n import TIMEZONE, render
from contacts.registry import municipality_by_code
from storage.base import utcnow
from storage.models import Municipality
from web.console.auth import Console, as_staff

router = APIRouter(prefix="/console/m/{code}")


async def _place(console: Console, code: str) -> Municipality | None:
    place = await municipality_by_code(console.session, code)
    if place is not None:
        await console.ensure_municipality(place)
    return place


async def _report(console: Console, place: Municipality) -> tuple[report.ReportData | None, list[str]]:
    """The scorecard for `?period=` (default the latest), against `?compare=` when given."""
    names = [p.name for p in await period_service.periods(console.session)]
    if not names:
        return None, names
    period = console.request.query_params.get("period") or names[-1]
    compare = console.request.query_params.get("compare") or None
    if period not in names or (compare is not None and compare not in names):
        return None, names
    framework = default_framework()
    results = await compute_index(console.session, framework, [period, *([compare] if compare else [])])
    previous = results[(compare, place.code)] if compare else None
    return report.ReportData(framework, results[(period, place.code)], previous, console.lang), names


@router.get("/scorecard")
async def scorecard(request: Request, code: str) -> Response:
    async def _page(console: Console) -> Response:
        place = await _place(console, code)
        if place is None:
            return console.page("console/refused.html", 404, reason="domain", message=code)
        data, names = await _report(console, place)
        if data is None:
            return console.page("console/scorecard.html", place=place, data=None, names=names)
        charts = [(caption, base64.b64encode(png).decode()) for caption, png in report.charts(data)]
        dimensions = [
            (dimension.dimension.label_in(console.lang), report.indicator_rows(data, dimension))
            for dimension in data.current.dimensions
        ]
        return console.page(
            "console/scorecard.html",
            place=place,
            data=data,
            names=names,
            title=report.title(data),
            summary=(report.summary_header(data), report.summary_rows(data)),
            indicator_header=report.indicator_header(console.lang),
            dimensions=dimensions,
            gaps=(report.gap_header(console.lang), report.gap_rows(data)),
            notes=report.notes(data),
            charts=charts,
        )

    return await as_staff(request, _page)


@router.get("/scorecard.html")
async def scorecard_file(request: Request, code: str) -> Response:
    """The full report as one HTML file (charts embedded), as `civicbot benchmark report` writes it."""

    async def _file(console: Console) -> Response:
        place = await _place(console, code)
        data = (await _report(console, place))[0] if place is not None else None
        if place is None or data is None:
            return console.page("console/refused.html", 404, reason="domain", message=code)
        headers = {"Content-Disposition": f'attachment; filename="{place.code}-scorecard.html"'}
        return HTMLResponse(report.html_page(data), headers=headers)

    return await as_staff(request, _file)


@router.get("/plan")
async def action_plan(request: Request, code: str) -> Response:
    async def _page(console: Console) -> Response:
        place = await _place(console, code)
        if place is None:
            return console.page("console/refused.html", 404, reason="domain", message=code)
        today: date = utcnow().astimezone(TIMEZONE).date()
        view = await actionplan_views.load(console.session, place, today)
        lines = [render(actionplan_views.item_line(item, today), console.lang) for item in view.items]
        summary = render(actionplan_views.summary(view), console.lang) if view.plan is not None else None
        return console.page("console/plan.html", place=place, view=view, lines=lines, summary=summary)

    return await as_staff(request, _page)
