"""The campaign builder's form: from posted fields to the same `CampaignDraft` the CLI's YAML gives,
and the per-language preview (Telegram text, SMS segments, encoding, Latin alternative, cost)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campaigns.audience import AudienceSpec
from campaigns.definition import CampaignDraft
from channels.i18n import LANGUAGES
from channels.sms.segments import SegmentInfo, count_segments, estimate_cost
from channels.sms.transliterate import to_latin


@dataclass(frozen=True)
class SmsPreview:
    text: str
    info: SegmentInfo
    cost: Decimal


@dataclass(frozen=True)
class LanguagePreview:
    language: str
    text: str
    sms: SmsPreview
    latin: SmsPreview | None  # the Latin-mode alternative, when it differs


def _many(form: Any, name: str) -> list[str]:
    getter = getattr(form, "getlist", None)
    values = getter(name) if getter else [form.get(name)] if form.get(name) else []
    return [str(v) for v in values if str(v).strip()]


def texts(form: Mapping[str, Any]) -> dict[str, str]:
    return {
        lang: str(form.get(f"text_{lang}", "")).strip()
        for lang in LANGUAGES
        if str(form.get(f"text_{lang}", "")).strip()
    }


def audience_of(form: Any) -> AudienceSpec:
    return AudienceSpec.from_dict(
        {
            "municipalities": _many(form, "municipality"),
            "channels": _many(form, "channel"),
            "languages": _many(form, "language"),
            "topics": _many(form, "topic"),
        }
    )


def draft_of(form: Any) -> CampaignDraft:
    """The posted builder as a draft, validated by the same rules as a campaign file."""
    written = texts(form)
    send_at = str(form.get("send_at", "")).strip()
    base = str(form.get("base_language", "")) or next(iter(written), "ka")
    return CampaignDraft.from_dict(
        {
            "name": str(form.get("name", "")),
            "audience": audience_of(form).to_dict(),
            "base_language": base,
            "fallback_language": str(form.get("fallback_language", "")) or None,
            "steps": [{"texts": written, "schedule": {"at": send_at} if send_at else "now"}],
        }
    )


def _sms(text: str, price: Decimal) -> SmsPreview:
    info = count_segments(text)
    return SmsPreview(text, info, estimate_cost(info.segments, price))


def preview(written: Mapping[str, str], price: Decimal) -> list[LanguagePreview]:
    result = []
    for lang, text in written.items():
        latin_text = to_latin(text, lang)
        latin = _sms(latin_text, price) if latin_text != text else None
        result.append(LanguagePreview(lang, text, _sms(text, price), latin))
    return result


def missing(needed: tuple[str, ...], written: Mapping[str, str], fallback: str | None) -> list[str]:
    """Languages of the audience with no text, when no written fallback covers them."""
    if fallback and fallback in written:
        return []
    return [lang for lang in needed if lang not in written]
