"""Hostile input to every parser of files and text: zero crashes, a clear error, nothing half-built.

Each parser either returns its result or raises its own documented error (whose message says what is
wrong); any other exception is a crash and fails the test. Examples are few (`max_examples` modest) so
`make test` stays fast; the bombs and the 100,000-row file are fixed cases.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from campaigns.definition import CampaignDraft
from campaigns.errors import InvalidDefinition
from channels.i18n import render
from channels.textnorm import normalize_reply
from contacts import importer
from handlers.sms.keywords import Keyword, match_keyword
from storage.models import Municipality
from surveys.xlsform import XLSFormError, load_survey_xlsform
from surveys.yaml_format import SurveyFormatError, load_survey_yaml
from tests.surveys.test_xlsform import workbook

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD_XLSX = workbook()
GOOD_SURVEY = (ROOT / "surveys" / "examples" / "budget_flash_poll.yaml").read_text(encoding="utf-8")
GOOD_CAMPAIGN = (ROOT / "campaigns" / "examples" / "hearing_notice.yaml").read_text(encoding="utf-8")
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(8)
)

# Values that broke parsers elsewhere: control characters, surrogates' neighbours, RTL marks, huge numbers.
NASTY = st.sampled_from(
    ["", "\x00", "\u202e", "\ufeff", "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "1e309", "9" * 400,
     "ქართული", "Azərbaycan", "Հայերեն", "русский", "\r\n", "\t", '"', "'", "${x}", "{{x}}", "%s", "{0}"]
)  # fmt: skip
TEXT = st.one_of(NASTY, st.text(max_size=80))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT)
YAML_VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(TEXT, st.integers()), inner, max_size=4)
    ),
    max_leaves=12,
)


def _built_or_refused(build: Callable[[], object], refusal: type[Exception]) -> bool:
    """True when `build` returns, or raises `refusal` with a message; anything else propagates (a crash)."""
    try:
        build()
    except refusal as error:
        return bool(str(error))
    return True


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    buffer = bytearray(data)
    for position, value in edits:
        buffer[position % len(buffer)] = value
    return bytes(buffer)


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


# -- XLSForm ------------------------------------------------------------------------------------------


@FAST
@given(st.binary(max_size=2000))
@example(b"")
@example(b"PK\x03\x04")
def test_any_bytes_are_a_survey_or_an_xlsform_error(data: bytes) -> None:
    assert _built_or_refused(lambda: load_survey_xlsform(data), XLSFormError)


@FAST
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
@example([(36575, 64)])  # found by this test: a central directory entry asking for zip version 6.4
def test_a_damaged_workbook_is_a_survey_or_an_xlsform_error(edits: list[tuple[int, int]]) -> None:
    assert _built_or_refused(lambda: load_survey_xlsform(_mutate(GOOD_XLSX, edits)), XLSFormError)


def test_a_workbook_asking_for_a_zip_version_python_cannot_read_is_an_xlsform_error() -> None:
    """zipfile raises NotImplementedError, not BadZipFile, for a version it does not know."""
    entry = GOOD_XLSX.index(b"PK\x01\x02")  # the first central directory entry
    version_needed = entry + 6
    damaged = GOOD_XLSX[:version_needed] + bytes([64, 0]) + GOOD_XLSX[version_needed + 2 :]
    with pytest.raises(XLSFormError) as refused:
        load_survey_xlsform(damaged)
    assert "not an .xlsx workbook" in render(refused.value.problems[0].text, "en")


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
                         "xl/sharedStrings.xml", "xl/_rels/workbook.xml.rels", "../../etc/passwd"]),
        st.one_of(st.binary(max_size=300), st.just(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>")),
        max_size=6,
    )
)  # fmt: skip
def test_a_zip_of_hostile_members_is_an_xlsform_error(members: dict[str, bytes]) -> None:
    with pytest.raises(XLSFormError):
        load_survey_xlsform(_zip_of(members))


@FAST
@given(st.lists(st.lists(TEXT, min_size=1, max_size=6), max_size=6))
def test_a_workbook_of_hostile_cells_is_a_survey_or_an_xlsform_error(rows: list[list[str]]) -> None:
    data = workbook(survey=[[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in rows])
    assert _built_or_refused(lambda: load_survey_xlsform(data), XLSFormError)


# -- survey and campaign YAML -------------------------------------------------------------------------


def _as_yaml(value: object) -> str:
    return yaml.safe_dump(value, allow_unicode=True)


@FAST
@given(st.one_of(TEXT, YAML_VALUE.map(_as_yaml), st.text(alphabet="-:[]{}&*!|>'\"%@` \n#ab1", max_size=120)))
@example(BILLION_LAUGHS)
@example("x: !!python/object/apply:os.system ['true']")
@example(GOOD_SURVEY.replace("questions:", "questions: &q"))
def test_any_survey_yaml_is_a_survey_or_a_format_error(text: str) -> None:
    assert _built_or_refused(lambda: load_survey_yaml(text), SurveyFormatError)


@FAST
@given(st.lists(st.tuples(st.integers(0, 10**5), st.characters()), min_size=1, max_size=6))
def test_a_damaged_survey_file_is_a_survey_or_a_format_error(edits: list[tuple[int, str]]) -> None:
    text = list(GOOD_SURVEY)
    for position, char in edits:
        text[position % len(text)] = char
    assert _built_or_refused(lambda: load_survey_yaml("".join(text)), SurveyFormatError)


@FAST
@given(st.one_of(TEXT, YAML_VALUE.map(_as_yaml)))
@example(BILLION_LAUGHS)
@example("name: x\nsteps: !!python/name:os.system\n")
def test_any_campaign_yaml_is_a_draft_or_an_invalid_definition(text: str) -> None:
    assert _built_or_refused(lambda: CampaignDraft.from_yaml(text), InvalidDefinition)


@FAST
@given(st.lists(st.tuples(st.integers(0, 10**5), st.characters()), min_size=1, max_size=6))
def test_a_damaged_campaign_file_is_a_draft_or_an_invalid_definition(edits: list[tuple[int, str]]) -> None:
    text = list(GOOD_CAMPAIGN)
    for position, char in edits:
        text[position % len(text)] = char
    assert _built_or_refused(lambda: CampaignDraft.from_yaml("".join(text)), InvalidDefinition)


_SURVEY_DATA = yaml.safe_load(GOOD_SURVEY)
_CAMPAIGN_DATA = yaml.safe_load(GOOD_CAMPAIGN)


def _with(document: dict[str, object], key: str, value: object, inner: str | None = None) -> str:
    """The good file with one setting (or one of its first item's settings) replaced by `value`."""
    if inner is None:
        return _as_yaml({**document, key: value})
    items = document[inner]
    assert isinstance(items, list)
    return _as_yaml({**document, inner: [{**items[0], key: value}, *items[1:]]})


@FAST
@given(
    st.one_of(
        st.builds(_with, st.just(_SURVEY_DATA), st.sampled_from([*_SURVEY_DATA, "settings"]), YAML_VALUE),
        st.builds(
            _with, st.just(_SURVEY_DATA), st.sampled_from(["type", "text", "choices", "relevant", "constraint",
                                                           "required", "min", "max"]),
            YAML_VALUE, st.just("questions"),
        ),
    )
)  # fmt: skip
def test_a_good_survey_with_one_value_of_any_kind_is_a_survey_or_a_format_error(text: str) -> None:
    assert _built_or_refused(lambda: load_survey_yaml(text), SurveyFormatError)


@FAST
@given(
    st.one_of(
        st.builds(_with, st.just(_CAMPAIGN_DATA), st.sampled_from([*_CAMPAIGN_DATA, "fallback_language"]),
                  YAML_VALUE),
        st.builds(
            _with, st.just(_CAMPAIGN_DATA), st.sampled_from(["texts", "links", "survey_id", "media_url",
                                                             "schedule", "urgent"]),
            YAML_VALUE, st.just("steps"),
        ),
    )
)  # fmt: skip
def test_a_good_campaign_with_one_value_of_any_kind_is_a_draft_or_invalid(text: str) -> None:
    assert _built_or_refused(lambda: CampaignDraft.from_yaml(text), InvalidDefinition)


def test_alias_bombs_are_refused_quickly_in_both() -> None:
    started = time.perf_counter()
    with pytest.raises(SurveyFormatError, match="alias"):
        load_survey_yaml(BILLION_LAUGHS)
    with pytest.raises(InvalidDefinition):
        CampaignDraft.from_yaml(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0


# -- contacts CSV -------------------------------------------------------------------------------------

PLACES = [
    Municipality(id=1, code="marneuli", names={"ka": "მარნეული", "az": "Marneuli"}, official_names={}),
    Municipality(id=2, code="ninotsminda", names={"hy": "Նինոծմինդա"}, official_names={}),
]
HEADER = "phone,language,municipality,consent_source,consent_date,topics\n"
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251", "latin-1", "cp1252"])


def _read(data: bytes) -> importer.ImportPlan:
    return importer.read_contacts(data, PLACES, now=NOW)


@FAST
@given(st.binary(max_size=3000))
def test_any_bytes_are_a_plan_with_rows_or_problems(data: bytes) -> None:
    plan = _read(data)
    assert plan.valid or all(problem.line >= 1 for problem in plan.problems)


@FAST
@given(
    st.lists(st.lists(TEXT, min_size=0, max_size=7), max_size=15),
    st.sampled_from([",", ";", "\t"]),
    ENCODINGS,
)
def test_hostile_rows_in_any_encoding_are_read_or_reported_by_line(
    rows: list[list[str]], separator: str, encoding: str
) -> None:
    lines = [HEADER.replace(",", separator)] + [separator.join(row) + "\n" for row in rows]
    text = "".join(lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    plan = _read(data)
    if encoding in ("utf-16", "cp1251", "latin-1", "cp1252") and data.decode("utf-8", "ignore") != text:
        return  # not UTF-8: reported as one problem (checked below), never a crash
    for row in plan.rows:
        assert row.phone.startswith("+")


def test_a_file_that_is_not_utf8_says_so() -> None:
    plan = _read((HEADER + "+995599123456,ru,marneuli,форма,2026-11-01,\n").encode("cp1251"))
    assert not plan.valid
    assert "UTF-8" in plan.problems[0].reason


def test_formula_cells_are_text_never_evaluated_and_bad_numbers_are_named() -> None:
    data = (
        HEADER
        + '+995599123456,ka,marneuli,"=HYPERLINK(""http://x"",""y"")",2026-11-01,\n'
        + "=1+1,ka,marneuli,paper form,2026-11-01,\n"
        + "@SUM(A1),ka,marneuli,paper form,2026-11-01,\n"
    ).encode()
    plan = _read(data)
    assert [row.consent_source for row in plan.rows] == ['=HYPERLINK("http://x","y")']
    assert sorted({(problem.line, problem.column) for problem in plan.problems}) == [
        (3, "phone"),
        (4, "phone"),
    ]


def test_a_hundred_thousand_rows_are_read_in_reasonable_time() -> None:
    body = "".join(f"+99559{n:07d},ka,marneuli,paper form,2026-11-01,roads\n" for n in range(100_000))
    started = time.perf_counter()
    plan = _read((HEADER + body).encode())
    elapsed = time.perf_counter() - started
    assert len(plan.rows) + len(plan.problems) >= 100_000
    assert elapsed < 60, f"100,000 rows took {elapsed:.1f} s"


# -- SMS text: normalisation and keywords --------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
@example("\u0000STOP\u202e")
@example("ＳＴＯＰ")
@example("s\u0301top")
def test_normalisation_and_keywords_never_crash_and_normalising_is_stable(text: str) -> None:
    once = normalize_reply(text)
    assert normalize_reply(once) == once
    found = match_keyword(text)
    assert found is None or isinstance(found, Keyword)
