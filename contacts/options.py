"""The fixed menus of the sign-up: stable codes (stored, sent in callback data) and catalog labels."""

from __future__ import annotations

from collections.abc import Mapping

from channels.message import N_

TOPICS: Mapping[str, str] = {
    "hearings": N_("Public hearings"),
    "polls": N_("Surveys and votes"),
    "budget": N_("Municipal budget"),
    "action_plan": N_("Action plan"),
    "news": N_("Municipality news"),
}

AGE_BANDS: Mapping[str, str] = {
    "16-24": N_("16–24"),
    "25-34": N_("25–34"),
    "35-49": N_("35–49"),
    "50-64": N_("50–64"),
    "65+": N_("65 or older"),
    "na": N_("Prefer not to say"),
}

GENDERS: Mapping[str, str] = {
    "woman": N_("Woman"),
    "man": N_("Man"),
    "na": N_("Prefer not to say"),
}

# Special-category questions (PRIVACY.md req. 2): asked only after a second, explicit consent.
GROUPS: Mapping[str, str] = {
    "ethnic_minority": N_("Do you belong to an ethnic minority?"),
    "disability": N_("Are you a person with disability?"),
    "displaced": N_("Are you an internally displaced person?"),
}

GROUP_ANSWERS: Mapping[str, str] = {
    "yes": N_("Yes"),
    "no": N_("No"),
    "na": N_("Prefer not to say"),
}

PREFER_NOT = "na"
