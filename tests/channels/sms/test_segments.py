"""SMS segment counting: encodings, limits and the pairs that must never be split."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.sms.segments import SegmentInfo, SmsEncoding, count_segments, estimate_cost, is_gsm7
from tests.fakes import twilio_segments

GSM7, UCS2 = SmsEncoding.GSM7, SmsEncoding.UCS2

_GSM7_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = "\f^{}\\[~]|€"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", SegmentInfo(GSM7, 0, 1, 160, 160), id="empty-counts-one-like-twilio"),
        pytest.param("Marneuli", SegmentInfo(GSM7, 8, 1, 160, 152), id="en"),
        pytest.param("Dmanisi bələdiyyəsi", SegmentInfo(UCS2, 19, 1, 70, 51), id="az-schwa"),
        pytest.param("Dmanisi belediyyesi", SegmentInfo(GSM7, 19, 1, 160, 141), id="az-without-schwa"),
        pytest.param("başla", SegmentInfo(UCS2, 5, 1, 70, 65), id="az-s-cedilla"),
        pytest.param("ağ", SegmentInfo(UCS2, 2, 1, 70, 68), id="az-g-breve"),
        pytest.param("sıra", SegmentInfo(UCS2, 4, 1, 70, 66), id="az-dotless-i"),
        pytest.param("çay", SegmentInfo(UCS2, 3, 1, 70, 67), id="small-c-cedilla-not-in-etsi-table"),
        pytest.param("Çay", SegmentInfo(GSM7, 3, 1, 160, 157), id="capital-c-cedilla-is-gsm7"),
        pytest.param("kömək", SegmentInfo(UCS2, 5, 1, 70, 65), id="az-o-umlaut-with-schwa"),
        pytest.param("Gömüldü Ölü Üzüm", SegmentInfo(GSM7, 16, 1, 160, 144), id="o-u-umlauts-are-gsm7"),
        pytest.param("café à Ñoño", SegmentInfo(GSM7, 11, 1, 160, 149), id="accented-latin-in-table"),
        pytest.param("Ñandú", SegmentInfo(UCS2, 5, 1, 70, 65), id="u-acute-not-in-table"),
        pytest.param("მარნეული", SegmentInfo(UCS2, 8, 1, 70, 62), id="ka"),
        pytest.param("Մառնեուլի", SegmentInfo(UCS2, 9, 1, 70, 61), id="hy"),
        pytest.param("Կգա՞ք։", SegmentInfo(UCS2, 6, 1, 70, 64), id="hy-punctuation"),
        pytest.param("Марнеули", SegmentInfo(UCS2, 8, 1, 70, 62), id="ru"),
        pytest.param("ΔΦΓΛΩΠΨΣΘΞ", SegmentInfo(GSM7, 10, 1, 160, 150), id="greek-capitals-in-table"),
        pytest.param("αβ", SegmentInfo(UCS2, 2, 1, 70, 68), id="greek-small-not-in-table"),
        pytest.param("5€ [a]", SegmentInfo(GSM7, 9, 1, 160, 151), id="extension-counts-two"),
        pytest.param("a\fb", SegmentInfo(GSM7, 4, 1, 160, 156), id="form-feed-is-extension"),
        pytest.param("a\tb", SegmentInfo(UCS2, 3, 1, 70, 67), id="tab-not-in-table"),
        pytest.param("Hi 👋", SegmentInfo(UCS2, 5, 1, 70, 65), id="emoji-is-a-surrogate-pair"),
        pytest.param("“quoted”", SegmentInfo(UCS2, 8, 1, 70, 62), id="curly-quotes-force-ucs2"),
        pytest.param("მარნეული " * 10, SegmentInfo(UCS2, 90, 2, 67, 44), id="ka-two-parts"),
        pytest.param("Marneuli " * 20, SegmentInfo(GSM7, 180, 2, 153, 126), id="en-two-parts"),
    ],
)
def test_count_segments_known_texts(text: str, expected: SegmentInfo) -> None:
    assert count_segments(text) == expected


@pytest.mark.parametrize(
    ("text", "segments", "units_left"),
    [
        pytest.param("a" * 160, 1, 0, id="gsm7-160-fits-one"),
        pytest.param("a" * 161, 2, 153 - 8, id="gsm7-161-needs-two"),
        pytest.param("a" * 306, 2, 0, id="gsm7-153x2-fills-two"),
        pytest.param("a" * 307, 3, 152, id="gsm7-153x2-plus-one"),
        pytest.param("€" * 80, 1, 0, id="gsm7-80-escapes-fill-one"),
        pytest.param("a" + "€" * 80, 2, 153 - 8, id="gsm7-escape-over-160"),
        pytest.param("ა" * 70, 1, 0, id="ucs2-70-fits-one"),
        pytest.param("ა" * 71, 2, 67 - 4, id="ucs2-71-needs-two"),
        pytest.param("ა" * 134, 2, 0, id="ucs2-67x2-fills-two"),
        pytest.param("ა" * 135, 3, 66, id="ucs2-67x2-plus-one"),
        pytest.param("😀" * 35, 1, 0, id="ucs2-35-emoji-fill-one"),
    ],
)
def test_count_segments_boundaries(text: str, segments: int, units_left: int) -> None:
    info = count_segments(text)
    assert (info.segments, info.units_left) == (segments, units_left)


def test_escape_pair_is_not_split_across_parts() -> None:
    # 152 plain septets then a euro sign: 154 septets, but the escape pair cannot start at septet 153,
    # so part one holds 152 and part two opens with the pair; 9 more plain characters fill 163 units.
    info = count_segments("a" * 152 + "€" + "b" * 9)
    assert info == SegmentInfo(GSM7, 163, 2, 153, 153 - 11)


def test_escape_pairs_can_add_a_part_a_plain_count_would_not() -> None:
    # 153 per part would give ceil(306/153) = 2, but each part holds only 76 pairs (152 septets).
    info = count_segments("€" * 153)
    assert info.units == 306
    assert info.segments == 3


def test_surrogate_pair_is_not_split_across_parts() -> None:
    info = count_segments("ა" * 66 + "😀" + "ა" * 5)
    assert info == SegmentInfo(UCS2, 73, 2, 67, 67 - 7)


def test_lone_surrogate_is_counted_not_raised() -> None:
    assert count_segments("a\ud800b") == SegmentInfo(UCS2, 3, 1, 70, 67)


def test_estimate_cost_bills_every_segment() -> None:
    info = count_segments("ა" * 71)
    assert estimate_cost(info.segments, Decimal("0.0725")) == Decimal("0.1450")
    assert estimate_cost(0, Decimal("0.0725")) == Decimal("0")
    assert estimate_cost(3, Decimal("0.05")) == Decimal("0.15")


@pytest.mark.parametrize(("segments", "price"), [(-1, Decimal("0.05")), (1, Decimal("-0.05"))])
def test_estimate_cost_rejects_negative_input(segments: int, price: Decimal) -> None:
    with pytest.raises(ValueError, match="negative"):
        estimate_cost(segments, price)


def test_is_gsm7_covers_both_tables() -> None:
    assert is_gsm7(_GSM7_ALPHABET + _GSM7_EXTENSION)
    assert not is_gsm7("ə")


@given(st.text())
def test_never_crashes_and_is_consistent(text: str) -> None:
    info = count_segments(text)
    limit = 160 if info.encoding is GSM7 else 70
    assert info.units >= len(text)
    assert 0 <= info.units_left <= info.units_per_segment
    assert (info.segments == 1) == (info.units <= limit)
    assert info.segments * info.units_per_segment >= info.units


_MIXED = st.one_of(st.characters(), st.sampled_from(_GSM7_ALPHABET + _GSM7_EXTENSION))
_LONG = st.sampled_from(["ab€{", "aა😀"]).flatmap(lambda chars: st.text(chars, min_size=60, max_size=400))


@given(st.one_of(st.text(alphabet=_MIXED), _LONG))
def test_agrees_with_the_fake_twilio_reference(text: str) -> None:
    reference = twilio_segments.count_segments(text)
    info = count_segments(text)
    assert (str(info.encoding), info.units, info.segments) == (
        str(reference.encoding),
        reference.units,
        reference.segments,
    )


@given(st.text(alphabet=_GSM7_ALPHABET + _GSM7_EXTENSION))
def test_gsm_only_text_is_never_ucs2(text: str) -> None:
    assert count_segments(text).encoding is GSM7


@given(st.text(alphabet=_GSM7_ALPHABET + _GSM7_EXTENSION), st.sampled_from(_GSM7_ALPHABET + _GSM7_EXTENSION))
def test_gsm7_segments_never_drop_when_text_grows(text: str, extra: str) -> None:
    assert count_segments(text + extra).segments >= count_segments(text).segments


@given(st.text(alphabet="აბგ😀ə"), st.sampled_from("აბგ😀ə"))
def test_ucs2_segments_never_drop_when_text_grows(text: str, extra: str) -> None:
    longer = text + extra
    assert count_segments(longer).encoding is UCS2
    assert count_segments(longer).segments >= count_segments(text).segments
