"""Importing action-plan updates from a CSV file and whole plans from a YAML file.

FORMAT (updates CSV)
    UTF-8 (with or without a byte-order mark), comma- or semicolon-separated, a header row first:

        item,status,progress,evidence,link,note
        12,in_progress,40,Tender published,https://marneuli.gov.ge/tender/81,
        13,done,,Street lights on Rustaveli st.,,finished early

    item      required: the item's id (`civicbot actionplan list`); each item at most once per file
    status    planned, in_progress, done, delayed or dropped ("in progress" also works)
    progress  a whole number 0-100 (a trailing % is fine); done means 100
    evidence  what shows the progress, in words
    link      where the evidence can be seen, starting with https:// or http://
    note      for the history of the change (staff only, never sent to citizens)

    An empty cell leaves that field as it is; columns other than `item` may be left out. Every bad row is
    reported with its line number (the header is line 1) and nothing is imported while any row is bad.
    An officer may only update items of their own municipality.

FORMAT (plan YAML, `civicbot actionplan create --file`)
    municipality: dmanisi
    title: {ka: "...", az: "...", hy: "..."}
    items:
      - title: {ka: "...", hy: "..."}
        responsible: Infrastructure service
        due: 2027-06-30
        indicators: [action_plan_on_time]
        survey_questions: ["participation-2026:trust"]   # survey code : question name
        hearings: [4]                                    # hearing ids
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplans
from benchmarking.actionplans import ItemDraft, Update
from campaigns.errors import CampaignError, InvalidDefinition
from campaigns.schedule import QuietHours
from channels.message import Text
from contacts.registry import audit
from storage.base import utcnow
from storage.ids import parse_id
from storage.models.actionplans import ActionPlan, ActionPlanItem, ItemStatus
from storage.models.campaigns import Role, StaffMember

COLUMNS = ("item", "status", "progress", "evidence", "link", "note")
STATUS_WORDS = {status.value: status for status in ItemStatus} | {
    "in progress": ItemStatus.IN_PROGRESS,
    "in_progress": ItemStatus.IN_PROGRESS,
}


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportRefused(CampaignError):
    """The file had bad rows; nothing was imported. `problems` names each one."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            Text.plural_of(
                "Nothing was imported: {n} row has errors.",
                "Nothing was imported: {n} rows have errors.",
                len(self.problems),
            )
        )


@dataclass(frozen=True)
class UpdateRow:
    line: int
    item_id: int
    update: Update


@dataclass
class Imported:
    """What an import did: rows applied, status changes, people told and when the first message may go."""

    rows: int = 0
    changes: int = 0
    told: int = 0
    goes_at: datetime | None = None
    items: list[int] = field(default_factory=list)


def parse_updates(data: bytes) -> tuple[list[UpdateRow], list[RowProblem]]:
    """Read every row; returns the good rows and the problems (the file's line numbers)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowProblem(1, "the file is not UTF-8: save it as “CSV UTF-8” and import it again")]
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if "item" not in header:
        return [], [
            RowProblem(1, f"the header must name the columns: {', '.join(COLUMNS)} (item is required)")
        ]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        return [], [RowProblem(1, f"unknown column {', '.join(unknown)}: use {', '.join(COLUMNS)}")]
    rows: list[UpdateRow] = []
    problems: list[RowProblem] = []
    seen: dict[int, int] = {}
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(RowProblem(start, f"{len(cells)} cells but the header has {len(header)} columns"))
            continue
        values = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)}
        try:
            row = _row(start, values)
        except ValueError as exc:
            problems.append(RowProblem(start, str(exc)))
            continue
        if row.item_id in seen:
            problems.append(RowProblem(start, f"item {row.item_id} is already on line {seen[row.item_id]}"))
            continue
        seen[row.item_id] = start
        rows.append(row)
    if not rows and not problems:
        problems.append(RowProblem(1, "the file has no rows under its header"))
    return rows, problems


def _row(line: int, values: Mapping[str, str]) -> UpdateRow:
    item_id = parse_id(values["item"].lstrip("#"))
    if item_id is None:
        raise ValueError(f"item must be an item id (a number), got {values['item']!r}")
    status: ItemStatus | None = None
    if raw := values.get("status", ""):
        status = STATUS_WORDS.get(" ".join(raw.lower().replace("-", " ").split()))
        if status is None:
            raise ValueError(f"status {raw!r} is not one of planned, in_progress, done, delayed, dropped")
    progress: int | None = None
    if raw := values.get("progress", "").removesuffix("%").strip():
        if not (raw.isascii() and raw.isdigit()):
            raise ValueError(f"progress must be a whole number from 0 to 100, got {raw!r}")
        progress = int(raw)
    update = Update(
        status=status,
        progress=progress,
        evidence=values.get("evidence") or None,
        link=values.get("link") or None,
        note=values.get("note") or None,
    )
    try:
        actionplans.check(update)
    except CampaignError as exc:
        raise ValueError(str(exc)) from None
    return UpdateRow(line, item_id, update)


async def import_updates(
    session: AsyncSession,
    data: bytes,
    by: StaffMember,
    now: datetime | None = None,
    *,
    quiet: QuietHours | None = None,
) -> Imported:
    """Check every row (syntax, item, scope), then apply all of them, or refuse and change nothing."""
    now = now or utcnow()
    rows, problems = parse_updates(data)
    found: dict[int, ActionPlanItem] = {}
    for row in rows:
        item = await session.get(ActionPlanItem, row.item_id)
        if item is None:
            problems.append(RowProblem(row.line, f"no action plan item {row.item_id}"))
        elif by.role != Role.COORDINATOR and item.municipality_id != by.municipality_id:
            problems.append(
                RowProblem(row.line, f"item {row.item_id} belongs to another municipality's plan")
            )
        else:
            found[row.item_id] = item
    if problems:
        problems.sort(key=lambda p: p.line)
        await audit(
            session,
            by.label,
            "actionplan.import_refused",
            "actionplan-import",
            municipality_id=by.municipality_id,
            details={"problems": [str(p) for p in problems[:50]]},
            now=now,
        )
        await session.flush()
        raise ImportRefused(problems)
    result = Imported()
    for row in rows:
        updated = await actionplans.update_item(session, row.item_id, row.update, by, now, quiet=quiet)
        result.rows += 1
        result.items.append(row.item_id)
        if updated.change is not None:
            result.changes += 1
            result.told += updated.told.queued
            if updated.told.goes_at is not None:
                result.goes_at = min(result.goes_at or updated.told.goes_at, updated.told.goes_at)
    await audit(
        session,
        by.label,
        "actionplan.imported",
        "actionplan-import",
        municipality_id=by.municipality_id,
        details={"rows": result.rows, "changes": result.changes, "told": result.told},
        now=now,
    )
    return result


def _text_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidDefinition(Text.of("{where}: write the title per language, e.g. ka: …", where=where))
    return {str(k): str(v) for k, v in value.items()}


def item_drafts(entries: Any) -> list[ItemDraft]:
    """The `items:` list of a plan file as drafts; a bad entry is named by its position (1 = first)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InvalidDefinition(Text("items: must be a list of items."))
    drafts: list[ItemDraft] = []
    for number, entry in enumerate(entries, start=1):
        where = f"item {number}"
        if not isinstance(entry, Mapping):
            raise InvalidDefinition(
                Text.of("{where}: must be a mapping with title, responsible and due.", where=where)
            )
        due = entry.get("due")
        try:
            due_on = due if isinstance(due, date) else date.fromisoformat(str(due))
        except ValueError:
            raise InvalidDefinition(
                Text.of("{where}: due must be a date like 2027-06-30.", where=where)
            ) from None
        pairs: list[tuple[str, str]] = []
        for ref in entry.get("survey_questions") or []:
            code, sep, question = str(ref).partition(":")
            if not sep or not code.strip() or not question.strip():
                raise InvalidDefinition(
                    Text.of("{where}: write a survey question as survey-code:question-name.", where=where)
                )
            pairs.append((code.strip(), question.strip()))
        hearings = entry.get("hearings") or []
        if not all(isinstance(h, int) for h in hearings):
            raise InvalidDefinition(Text.of("{where}: hearings must be hearing ids (numbers).", where=where))
        drafts.append(
            ItemDraft(
                title=_text_map(entry.get("title"), where),
                responsible_unit=str(entry.get("responsible") or ""),
                due_on=due_on,
                indicators=[str(i) for i in entry.get("indicators") or []],
                survey_questions=pairs,
                hearings=list(hearings),
                base_language=entry.get("base_language"),
            )
        )
    return drafts


async def create_from_file(
    session: AsyncSession, data: Any, by: StaffMember, now: datetime | None = None
) -> tuple[ActionPlan, list[ActionPlanItem]]:
    """A plan and its items from a parsed YAML document, all or nothing (the caller's transaction)."""
    now = now or utcnow()
    if not isinstance(data, Mapping) or not data.get("municipality"):
        raise InvalidDefinition(Text("The file must be a mapping with municipality, title and items."))
    code = str(data["municipality"])
    drafts = item_drafts(data.get("items"))
    plan = await actionplans.create_plan(
        session, code, _text_map(data.get("title"), "title"), by, now, base_language=data.get("base_language")
    )
    added = [await actionplans.add_item(session, code, draft, by, now) for draft in drafts]
    return plan, added
