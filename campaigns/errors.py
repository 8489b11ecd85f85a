"""Refusals a campaign service gives, each carrying its explanation as catalog text.

The same refusal reaches an officer in Telegram (rendered in their language) and a coordinator at the
CLI (rendered in English, which is also what `str()` gives), so the message is a `Text`, not a string.
"""

from __future__ import annotations

from channels.i18n import render
from channels.message import Text


class CampaignError(Exception):
    """Base of every refusal; `message` says what was wrong in words the person can act on."""

    def __init__(self, message: Text) -> None:
        self.message = message
        super().__init__(render(message, "en"))


class InvalidDefinition(CampaignError):
    """A campaign file, audience or schedule that does not make sense (nothing was changed)."""


class NotFound(CampaignError):
    """No such campaign or staff member."""


class NotAllowed(CampaignError):
    """The person's role does not allow the action (officer approving, self-approval, not staff)."""


class ScopeDenied(NotAllowed):
    """An officer tried to reach people outside their own municipality; the attempt is in the audit log."""


class MissingLanguage(CampaignError):
    """People of the audience speak a language the campaign has no text for, and there is no fallback."""

    def __init__(self, message: Text, languages: tuple[str, ...]) -> None:
        self.languages = languages
        super().__init__(message)


class InvalidTransition(CampaignError):
    """The campaign is not in a state that allows the action (approving a draft, resuming a running one)."""
