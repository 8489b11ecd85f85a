"""The staff console over chat: the guided /broadcast and the /approve review (approve, or return with a
reason typed next), channel-neutral.

State lives on the staff row (`dialog_state` "admin.*", `dialog_data`), not in memory, so any replica
can take the next message. Methods return what to say as `Said` items: most are in the staff member's
language, previews in the language citizens will read them in. Every refusal becomes a reply here (the
caller commits, so a refusal's audit entry is kept); nothing else is written before a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import approval, audience, review, service, staff
from campaigns.audience import AudienceSpec
from campaigns.definition import MAX_TEXT, CampaignDraft, StepDraft
from campaigns.dryrun import Rates
from campaigns.errors import CampaignError, InvalidDefinition
from campaigns.firing import message_for
from campaigns.outline import NAMESPACE
from campaigns.quiet import next_allowed_for, release, release_text
from campaigns.schedule import QuietHours
from campaigns.timetable import fire_due
from channels.i18n import LANGUAGE_SELF_NAMES, LANGUAGES
from channels.message import Choice, Content, Joined, Literal, Outgoing, Text
from contacts.registry import municipalities, municipality_by_code
from storage.base import utcnow
from storage.ids import parse_id
from storage.models.campaigns import Campaign, CampaignStatus, CampaignStep, Role, StaffMember

ALL = "*"
REVIEW_LIMIT = 10


class Stage(StrEnum):
    MUNICIPALITY = "admin.municipality"
    TEXT = "admin.text"
    CONFIRM = "admin.confirm"
    REASON = "admin.reason"  # a coordinator returning a campaign types why


@dataclass(frozen=True)
class Said:
    """One message and the language to render it in (None: the staff member's own)."""

    message: Outgoing
    language: str | None = None


def _say(text: Text, *choices: Choice) -> Said:
    return Said(Outgoing(parts=(text,), choices=choices))


CANCEL = Choice(f"{NAMESPACE}:x", Text("Cancel"))


@dataclass
class Console:
    session: AsyncSession
    member: StaffMember
    rates: Rates = field(default_factory=Rates)
    now: datetime = field(default_factory=utcnow)
    quiet: QuietHours | None = None  # the service's QUIET_HOURS; municipalities may override it
    grace: timedelta = timedelta(hours=6)  # how late a step may still be sent (the scheduler's setting)

    async def broadcast(self, argument: str = "") -> list[Said]:
        """/broadcast [municipality]: start over; officers go straight to their own municipality."""
        self._set(None)
        try:
            if argument.strip():
                return await self._audience(argument.strip().lower())
            if self.member.role == Role.OFFICER:
                home = await staff.home(self.session, self.member)
                assert home is not None
                return await self._audience(home.code)
        except CampaignError as refusal:
            return [_say(refusal.message)]
        places = await municipalities(self.session)
        choices = [Choice(f"{NAMESPACE}:m:{m.code}", Content(m.names, fallback="en")) for m in places]
        self._set(Stage.MUNICIPALITY)
        return [
            _say(
                Text("Who should receive the message? Choose the municipality."),
                *choices,
                Choice(f"{NAMESPACE}:m:{ALL}", Text("All municipalities")),
                CANCEL,
            )
        ]

    async def choose(self, data: str) -> list[Said]:
        """A console button: `adm:m:<code>`, `adm:sub`, `adm:x`, `adm:rv:<id>` (review), `adm:ap:<id>`,
        `adm:rj:<id>` (return with a reason), `adm:sc:<id>`."""
        _, action, value = [*data.split(":", 2), "", ""][:3]
        number = parse_id(value)
        try:
            match action:
                case "m" if self.member.dialog_state == Stage.MUNICIPALITY:
                    return await self._audience(value)
                case "sub" if self.member.dialog_state == Stage.CONFIRM:
                    return await self._submit()
                case "x":
                    self._set(None)
                    return [_say(Text("Cancelled. Nothing was sent."))]
                case "rv" if number is not None:
                    return await self.review(number)
                case "ap" if number is not None:
                    return await self._approve(number)
                case "rj" if number is not None:
                    return await self._ask_reason(number)
                case "sc" if number is not None:
                    return await self._schedule(number)
        except CampaignError as refusal:
            return [_say(refusal.message)]
        return [_say(Text("This button is no longer active."))]

    async def text(self, typed: str) -> list[Said]:
        """A typed message: the text in the language asked for while writing a broadcast, or the reason
        for returning a campaign."""
        if self.member.dialog_state == Stage.REASON:
            return await self._return(typed)
        if self.member.dialog_state != Stage.TEXT:
            return [_say(Text("Please use the buttons above, or send /broadcast to start again."))]
        body = typed.strip()
        if not body:
            return [self._ask(self._missing()[0])]
        if len(body) > MAX_TEXT:
            return [_say(Text.of("The text is too long: at most {limit} characters.", limit=MAX_TEXT))]
        missing = self._missing()
        data = dict(self.member.dialog_data)
        data["texts"] = {**data.get("texts", {}), missing[0]: body}
        self.member.dialog_data = data
        if len(missing) > 1:
            return [self._ask(missing[1])]
        self._set(Stage.CONFIRM, data)
        return self._preview()

    async def review(self, campaign_id: int | None = None) -> list[Said]:
        """/approve [id]: the approval view of that campaign, or of the one waiting; several waiting: one
        line each with its Review button. A reason asked for and not typed yet is dropped (a broadcast
        being written is kept)."""
        if self.member.role != Role.COORDINATOR:
            return [_say(Text("Only coordinators can approve campaigns."))]
        if self.member.dialog_state == Stage.REASON:
            self._set(None)
        if campaign_id is not None:
            campaign = await service.get(self.session, campaign_id)
            if campaign.status != CampaignStatus.SUBMITTED:
                return [_say(_not_waiting(campaign))]
            waiting = [campaign]
        else:
            waiting = await service.listing(self.session, (CampaignStatus.SUBMITTED,), REVIEW_LIMIT)
        if not waiting:
            return [_say(Text("No campaigns are waiting for approval."))]
        if len(waiting) > 1:
            return [Said(m) for m in await review.waiting_list(self.session, list(reversed(waiting)))]
        view = await review.approval_view(self.session, waiting[0], self.member, self.rates, self.now)
        return [Said(m) for m in view]

    # -- steps ---------------------------------------------------------------------------------------

    async def _audience(self, code: str) -> list[Said]:
        spec = AudienceSpec(municipalities=() if code == ALL else (code,))
        await audience.municipality_ids(self.session, spec)
        await staff.ensure_scope(
            self.session, self.member, spec, action="broadcast", subject="campaign:new", now=self.now
        )
        present = await approval.audience_languages(self.session, spec)
        place = await municipality_by_code(self.session, code) if code != ALL else None
        languages = [lang for lang in LANGUAGES if lang in present] or [
            place.default_language if place else "ka"
        ]
        people = (await audience.count(self.session, spec)).total
        self._set(Stage.TEXT, {"municipality": code, "languages": languages, "texts": {}})
        size = Text.plural_of("This audience has {n} person.", "This audience has {n} people.", people)
        return [_say(size), self._ask(languages[0])]

    def _ask(self, lang: str) -> Said:
        return _say(
            Text.of("Type the message in {language}.", language=Literal(LANGUAGE_SELF_NAMES[lang])), CANCEL
        )

    def _missing(self) -> list[str]:
        data = self.member.dialog_data
        return [lang for lang in data.get("languages", []) if lang not in data.get("texts", {})]

    def _draft(self) -> CampaignDraft:
        data = self.member.dialog_data
        texts: dict[str, str] = dict(data["texts"])
        code = str(data["municipality"])
        spec = AudienceSpec(municipalities=() if code == ALL else (code,))
        name = f"Telegram broadcast by {self.member.label}, {self.now:%Y-%m-%d %H:%M} UTC"
        ordered = {lang: texts[lang] for lang in data["languages"] if lang in texts}
        return CampaignDraft(name, spec, (StepDraft(ordered),), base_language=data["languages"][0])

    def _preview(self) -> list[Said]:
        """Each language exactly as citizens will see it, then the question to submit."""
        draft = self._draft()
        campaign = Campaign(base_language=draft.base_language, fallback_language=None)
        step = CampaignStep(
            texts=dict(draft.steps[0].texts), links=[], survey_id=None, media_url=None, urgent=False
        )
        said: list[Said] = [_say(Text("This is how people will see it:"))]
        for lang in draft.steps[0].texts:
            said.append(_say(Text.of("In {language}:", language=Literal(LANGUAGE_SELF_NAMES[lang]))))
            said.append(Said(message_for(campaign, step), lang))
        said.append(
            _say(
                Text("Submit it for approval by a coordinator?"),
                Choice(f"{NAMESPACE}:sub", Text("Submit for approval")),
                CANCEL,
            )
        )
        return said

    async def _submit(self) -> list[Said]:
        campaign = await service.create(self.session, self._draft(), self.member, self.now)
        await service.submit(self.session, campaign.id, self.member, self.now)
        self._set(None)
        return [
            _say(
                Text.of(
                    "Submitted as campaign {id}. A coordinator will review it with /approve.", id=campaign.id
                )
            )
        ]

    async def _schedule(self, campaign_id: int) -> list[Said]:
        """Schedule, and queue at once what is due now (not at the scheduler's next sync); say how many
        messages were queued and when they go out."""
        campaign = await service.schedule(self.session, campaign_id, self.member, self.now)
        queued = await fire_due(self.session, campaign.id, self.now, self.grace, quiet=self.quiet)
        if queued == 0:
            return [
                _say(
                    Text.of(
                        "Campaign {id} is scheduled: its messages go out at their times, "
                        "outside quiet hours.",
                        id=campaign.id,
                    )
                )
            ]
        codes = AudienceSpec.from_dict(campaign.audience).municipalities
        urgent = all(step.urgent for step in campaign.steps)
        goes = await next_allowed_for(self.session, codes, self.now, default=self.quiet, urgent=urgent)
        places = [
            Content(m.names, fallback="en")
            for m in await municipalities(self.session)
            if not codes or m.code in codes
        ]
        where = Joined(tuple(places), ", ") if places else Text("All municipalities")
        told = release(queued, self.now, [goes])
        return [_say(Text.of("Campaign {id} is scheduled.", id=campaign.id)), _say(release_text(told, where))]

    async def _approve(self, campaign_id: int) -> list[Said]:
        campaign = await service.approve(self.session, campaign_id, self.member, self.now)
        return [
            _say(
                Text.of("Campaign {id} is approved.", id=campaign.id),
                Choice(f"{NAMESPACE}:sc:{campaign.id}", Text("Schedule it now")),
            )
        ]

    async def _ask_reason(self, campaign_id: int) -> list[Said]:
        """Return: checked now (coordinator, four eyes, still waiting), done when the reason is typed."""
        campaign = await service.get(self.session, campaign_id)
        await approval.ensure_may_approve(self.session, campaign, self.member, self.now, action="reject")
        if campaign.status != CampaignStatus.SUBMITTED:
            return [_say(_not_waiting(campaign))]
        self._set(Stage.REASON, {"campaign": campaign.id})
        ask = Text.of(
            "Why are you returning campaign {id}? Type the reason in one message: its author will read it.",
            id=campaign.id,
        )
        return [_say(ask, CANCEL)]

    async def _return(self, typed: str) -> list[Said]:
        campaign_id = int(self.member.dialog_data["campaign"])
        try:
            campaign = await service.reject(self.session, campaign_id, self.member, typed, self.now)
        except InvalidDefinition as refusal:  # no reason, or too long: ask again
            return [_say(refusal.message, CANCEL)]
        except CampaignError as refusal:
            self._set(None)
            return [_say(refusal.message)]
        self._set(None)
        return [
            _say(
                Text.of("Campaign {id} is back with its author as a draft, with your reason.", id=campaign.id)
            )
        ]

    def _set(self, stage: Stage | None, data: dict[str, Any] | None = None) -> None:
        self.member.dialog_state = stage
        self.member.dialog_data = dict(data or {})


def _not_waiting(campaign: Campaign) -> Text:
    return Text.of(
        "Campaign {id} is no longer waiting for approval: it is {status}.",
        id=campaign.id,
        status=Text(service.STATUS_LABELS[CampaignStatus(campaign.status)]),
    )
