"""Reading a framework file: `load_framework(text_or_path)`, format in benchmarking/FORMAT.md.

Every problem is reported at once, each with its line and path (`line 42: dimensions[1].indicators[0]
.weight: must be a number above 0`), and nothing is returned unless the whole file is sound. YAML
aliases are refused outright (an alias bomb cannot expand), and so are files over 1 MB.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from benchmarking.framework import (
    LANGUAGES,
    AnswerKey,
    Dimension,
    Figure,
    Framework,
    FrameworkError,
    Indicator,
    Reference,
    Source,
    Target,
)
from storage import safe_yaml
from surveys.definition import CHOICE_VALUE_PATTERN

DEFAULT_PATH = Path(__file__).resolve().parent / "frameworks" / "default.yaml"
MAX_BYTES = 1_000_000
_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")
Path_ = tuple[str | int, ...]

_TOP = {"code", "version", "title", "references", "dimensions"}
_DIMENSION = {"code", "weight", "principles", "guidelines", "label", "indicators"}
_INDICATOR = {
    "code",
    "weight",
    "source",
    "label",
    "target",
    "figure",
    "survey",
    "question",
    "scores",
    "otherwise",
}
_NEEDS = {
    Source.SURVEY: {"survey", "question", "scores"},
    Source.SYSTEM: {"figure", "target"},
    Source.SELF_ASSESSMENT: {"target"},
}
_ALLOWED = {
    Source.SURVEY: {"survey", "question", "scores", "otherwise"},
    Source.SYSTEM: {"figure", "target"},
    Source.SELF_ASSESSMENT: {"target"},
}


@cache
def default_framework() -> Framework:
    """The framework shipped with the bot (frameworks/default.yaml), read once."""
    return load_framework(DEFAULT_PATH)


def load_framework(source: str | Path) -> Framework:
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise FrameworkError([f"line 1: the file is larger than {MAX_BYTES // 1000} kB"])
    root = _compose(text)
    checker = _Checker(_lines(root))
    framework = checker.framework(safe_yaml.load(text))
    if checker.problems or framework is None:
        raise FrameworkError(checker.problems or ["line 1: the file is empty"])
    return framework


def _compose(text: str) -> yaml.Node | None:
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise FrameworkError([f"line {line}: YAML aliases (*name) are not allowed"])
        return safe_yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise FrameworkError([f"line {line}: not valid YAML: {exc.problem or exc}"]) from None


def _lines(node: yaml.Node | None) -> dict[Path_, int]:
    """The line each value starts on, by its path in the document."""
    found: dict[Path_, int] = {}

    def walk(item: yaml.Node, path: Path_) -> None:
        found[path] = item.start_mark.line + 1
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                walk(value, (*path, str(key.value)))
        elif isinstance(item, yaml.SequenceNode):
            for index, value in enumerate(item.value):
                walk(value, (*path, index))

    if node is not None:
        walk(node, ())
    return found


def _shown(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class _Checker:
    def __init__(self, lines: Mapping[Path_, int]) -> None:
        self.lines = lines
        self.problems: list[str] = []
        self.codes: set[str] = set()
        self.questions: set[tuple[str, str]] = set()

    def fail(self, path: Path_, message: str) -> None:
        line = next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), 1)
        self.problems.append(f"line {line}: {_shown(path)}: {message}")

    def mapping(self, value: Any, path: Path_, keys: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping (key: value)")
            return None
        for key in value:
            if str(key) not in keys:
                self.fail((*path, str(key)), f"unknown key; expected one of {', '.join(sorted(keys))}")
        return {str(key): item for key, item in value.items()}

    def text(self, value: Any, path: Path_) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a text")
            return ""
        return value.strip()

    def code(self, value: Any, path: Path_) -> str:
        code = self.text(value, path)
        if code and not _CODE.match(code):
            self.fail(path, "a code is a-z, 0-9, _ and -, starting with a letter, up to 60 characters")
        return code

    def weight(self, value: Any, path: Path_) -> float:
        number = _number(value)
        if number is None or number <= 0:
            self.fail(path, "must be a number above 0")
            return 1.0
        return number

    def labels(self, value: Any, path: Path_) -> dict[str, str]:
        found = self.mapping(value, path, set(LANGUAGES)) or {}
        for lang in LANGUAGES:
            if lang not in found:
                self.fail(path, f"the {lang} text is missing")
            else:
                found[lang] = self.text(found[lang], (*path, lang))
        return found

    def framework(self, data: Any) -> Framework | None:
        if data is None:
            return None
        top = self.mapping(data, (), _TOP)
        if top is None:
            return None
        for key in ("code", "title", "dimensions"):
            if key not in top:
                self.fail((), f"{key} is missing")
        listed = self.sequence(top["references"], ("references",)) if "references" in top else []
        references = tuple(self.reference(item, ("references", n)) for n, item in enumerate(listed))
        dimensions = tuple(
            self.dimension(item, ("dimensions", n))
            for n, item in enumerate(self.sequence(top.get("dimensions"), ("dimensions",)))
        )
        seen: set[str] = set()
        for n, dimension in enumerate(dimensions):
            if dimension.code in seen:
                self.fail(("dimensions", n, "code"), f"{dimension.code} is used twice")
            seen.add(dimension.code)
        return Framework(
            self.code(top.get("code"), ("code",)),
            str(top.get("version", "1")),
            self.labels(top.get("title"), ("title",)),
            references,
            dimensions,
        )

    def sequence(self, value: Any, path: Path_) -> list[Any]:
        if not isinstance(value, list) or not value:
            self.fail(path, "must be a list with at least one item")
            return []
        return value

    def reference(self, value: Any, path: Path_) -> Reference:
        item = self.mapping(value, path, {"key", "title", "url"}) or {}
        return Reference(*(self.text(item.get(key), (*path, key)) for key in ("key", "title", "url")))

    def dimension(self, value: Any, path: Path_) -> Dimension:
        item = self.mapping(value, path, _DIMENSION) or {}
        code = self.code(item.get("code"), (*path, "code"))
        principles = item.get("principles", [])
        if not isinstance(principles, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 12 for p in principles
        ):
            self.fail((*path, "principles"), "must list principle numbers from 1 to 12")
            principles = []
        indicators = tuple(
            self.indicator(entry, (*path, "indicators", n), code)
            for n, entry in enumerate(self.sequence(item.get("indicators"), (*path, "indicators")))
        )
        return Dimension(
            code,
            self.weight(item.get("weight"), (*path, "weight")),
            tuple(principles),
            str(item.get("guidelines") or ""),
            self.labels(item.get("label"), (*path, "label")),
            indicators,
        )

    def indicator(self, value: Any, path: Path_, dimension: str) -> Indicator:
        item = self.mapping(value, path, _INDICATOR) or {}
        code = self.code(item.get("code"), (*path, "code"))
        if code in self.codes:
            self.fail((*path, "code"), f"{code} is used twice")
        self.codes.add(code)
        weight = self.weight(item.get("weight"), (*path, "weight"))
        label = self.labels(item.get("label"), (*path, "label"))
        try:
            source = Source(str(item.get("source")))
        except ValueError:
            self.fail((*path, "source"), f"must be one of {', '.join(s.value for s in Source)}")
            return Indicator(code, dimension, weight, Source.SELF_ASSESSMENT, label)
        for key in sorted(_NEEDS[source] - item.keys()):
            self.fail(path, f"a {source} indicator needs {key}")
        common = {"code", "weight", "source", "label"}
        for key in sorted(item.keys() & (_INDICATOR - _ALLOWED[source] - common)):
            self.fail((*path, key), f"does not apply to a {source} indicator")
        target = self.target(item["target"], (*path, "target")) if "target" in item else None
        if source is Source.SURVEY:
            return self.survey(item, path, code, dimension, weight, label)
        figure = None
        if source is Source.SYSTEM and "figure" in item:
            try:
                figure = Figure(item["figure"])
            except ValueError:
                self.fail((*path, "figure"), f"must be one of {', '.join(f.value for f in Figure)}")
        return Indicator(code, dimension, weight, source, label, target=target, figure=figure)

    def target(self, value: Any, path: Path_) -> Target | None:
        item = self.mapping(value, path, {"worst", "best"})
        if item is None:
            return None
        worst, best = _number(item.get("worst")), _number(item.get("best"))
        if worst is None or best is None:
            self.fail(path, "needs numbers worst (scores 0) and best (scores 100)")
            return None
        if worst == best:
            self.fail(path, "worst and best must differ")
            return None
        return Target(worst, best)

    def survey(
        self,
        item: dict[str, Any],
        path: Path_,
        code: str,
        dimension: str,
        weight: float,
        label: dict[str, str],
    ) -> Indicator:
        listed = item.get("survey")
        listed = listed if isinstance(listed, list) and listed else [listed] if "survey" in item else []
        surveys = tuple(self.text(code, (*path, "survey")) for code in listed)
        question = self.text(item.get("question"), (*path, "question")) if "question" in item else ""
        for survey in surveys:
            if (survey, question) in self.questions:
                self.fail((*path, "question"), f"{survey} {question} is already scored by another indicator")
            self.questions.add((survey, question))
        scores: list[tuple[AnswerKey, float]] = []
        raw = item.get("scores")
        if "scores" in item and (not isinstance(raw, dict) or not raw):
            self.fail((*path, "scores"), "must map answer values to scores from 0 to 100")
        for key, score in (raw or {}).items() if isinstance(raw, dict) else ():
            where = (*path, "scores", str(key))
            if isinstance(key, bool) or not isinstance(key, str | int | float):
                self.fail(where, 'an answer value is a text or a number (write "yes" and "no" in quotes)')
                continue
            if isinstance(key, str) and not CHOICE_VALUE_PATTERN.fullmatch(key):
                # The answer tallies keep option values only; free text is scored by `otherwise` alone.
                self.fail(where, "a text answer value is an option's value (a-z, 0-9, - and _, up to 20)")
                continue
            scores.append((key, self.score(score, where)))
        otherwise = self.score(item["otherwise"], (*path, "otherwise")) if "otherwise" in item else None
        distinct = {score for _, score in scores} | ({otherwise} if otherwise is not None else set())
        if scores and len(distinct) < 2:
            self.fail((*path, "scores"), "every answer gets the same score, so it measures nothing")
        return Indicator(
            code,
            dimension,
            weight,
            Source.SURVEY,
            label,
            surveys=surveys,
            question=question,
            scores=tuple(scores),
            otherwise=otherwise,
        )

    def score(self, value: Any, path: Path_) -> float:
        number = _number(value)
        if number is None or not 0 <= number <= 100:
            self.fail(path, "a score is a number from 0 to 100")
            return 0.0
        return number
