"""Which conversation a typed answer belongs to: by dialog state, or by an entry choice's namespace."""

from __future__ import annotations

import pytest

from handlers.dialogs import DialogKind, kind_of_entry, kind_of_state


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        pytest.param("onboarding.consent", DialogKind.SIGNUP, id="onboarding"),
        pytest.param("profile.age", DialogKind.SIGNUP, id="profile"),
        pytest.param("settings.topics", DialogKind.SIGNUP, id="settings"),
        pytest.param("privacy.delete", DialogKind.SIGNUP, id="privacy"),
        pytest.param("survey.12", DialogKind.SURVEY, id="survey"),
        pytest.param("hearing.question.3", DialogKind.HEARING, id="hearing"),
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param("surveys.12", None, id="lookalike"),
        pytest.param("admin.broadcast", None, id="unknown"),
    ],
)
def test_kind_of_state(state: str | None, kind: DialogKind | None) -> None:
    assert kind_of_state(state) is kind


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        pytest.param("sv:3:go", DialogKind.SURVEY, id="poll-invitation"),
        pytest.param("hr:7:go", DialogKind.HEARING, id="rsvp"),
        pytest.param("hq:7", DialogKind.HEARING, id="question"),
        pytest.param("sa:1:0:2", None, id="survey-answer-needs-its-dialog"),
        pytest.param("lang:ka", None, id="sign-up-needs-its-dialog"),
    ],
)
def test_kind_of_entry(data: str, kind: DialogKind | None) -> None:
    assert kind_of_entry(data) is kind
