"""A hostile workbook is refused from its zip directory before anything unpacks it."""

from __future__ import annotations

import io
import zipfile

import pytest

from surveys.xlsform import XLSFormError, load_survey_xlsform


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_without_unpacking() -> None:
    bomb = _zip({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b" " * (60 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    with pytest.raises(XLSFormError, match="would unpack to 60 MB"):
        load_survey_xlsform(bomb)


def test_a_highly_compressed_small_file_is_refused_too() -> None:
    dense = _zip({"xl/sharedStrings.xml": b"a" * (5 * 1024 * 1024)})
    with pytest.raises(XLSFormError, match="times its size"):
        load_survey_xlsform(dense)


def test_not_a_zip_at_all_says_so() -> None:
    with pytest.raises(XLSFormError, match=r"not an \.xlsx workbook"):
        load_survey_xlsform(b"name,label\nq1,Question\n")
