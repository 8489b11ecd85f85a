"""An XLSForm written with openpyxl, labelled in Georgian, Azerbaijani and Armenian, as an NGO would send it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

KA, AZ, HY = "label::Georgian (ka)", "label::Azerbaijani (az)", "label::Armenian (hy)"
HEADER = ["type", "name", KA, AZ, HY, "required", "relevant", "constraint", "parameters"]

SURVEY = [
    ["note", "hello", "გამარჯობა!", "Salam!", "Բարև։", "", "", "", ""],
    ["select_one yn", "uses_bus", "იყენებთ ავტობუსს?", "Avtobusdan istifadə edirsinizmi?",
     "Օգտվու՞մ եք ավտոբուսից։", "yes", "", "", ""],
    ["select_multiple problems", "problems", "რა პრობლემებია?", "Hansı problemlər var?",
     "Ի՞նչ խնդիրներ կան։", "yes", "${uses_bus} = 'yes'", "count-selected(.) <= 2", ""],
    ["range", "quality", "შეაფასეთ ხარისხი", "Keyfiyyəti qiymətləndirin", "Գնահատեք որակը", "yes", "", "",
     "start=1 end=5 step=1"],
    ["integer", "trips", "რამდენი მგზავრობა კვირაში?", "Həftədə neçə səfər?", "Քանի՞ ուղևորություն շաբաթական։",
     "yes", "", ". >= 0 and . <= 50", ""],
    ["text", "idea", "თქვენი იდეა", "Sizin ideyanız", "Ձեր գաղափարը", "no", "", "string-length(.) <= 200", ""],
]  # fmt: skip
CHOICES = [
    ["yn", "yes", "დიახ", "Bəli", "Այո"],
    ["yn", "no", "არა", "Xeyr", "Ոչ"],
    ["problems", "late", "აგვიანებს", "Gecikir", "Ուշանում է"],
    ["problems", "crowded", "გადატვირთულია", "Çox sıxdır", "Գերբեռնված է"],
    ["problems", "dirty", "ბინძურია", "Çirklidir", "Կեղտոտ է"],
]
SETTINGS = {"form_id": "bus-survey", "form_title": "Bus", "default_language": "Georgian (ka)"}


def write_form(path: Path, survey: Sequence[Sequence[str]] = SURVEY) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(HEADER)
    for values in survey:
        sheet.append([value or None for value in values])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", KA, AZ, HY])
    for values in CHOICES:
        choices.append(list(values))
    settings = book.create_sheet("settings")
    settings.append(list(SETTINGS))
    settings.append(list(SETTINGS.values()))
    book.save(path)
    return path


def broken_form(path: Path) -> Path:
    """Row 3 uses a type the bot cannot ask, row 6 a constraint function it does not know."""
    survey = [list(values) for values in SURVEY]
    survey[1][0] = "geopoint"
    survey[4][7] = "regex(., '[0-9]+')"
    return write_form(path, survey)
