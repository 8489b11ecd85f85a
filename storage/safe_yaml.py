"""YAML that staff upload (surveys, campaigns, hearings, frameworks), parsed without memory bombs.

`yaml.safe_load` refuses Python objects but still expands aliases: a few hundred bytes of nested `*a`
references ("billion laughs") become billions of nodes and exhaust the memory. Our files never need
anchors, so an alias is an error with its line, and a document over `MAX_BYTES` is refused unread. Kept in
`storage` because every domain that reads a staff file needs it and none owns it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.nodes import Node

MAX_BYTES = 2 * 1024 * 1024  # the largest survey we ship is 12 kB


class NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses `*alias` references (and so every expansion bomb)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(
                None,
                None,
                "aliases (*name) are not allowed in civicbot files; write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def _checked(text: str) -> str:
    if len(text) > MAX_BYTES:
        megabytes = MAX_BYTES // (1024 * 1024)
        raise yaml.YAMLError(f"the file is larger than {megabytes} MB; is it the right file?")
    return text


def load(text: str) -> Any:
    """Parse one YAML document like `yaml.safe_load`, refusing aliases and oversized input."""
    return yaml.load(_checked(text), Loader=NoAliasLoader)  # a SafeLoader subclass


def compose(text: str) -> Node | None:
    """The node tree (with line marks) of one document, under the same rules as `load`."""
    return yaml.compose(_checked(text), Loader=NoAliasLoader)
