"""Telegram's HTML parse mode, ported from tdlib's ``parse_html`` (td/telegram/MessageEntity.cpp).

The fake must reject exactly what Telegram rejects, with the same wording, or the bot's escaping
bugs would pass tests and fail in production. So this follows tdlib step by step, including what
it tolerates: a bare ``&`` or ``>`` is kept as text, and only ``<`` starts a tag. ``strict=True``
additionally rejects those two, for tests that want to prove the bot escapes everything.
"""

from __future__ import annotations

from dataclasses import dataclass

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SPACES = frozenset(" \t\r\n\0\v\f")  # tdlib's is_space(); "\0" is also what we read past the end
_ENTITY_NAMES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_LINK_SCHEMES = ("http://", "https://", "tg://", "ton://")
TRIMMED = " \t\r\n\v\f"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(error)`` is tdlib's own message."""


@dataclass
class Entity:
    """One MessageEntity; ``argument`` is the url, language or custom emoji id depending on type."""

    type: str
    offset: int
    length: int
    argument: str = ""

    def to_api(self) -> dict[str, object]:
        """The MessageEntity object as the Bot API returns it."""
        data: dict[str, object] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.type == "text_link":
            data["url"] = self.argument
        elif self.type == "pre" and self.argument:
            data["language"] = self.argument
        elif self.type == "custom_emoji":
            data["custom_emoji_id"] = self.argument
        return data


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the result
    begin: int  # index in the result characters, for <a> without href


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Telegram offset and length limit."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class _Parser:
    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[Entity] = []
        self.stack: list[_OpenTag] = []

    def at(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else "\0"

    def at_byte(self, index: int) -> str:
        """tdlib's position wording: offsets in errors count UTF-8 bytes, not characters."""
        return f"at byte offset {len(self.text[:index].encode('utf-8', 'surrogatepass'))}"

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def decode_entity(self, pos: int) -> tuple[str, int] | None:
        """tdlib decode_html_entity: the character and the position after it, or None to keep '&'."""
        end = pos + 1
        if self.at(pos + 1) == "#":
            end += 1
            code = 0
            if self.at(pos + 2) == "x":
                end += 1
                while self.at(end) in "0123456789abcdefABCDEF":
                    code = code * 16 + int(self.at(end), 16)
                    end += 1
            else:
                while self.at(end).isascii() and self.at(end).isdigit():
                    code = code * 10 + int(self.at(end))
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
            char = chr(code)
        else:
            while self.at(end).isascii() and self.at(end).isalpha():
                end += 1
            name = self.text[pos + 1 : end]
            if name not in _ENTITY_NAMES:
                return None
            char = _ENTITY_NAMES[name]
        if self.at(end) == ";":
            end += 1
        return char, end

    def run(self) -> tuple[str, list[Entity]]:
        surrogate = False
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "&":
                decoded = self.decode_entity(self.pos)
                if decoded is not None:
                    surrogate = surrogate or 0xD800 <= ord(decoded[0]) <= 0xDFFF
                    self.emit(decoded[0])
                    self.pos = decoded[1]
                    continue
                if self.strict:
                    raise self.fail(f'Bare "&" {self.at_byte(self.pos)} (strict fake)')
            if char != "<":
                if self.strict and char == ">":
                    raise self.fail(f'Bare ">" {self.at_byte(self.pos)} (strict fake)')
                self.emit(char)
                self.pos += 1
                continue
            if self.at(self.pos + 1) != "/":
                self.start_tag()
            else:
                self.end_tag()
        if self.stack:
            raise self.fail(f"Can't find end tag corresponding to start tag {self.stack[-1].name}")
        if surrogate:
            raise self.fail(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        for entity in self.entities:
            if entity.type == "code":
                entity.argument = ""
        self.entities.sort(key=lambda e: (e.offset, -e.length))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        begin = self.pos
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        if self.at(i) == "\0":
            raise self.fail(f"Unclosed start tag {self.at_byte(begin)}")
        tag = self.text[begin + 1 : i].lower()
        if tag not in ALLOWED_TAGS:
            raise self.fail(f'Unsupported start tag "{tag}" {self.at_byte(begin)}')
        argument = ""
        while self.at(i) != ">":
            while self.at(i) != "\0" and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ">":
                break
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) != "=":
                i += 1
            attribute = self.text[name_begin:i]
            if not attribute:
                raise self.fail(f'Empty attribute name in the tag "{tag}" {self.at_byte(begin)}')
            while self.at(i) != "\0" and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != "=":
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"{self.at_byte(begin)}"
                )
            i += 1
            while self.at(i) != "\0" and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == "\0":
                raise self.fail(f'Unclosed start tag "{tag}" {self.at_byte(begin)}')
            value, i = self.attribute_value(i)
            if self.at(i) == "\0":
                raise self.fail(f"Unclosed start tag {self.at_byte(begin)}")
            argument = _tag_argument(tag, attribute, value, argument)
        if tag == "span" and argument != "spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" {self.at_byte(begin)}')
        self.stack.append(_OpenTag(tag, argument, self.utf16, len(self.out)))
        self.pos = i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in "'\"":
            token_begin = i
            while (self.at(i).isascii() and self.at(i).isalnum()) or self.at(i) in ".-":
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ">":
                raise self.fail(f"Unexpected end of name token {self.at_byte(token_begin)}")
            return self.text[token_begin:i].lower(), i
        i += 1
        chars: list[str] = []
        while self.at(i) != quote and self.at(i) != "\0":
            if self.at(i) == "&" and (decoded := self.decode_entity(i)) is not None:
                chars.append(decoded[0])
                i = decoded[1]
                continue
            chars.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return "".join(chars), i

    def end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise self.fail(f"Unexpected end tag {self.at_byte(begin)}")
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        end_name = self.text[begin + 2 : i].lower()
        while self.at(i) != "\0" and self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ">":
            raise self.fail(f"Unclosed end tag {self.at_byte(begin)}")
        opened = self.stack[-1]
        if end_name and end_name != opened.name:
            raise self.fail(
                f'Unmatched end tag {self.at_byte(begin)}, expected "</{opened.name}>", found "</{end_name}>"'
            )
        if self.utf16 > opened.offset:
            self.close_entity(opened, self.utf16 - opened.offset)
        self.stack.pop()
        self.pos = i + 1

    def close_entity(self, opened: _OpenTag, length: int) -> None:
        offset = opened.offset
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last.offset == offset and last.length == length
        if opened.name in _SIMPLE_TYPES:
            self.entities.append(Entity(_SIMPLE_TYPES[opened.name], offset, length))
        elif opened.name == "tg-emoji":
            if not opened.argument.lstrip("-").isdigit() or int(opened.argument) == 0:
                raise self.fail("Invalid custom emoji identifier specified")
            self.entities.append(Entity("custom_emoji", offset, length, opened.argument))
        elif opened.name == "a":
            url = _checked_link(opened.argument or "".join(self.out[opened.begin :]))
            if url:
                self.entities.append(Entity("text_link", offset, length, url))
        elif opened.name == "pre":
            if last is not None and same_span and last.type == "code" and last.argument:
                last.type = "pre"
            else:
                self.entities.append(Entity("pre", offset, length))
        elif last is not None and same_span and last.type == "pre" and opened.argument:
            last.argument = opened.argument
        else:
            self.entities.append(Entity("code", offset, length, opened.argument))


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return current


def _checked_link(url: str) -> str:
    """A simplified LinkManager::get_checked_link: an unusable link drops the entity, as in tdlib."""
    url = url.strip()
    if url.lower().startswith(_LINK_SCHEMES):
        return url
    if url and "." in url and " " not in url and "://" not in url:
        return f"http://{url}"
    return ""


def parse_html(text: str, *, strict: bool = False) -> tuple[str, list[Entity]]:
    """Plain text and entities of ``text`` in parse_mode HTML; raises EntityParseError like Telegram."""
    return _Parser(text, strict).run()


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace as Telegram does before sending, keeping entities aligned."""
    stripped = text.strip(TRIMMED)
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(TRIMMED))])
    total = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity.offset - lead, 0)
        end = min(entity.offset + entity.length - lead, total)
        if end > start:
            kept.append(Entity(entity.type, start, end - start, entity.argument))
    return stripped, kept
