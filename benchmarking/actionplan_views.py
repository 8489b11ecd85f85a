"""What people read about a plan: the citizen's view (Telegram), the SMS summary, the staff report.

Channel-neutral: views are `Outgoing` messages rendered later in the reader's language; the report is
text (Markdown or CSV) with its labels in the language asked for. Titles are staff-written per-language
content shown with the item's base language as fallback.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.numbers import format_percent
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplans
from benchmarking.actionplan_notices import item_title, status_label
from channels.i18n import format_param, render
from channels.message import N_, Content, Joined, LinkButton, Literal, Outgoing, Renderable, Reply, Text
from channels.sms.render import render_sms
from channels.sms.segments import count_segments
from storage.models import Contact, Municipality
from storage.models.actionplans import ActionPlan, ActionPlanItem, ItemStatus

SMS_SEGMENTS = 2
LISTED = 15  # items in one Telegram message: enough for a plan, well under 4,096 characters


@dataclass(frozen=True)
class PlanView:
    """A municipality's plan and its items, as read on one day (for overdue flags)."""

    place: Municipality
    plan: ActionPlan | None
    items: Sequence[ActionPlanItem]
    today: date

    @property
    def counts(self) -> Counter[str]:
        return Counter(str(item.status) for item in self.items)

    @property
    def name(self) -> Content:
        return Content(self.place.names, fallback="en")


async def load(session: AsyncSession, place: Municipality, today: date, *, public: bool = False) -> PlanView:
    """The plan and its items; `public` leaves out items no coordinator has approved yet."""
    plan = await actionplans.plan_of(session, place.id)
    found = await actionplans.items(session, place.id, approved_only=public) if plan is not None else []
    return PlanView(place, plan, found, today)


def item_line(item: ActionPlanItem, today: date) -> Joined:
    """ "Road repair — in progress, 40% · due 31 March 2027 · overdue": one item, one line."""
    facts: list[Renderable] = [
        Text.of("{status}, {progress}%", status=status_label(item.status), progress=item.progress),
        Text.of("done on {day}", day=item.done_on) if item.done_on else Text.of("due {day}", day=item.due_on),
    ]
    if actionplans.is_overdue(item, today):
        facts.append(Text("overdue"))
    return Joined([Literal("• "), item_title(item), Literal(" — "), Joined(facts, sep=" · ")], sep="")


def summary(view: PlanView) -> Text:
    counts = view.counts
    return Text.plural_of(
        "{n} item; done: {done}, in progress: {in_progress}, delayed: {delayed}.",
        "{n} items; done: {done}, in progress: {in_progress}, delayed: {delayed}.",
        len(view.items),
        done=counts[ItemStatus.DONE],
        in_progress=counts[ItemStatus.IN_PROGRESS],
        delayed=counts[ItemStatus.DELAYED],
    )


def sms_line(view: PlanView) -> Text:
    """The whole SMS in one sentence, without the municipality's name (the reader knows it), so that
    each language fits it and a link in two UCS-2 segments."""
    counts = view.counts
    return Text.plural_of(
        "Action plan: {n} item; done: {done}, in progress: {in_progress}, delayed: {delayed}.",
        "Action plan: {n} items; done: {done}, in progress: {in_progress}, delayed: {delayed}.",
        len(view.items),
        done=counts[ItemStatus.DONE],
        in_progress=counts[ItemStatus.IN_PROGRESS],
        delayed=counts[ItemStatus.DELAYED],
    )


async def citizen_plan(
    session: AsyncSession, contact: Contact, today: date, page_url: str | None = None
) -> Reply:
    """/actionplan: the plan of the person's municipality, each item with its status and progress."""
    if not contact.has_consent:
        return [Outgoing.say("Please finish signing up first: send /start.")]
    if contact.municipality_id is None:
        return [Outgoing.say("Choose your municipality first (/municipality) to see its action plan.")]
    view = await load(
        session, await session.get_one(Municipality, contact.municipality_id), today, public=True
    )
    if view.plan is None or not view.items:
        return [Outgoing.say("{municipality} has not published an action plan yet.", municipality=view.name)]
    lines: list[Renderable] = [item_line(item, today) for item in view.items[:LISTED]]
    if len(view.items) > LISTED:
        more = len(view.items) - LISTED
        lines.append(Text.plural_of("… and {n} more item.", "… and {n} more items.", more))
    parts: list[Renderable] = [
        Text.of(
            "Action plan of {municipality}: {title}",
            municipality=view.name,
            title=Content(view.plan.title, fallback=view.plan.base_language),
        ),
        summary(view),
        Joined(lines, sep="\n"),
    ]
    return [Outgoing(parts=tuple(parts), links=_page(page_url))]


def _page(page_url: str | None) -> tuple[LinkButton, ...]:
    return (LinkButton(Text("The whole plan"), page_url),) if page_url else ()


async def sms_summary(
    session: AsyncSession, contact: Contact, today: date, page_url: str | None = None
) -> Reply:
    """The PLAN keyword: one short SMS, at most two segments in any script, with the public page's address
    when it fits (an unusually long PUBLIC_BASE_URL is left out rather than costing a third segment)."""
    if not contact.has_consent or contact.municipality_id is None:
        return [Outgoing.say("Please finish signing up first: send /start.")]
    view = await load(
        session, await session.get_one(Municipality, contact.municipality_id), today, public=True
    )
    if view.plan is None or not view.items:
        return [Outgoing.say("{municipality} has not published an action plan yet.", municipality=view.name)]
    line = sms_line(view)
    if page_url:
        linked = Outgoing(parts=(line, Literal(page_url)))
        if count_segments(render_sms(linked, contact.language)).segments <= SMS_SEGMENTS:
            return [linked]
    return [Outgoing(parts=(line,))]


REPORT_COLUMNS = (
    "id",
    "title",
    "responsible",
    "due",
    "status",
    "progress",
    "done",
    "overdue",
    "evidence",
    "link",
    "indicators",
)


def report(view: PlanView, lang: str, fmt: str) -> str:
    """The plan as a Markdown table or CSV, labels and titles in `lang` (statuses in words)."""
    rows = [_report_row(item, view.today, lang) for item in view.items]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(rows)
        return out.getvalue()
    title = Content(view.plan.title, fallback=view.plan.base_language) if view.plan else view.name
    headings = [render(Text(label), lang) for label in _HEADINGS]
    lines = [
        f"# {render(title, lang)}",
        "",
        render(summary(view), lang),
        "",
        "| " + " | ".join(headings) + " |",
        "|" + "---|" * len(headings),
    ]
    for item, row in zip(view.items, rows, strict=True):
        # The CSV keeps ISO dates and bare numbers for programs; a reader gets them in their language.
        due, done = (format_param(day, lang) if day else "" for day in (item.due_on, item.done_on))
        progress = format_percent(item.progress / 100, locale=lang)
        cells = [row[0], row[1], row[2], due, row[4], progress, done, row[7], row[8], row[9]]
        lines.append("| " + " | ".join(_md(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


_HEADINGS = (
    N_("No."),
    N_("Item"),
    N_("Responsible"),
    N_("Due"),
    N_("Status"),
    N_("Progress"),
    N_("Done on"),
    N_("Overdue"),
    N_("Evidence"),
    N_("Link"),
)


def _report_row(item: ActionPlanItem, today: date, lang: str) -> list[str]:
    overdue = render(Text("overdue"), lang) if actionplans.is_overdue(item, today) else ""
    return [
        str(item.id),
        render(item_title(item), lang),
        item.responsible_unit,
        item.due_on.isoformat(),
        render(status_label(item.status), lang),
        str(item.progress),
        item.done_on.isoformat() if item.done_on else "",
        overdue,
        item.evidence or "",
        item.evidence_link or "",
        " ".join(item.indicators),
    ]


def _md(cell: str) -> str:
    """One table cell: line breaks and runs of spaces become one space; the no-break spaces Babel puts
    in numbers ("40 %") stay."""
    return _SPACES.sub(" ", cell.replace("|", "\\|")).strip()


_SPACES = re.compile(r"[^\S\u00a0\u202f]+")
