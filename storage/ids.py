"""Row ids read from what people send: a command's argument, a button's data, a page's path.

Ids are INTEGER columns: PostgreSQL refuses a parameter past 2**31 − 1 with an error (SQLite does not),
and `str.isdigit` takes "²", which `int` refuses. What no row can have is no id, so callers answer
"not found" instead of failing.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """The row id `text` spells in ASCII digits (surrounding spaces allowed), else None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
