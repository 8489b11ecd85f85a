"""Which conversation a person's answer belongs to, for channels where answers are typed (SMS).

Telegram buttons carry their conversation in the callback data; a typed "1" carries nothing. It belongs
to the conversation the person is in (`contact.dialog_state`: sign-up and settings, a survey, a hearing)
or, when none is open, to the last message with choices that we sent them (a hearing notice, a poll
invitation). This module only names the conversation; parsing and the domain's work stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import Reply
from contacts.conversation import Conversation
from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from storage.base import utcnow
from storage.models import Channel, Contact


class Dialog(Protocol):
    """What every conversation offers: a picked choice, or free text (numbers included)."""

    async def choose(self, data: str) -> Reply: ...

    async def text(self, raw: str) -> Reply: ...


class DialogKind(StrEnum):
    SIGNUP = "signup"
    SURVEY = "survey"
    HEARING = "hearing"


_STATE_PREFIXES: dict[str, DialogKind] = {
    "onboarding.": DialogKind.SIGNUP,
    "profile.": DialogKind.SIGNUP,
    "settings.": DialogKind.SIGNUP,
    "privacy.": DialogKind.SIGNUP,
    "survey.": DialogKind.SURVEY,
    "hearing.": DialogKind.HEARING,
}

# Choices that open something by themselves, with no conversation in progress: a poll invitation's
# `sv:<survey>`, a hearing notice's `hr:<hearing>:go|maybe|no` and `hq:<hearing>` (ask a question).
ENTRY_NAMESPACES: dict[str, DialogKind] = {
    "sv": DialogKind.SURVEY,
    "hr": DialogKind.HEARING,
    "hq": DialogKind.HEARING,
}


def kind_of_state(state: str | None) -> DialogKind | None:
    """The conversation a dialog state belongs to; None when no conversation is open (or unknown)."""
    if not state:
        return None
    return next((kind for prefix, kind in _STATE_PREFIXES.items() if state.startswith(prefix)), None)


def kind_of_entry(data: str) -> DialogKind | None:
    """The conversation an entry choice opens; None for any other choice data."""
    return ENTRY_NAMESPACES.get(data.partition(":")[0])


@dataclass
class Dialogs:
    """Builds the conversation objects for one person and one inbound event."""

    session: AsyncSession
    vault: DataVault
    policy: PrivacyPolicy
    contact: Contact
    channel: Channel
    now: datetime = field(default_factory=utcnow)

    def signup(self) -> Conversation:
        return Conversation(self.session, self.vault, self.policy, self.contact, self.channel, self.now)

    def of_kind(self, kind: DialogKind) -> Dialog:
        if kind is DialogKind.SIGNUP:
            return self.signup()
        if kind is DialogKind.SURVEY:
            from surveys.engine import SurveyConversation

            survey: Dialog = SurveyConversation(self.session, self.contact, self.channel, now=self.now)
            return survey
        from hearings.service import HearingConversation

        hearing: Dialog = HearingConversation(self.session, self.contact, self.channel, now=self.now)
        return hearing

    def current(self) -> tuple[DialogKind, Dialog] | None:
        """The conversation the person is in, by their dialog state."""
        kind = kind_of_state(self.contact.dialog_state)
        return (kind, self.of_kind(kind)) if kind is not None else None
