"""Staff YAML is parsed without expansion bombs: aliases refused with their line, huge files unread."""

from __future__ import annotations

import pytest
import yaml

from storage import safe_yaml

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_an_alias_bomb_is_refused_naming_its_line() -> None:
    with pytest.raises(yaml.MarkedYAMLError) as refused:
        safe_yaml.load(BOMB)
    assert "aliases (*name) are not allowed" in str(refused.value)
    assert refused.value.problem_mark is not None
    assert refused.value.problem_mark.line == 1  # the first *a, on line 2


def test_ordinary_documents_load_as_with_safe_load() -> None:
    text = "code: budget\ntitle:\n  ka: ბიუჯეტი\n  hy: Բյուջե\nquestions: [1, 2]\n"
    assert safe_yaml.load(text) == yaml.safe_load(text)
    node = safe_yaml.compose(text)
    assert node is not None and node.start_mark.line == 0


def test_python_tags_are_still_refused() -> None:
    with pytest.raises(yaml.YAMLError):
        safe_yaml.load("x: !!python/object/apply:os.system ['true']")


def test_an_oversized_file_is_refused_unread() -> None:
    with pytest.raises(yaml.YAMLError, match="larger than"):
        safe_yaml.load("x: y\n" * (safe_yaml.MAX_BYTES // 5 + 1))


def test_survey_and_campaign_files_refuse_the_bomb_with_a_clear_error() -> None:
    from campaigns.definition import CampaignDraft
    from campaigns.errors import InvalidDefinition
    from surveys.yaml_format import SurveyFormatError, load_survey_yaml

    with pytest.raises(SurveyFormatError, match=r"line 2.*aliases"):
        load_survey_yaml(BOMB)
    with pytest.raises(InvalidDefinition, match="aliases"):
        CampaignDraft.from_yaml(BOMB)
