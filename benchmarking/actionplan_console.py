"""The guided /actionplan for staff over chat, channel-neutral: pick an item, its new status and progress,
an optional note, then confirm. Nothing changes before the confirmation.

State lives on the staff row (`dialog_state` "actionplan.*", `dialog_data`), so any replica can take the
next step; button data carries ids only (`apl:i:<item>`, `apl:s:<item>:<status>`, `apl:p:<item>:<percent>`).
A refusal (scope, a stale button) becomes a reply; the caller commits, so a refusal's audit entry is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplans
from benchmarking.actionplan_notices import STATUS_LABELS, item_title, status_label
from campaigns.console import Said
from campaigns.errors import CampaignError
from campaigns.quiet import release, release_text
from campaigns.schedule import QuietHours
from channels.message import Choice, Content, Joined, Literal, Outgoing, Renderable, Text
from contacts.registry import municipalities
from storage.base import utcnow
from storage.ids import parse_id
from storage.models import Municipality
from storage.models.actionplans import ActionPlanItem, ItemStatus
from storage.models.campaigns import Role, StaffMember

NAMESPACE = "apl"
KEEP = "keep"
STEPS = (0, 25, 50, 75, 100)
LISTED = 30  # items offered as buttons at once; the CLI lists them all


class Stage(StrEnum):
    MUNICIPALITY = "actionplan.municipality"
    ITEM = "actionplan.item"
    STATUS = "actionplan.status"
    PROGRESS = "actionplan.progress"
    NOTE = "actionplan.note"
    CONFIRM = "actionplan.confirm"


CANCEL = Choice(f"{NAMESPACE}:x", Text("Cancel"))


def _say(text: Renderable, *choices: Choice) -> Said:
    return Said(Outgoing(parts=(text,), choices=choices))


@dataclass
class PlanConsole:
    session: AsyncSession
    member: StaffMember
    quiet: QuietHours | None = None
    now: datetime = field(default_factory=utcnow)

    async def start(self) -> list[Said]:
        """/actionplan: officers see their municipality's items, coordinators pick a municipality first."""
        self._set(None)
        if self.member.role == Role.OFFICER and self.member.municipality_id is not None:
            return await self._items(self.member.municipality_id)
        places = await municipalities(self.session)
        self._set(Stage.MUNICIPALITY)
        choices = [Choice(f"{NAMESPACE}:m:{m.id}", Content(m.names, fallback="en")) for m in places]
        return [_say(Text("Whose action plan? Choose the municipality."), *choices, CANCEL)]

    async def choose(self, data: str) -> list[Said]:
        """A button of this console; anything out of step is answered as no longer active."""
        _, action, *rest = [*data.split(":"), ""]
        ref = rest[0] if rest else ""
        value = rest[1] if len(rest) > 1 else ""
        state = self.member.dialog_state
        try:
            match action:
                case "x":
                    self._set(None)
                    return [_say(Text("Cancelled. Nothing was changed."))]
                case "m" if state == Stage.MUNICIPALITY and (number := parse_id(ref)) is not None:
                    return await self._items(number)
                case "i" if state == Stage.ITEM and (number := parse_id(ref)) is not None:
                    return await self._pick(number)
                case "s" if state == Stage.STATUS and self._is_current(ref):
                    return await self._status(value)
                case "p" if state == Stage.PROGRESS and self._is_current(ref):
                    return await self._progress(value)
                case "n" if state == Stage.NOTE:
                    return await self._confirm(None)
                case "ok" if state == Stage.CONFIRM:
                    return await self._save()
                case "a" if state == Stage.STATUS and self._is_current(ref):
                    return await self._approve(int(ref))
        except CampaignError as refusal:
            self._set(None)
            return [_say(refusal.message)]
        return [_say(Text("This button is no longer active. Send /actionplan to start again."))]

    async def text(self, typed: str) -> list[Said]:
        """The note typed at the note step."""
        if self.member.dialog_state != Stage.NOTE:
            return [_say(Text("Please use the buttons above, or send /actionplan to start again."))]
        note = typed.strip()
        if len(note) > actionplans.NOTE_MAX:
            return [
                _say(Text.of("The note is too long: at most {limit} characters.", limit=actionplans.NOTE_MAX))
            ]
        return await self._confirm(note or None)

    # -- steps ---------------------------------------------------------------------------------------

    async def _items(self, municipality_id: int) -> list[Said]:
        await actionplans.ensure_scope(
            self.session, self.member, municipality_id, action="console", subject="actionplan", now=self.now
        )
        place = await self.session.get_one(Municipality, municipality_id)
        found = await actionplans.items(self.session, municipality_id)
        if not found:
            self._set(None)
            return [
                _say(
                    Text.of(
                        "{municipality} has no action plan items yet.",
                        municipality=Content(place.names, fallback="en"),
                    )
                )
            ]
        today = actionplans.local_today(self.now)
        ordered = sorted(found, key=lambda i: (i.status in actionplans.CLOSED, i.due_on, i.id))[:LISTED]
        choices = [Choice(f"{NAMESPACE}:i:{item.id}", self._label(item, today)) for item in ordered]
        self._set(Stage.ITEM)
        return [_say(Text("Which item do you want to update?"), *choices, CANCEL)]

    def _label(self, item: ActionPlanItem, today: date) -> Joined:
        parts: list[Renderable] = [
            item_title(item),
            Literal(" · "),
            status_label(item.status),
            Literal(f" {item.progress}%"),
        ]
        if actionplans.is_overdue(item, today):
            parts.append(Literal(" ⚠"))
        return Joined(parts, sep="")

    async def _pick(self, item_id: int) -> list[Said]:
        item = await actionplans.get_item(self.session, item_id)
        await actionplans.ensure_scope(
            self.session,
            self.member,
            item.municipality_id,
            action="console",
            subject=f"actionplan-item:{item.id}",
            now=self.now,
        )
        self._set(Stage.STATUS, {"item": item.id})
        choices = [
            Choice(
                f"{NAMESPACE}:s:{item.id}:{status.value}",
                Text(STATUS_LABELS[status]),
                selected=status == item.status,
            )
            for status in ItemStatus
        ]
        question = Text.of(
            "“{title}” is {status}, {progress}% done. What is its status now?",
            title=item_title(item),
            status=status_label(item.status),
            progress=item.progress,
        )
        if item.approved_at is None:
            pending = Text(
                "Citizens do not see this item yet: a coordinator other than its author must approve it."
            )
            question_parts: list[Renderable] = [question, pending]
            if self.member.role == Role.COORDINATOR and self.member.label != item.created_by:
                choices.append(Choice(f"{NAMESPACE}:a:{item.id}", Text("Approve")))
            return [_say(Joined(question_parts, sep="\n"), *choices, CANCEL)]
        return [_say(question, *choices, CANCEL)]

    async def _status(self, value: str) -> list[Said]:
        if value not in {status.value for status in ItemStatus}:
            return [_say(Text("This button is no longer active. Send /actionplan to start again."))]
        data = {**self.member.dialog_data, "status": value}
        if value == ItemStatus.DONE:
            self._set(Stage.NOTE, {**data, "progress": 100})
            return [self._ask_note()]
        self._set(Stage.PROGRESS, data)
        item_id = data["item"]
        choices = [Choice(f"{NAMESPACE}:p:{item_id}:{n}", Literal(f"{n}%")) for n in STEPS]
        keep = Choice(f"{NAMESPACE}:p:{item_id}:{KEEP}", Text("Keep as it is"))
        return [_say(Text("How far along is it?"), *choices, keep, CANCEL)]

    async def _progress(self, value: str) -> list[Said]:
        if value != KEEP and (not value.isdigit() or int(value) not in STEPS):
            return [_say(Text("This button is no longer active. Send /actionplan to start again."))]
        data = dict(self.member.dialog_data)
        if value != KEEP:
            data["progress"] = int(value)
        self._set(Stage.NOTE, data)
        return [self._ask_note()]

    def _ask_note(self) -> Said:
        skip = Choice(f"{NAMESPACE}:n", Text("No note"))
        return _say(Text("Type a short note for the record (staff only), or press “No note”."), skip, CANCEL)

    async def _confirm(self, note: str | None) -> list[Said]:
        data = {**self.member.dialog_data, "note": note}
        item = await actionplans.get_item(self.session, int(data["item"]))
        status = ItemStatus(data.get("status") or item.status)
        progress = int(data.get("progress", item.progress))
        self._set(Stage.CONFIRM, data)
        lines: list[Renderable] = [
            Text.of(
                "“{title}”: {old} → {new}, {progress}% done.",
                title=item_title(item),
                old=status_label(item.status),
                new=status_label(status),
                progress=progress,
            ),
        ]
        if note:
            lines.append(Text.of("Note: {note}", note=Literal(note)))
        if status != item.status:
            lines.append(Text("Its followers and the people whose input led to it will be told."))
        save = Choice(f"{NAMESPACE}:ok", Text("Save"))
        return [_say(Joined(lines, sep="\n"), save, CANCEL)]

    async def _save(self) -> list[Said]:
        data = dict(self.member.dialog_data)
        item_id = int(data["item"])
        status = ItemStatus(data["status"]) if data.get("status") else None
        update = actionplans.Update(status=status, progress=data.get("progress"), note=data.get("note"))
        self._set(None)
        done = await actionplans.update_item(
            self.session, item_id, update, self.member, self.now, quiet=self.quiet
        )
        told = done.told
        if done.change is None:
            return [_say(Text("Saved."))]
        if told.waiting:
            return [_say(Text("Saved. People will be told once a coordinator approves this item."))]
        place = await self.session.get_one(Municipality, done.item.municipality_id)
        queued = release(told.queued, self.now, [told.goes_at] if told.goes_at else [])
        news = release_text(queued, Content(place.names, fallback="en"))
        return [_say(Joined([Text("Saved."), news], sep=" "))]

    async def _approve(self, item_id: int) -> list[Said]:
        """A coordinator approves the item shown (not their own); its latest change is then told."""
        self._set(None)
        done = await actionplans.approve_item(self.session, item_id, self.member, self.now, quiet=self.quiet)
        place = await self.session.get_one(Municipality, done.item.municipality_id)
        approved = Text.of("Item {id} is approved.", id=done.item.id)
        if done.change is None:
            return [_say(approved)]
        told = done.told
        queued = release(told.queued, self.now, [told.goes_at] if told.goes_at else [])
        return [_say(Joined([approved, release_text(queued, Content(place.names, fallback="en"))], sep=" "))]

    def _is_current(self, ref: str) -> bool:
        return ref.isdigit() and self.member.dialog_data.get("item") == int(ref)

    def _set(self, stage: Stage | None, data: dict[str, Any] | None = None) -> None:
        self.member.dialog_state = stage
        self.member.dialog_data = dict(data or {})
