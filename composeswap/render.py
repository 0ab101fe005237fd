"""Turning planned steps into text splices that leave every other byte as it was.

A replaced key keeps the end-of-line comment of its first line on the first line of its
replacement; new lines use the file's line ending and the service's own indentation; inside a
flow mapping new values are written in flow style.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from composeswap import yamlsource
from composeswap.errors import ComposeswapError, fail
from composeswap.model import Document, Entry, Layout, Service
from composeswap.steps import Delete, Insert, Rename, Replace, Reset, Step, Value
from composeswap.text import Edit, Source, splice

# After ``key:`` on a block collection's first line: optional anchor/tag, then the comment.
_BLOCK_HEAD = re.compile(r"[ \t]*:((?:[ \t]+[!&][^ \t]*)*)([ \t]*(?:#.*)?)")
_PLAIN_UNSAFE_START = set("-?:,[]{}#&*!|>'\"%@`")
_NOT_STRINGS = re.compile(
    r"""(?x)^(?:
      ~|null|Null|NULL|true|True|TRUE|false|False|FALSE
     |y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF
     |[-+]?(?:0|[1-9][0-9_]*)|0o?[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+
     |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
     |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|<<|=
    )$"""
)


def scalar(value: str, flow: bool = False) -> str:
    """``value`` as a YAML scalar that reads back as the same string: plain when safe."""
    if _plain_safe(value, flow):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    for char in ("\u0085", "\u2028", "\u2029"):  # line breaks to YAML, not to JSON
        quoted = quoted.replace(char, f"\\u{ord(char):04x}")
    return quoted


def _plain_safe(value: str, flow: bool) -> bool:
    if not value or value != value.strip() or value[0] in _PLAIN_UNSAFE_START:
        return False
    if ": " in value or " #" in value or value.endswith(":") or _NOT_STRINGS.match(value):
        return False
    if not yamlsource.reads_as_string(value):  # a date, say, or a YAML 1.1 number
        return False
    if flow and any(char in value for char in ",[]{}"):
        return False
    return value.isprintable()


def rewrites_exactly(document: Document, service: Service, key: str, value: Value) -> bool:
    """Whether writing ``key: value`` at the key's place gives back the very same bytes."""
    entry = service.entries.get(key)
    if entry is None or entry.alias or entry.anchor or entry.layout is Layout.OTHER:
        return False
    body, _tail, _end = _parts(document.source, entry)
    lines = _lines(key, value, entry, _step(service))
    return body == document.source.newline.join(lines)


def edits(document: Document, service: Service, steps: tuple[Step, ...]) -> list[Edit]:
    return [_edit(document, service, step) for step in steps]


def _edit(document: Document, service: Service, step: Step) -> Edit:
    source = document.source
    if isinstance(step, Rename):
        entry = service.entries[step.key]
        return entry.key_start, entry.key_end, _renamed(document, service, entry, step.to)
    if isinstance(step, Replace):
        entry = _editable(document, service, step.key)
        _body, tail, end = _parts(source, entry)
        lines = _lines(step.to, step.value, entry, _step(service))
        lines[0] += tail
        return entry.key_start, end, source.newline.join(lines)
    if isinstance(step, Insert):  # after the entry, which stays as it is: an anchor is fine
        entry = _own_line(document, service, service.entries[step.after])
        keys = [_lines(key, value, entry, _step(service)) for key, value in step.items]
        if entry.flow:
            return entry.value_end, entry.value_end, "".join(", " + lines[0] for lines in keys)
        at = source.line_end(entry.value_end)
        indent = " " * entry.column  # the key's own line; the lines under it come padded
        return (
            at,
            at,
            "".join(source.newline + indent + source.newline.join(lines) for lines in keys),
        )
    return _deletion(document, service, step)


def _deletion(document: Document, service: Service, step: Delete) -> Edit:
    entry = _editable(document, service, step.key)
    if entry.flow:
        keys = list(service.entries)
        index = keys.index(step.key)
        if index == 0:
            raise _layout_error(document, service, entry, "is the first key of a flow mapping")
        previous = service.entries[keys[index - 1]]
        return previous.value_end, entry.value_end, ""
    source = document.source
    return source.break_before(entry.key_start), source.line_end(entry.value_end), ""


def _parts(source: Source, entry: Entry) -> tuple[str, str, int]:
    """The entry's text without its first-line comment, that comment, and where the region ends."""
    text = source.body
    if entry.flow:
        return text[entry.key_start : entry.value_end], "", entry.value_end
    end = source.line_end(entry.value_end)
    if entry.layout is Layout.BLOCK:
        head_end = source.line_end(entry.key_start)
        head = _BLOCK_HEAD.fullmatch(text, entry.key_end, head_end)
        tail = head.group(2) if head else ""
        return text[entry.key_start : head_end - len(tail)] + text[head_end:end], tail, end
    if entry.layout is Layout.INLINE:
        return text[entry.key_start : entry.value_end], text[entry.value_end : end], end
    return text[entry.key_start : end], "", end


def _lines(key: str, value: Value, entry: Entry, step: int) -> list[str]:
    if isinstance(value, Reset):
        return [f"{key}: {value.value}"]
    if isinstance(value, str):
        return [f"{key}: {scalar(value, entry.flow)}"]
    if entry.flow:
        inner = ", ".join(f"{name}: {scalar(item, True)}" for name, item in value.items())
        return [f"{key}: {{{inner}}}"]
    pad = " " * (entry.column + step)
    return [f"{key}:"] + [f"{pad}{name}: {scalar(item)}" for name, item in value.items()]


def _step(service: Service) -> int:
    """The service's own indentation step: how far its keys sit right of its name."""
    columns = [entry.column for entry in service.entries.values()]
    return max(min(columns) - service.column, 1) if columns else 2


def _renamed(document: Document, service: Service, entry: Entry, new_key: str) -> str:
    written = document.source.body[entry.key_start : entry.key_end]
    if written == entry.key:
        return new_key
    quote = written[0]
    if quote in "'\"" and written == quote + entry.key + quote:
        return quote + new_key + quote
    raise _layout_error(document, service, entry, "is written with escapes")


def _editable(document: Document, service: Service, key: str) -> Entry:
    """An entry whose text may be replaced or deleted: no alias elsewhere reads from it."""
    entry = service.entries[key]
    if entry.aliased:
        raise _layout_error(
            document,
            service,
            entry,
            f"has an anchor (&{entry.anchor}) that another part of the file uses through an alias",
        )
    used = document.anchors_used_elsewhere(("services", service.name, key))
    if used:
        raise _layout_error(
            document,
            service,
            entry,
            "defines the anchor "
            f"{', '.join('&' + name for name in used)} that another part of the "
            "file uses through an alias",
        )
    return _own_line(document, service, entry)


def _own_line(document: Document, service: Service, entry: Entry) -> Entry:
    line_start = document.source.line_start(entry.key_start)
    if not entry.flow and document.source.body[line_start : entry.key_start].strip(" "):
        raise _layout_error(document, service, entry, "does not start its own line")
    return entry


def _layout_error(
    document: Document, service: Service, entry: Entry, reason: str
) -> ComposeswapError:
    return fail(
        document.file,
        f"cannot switch: its '{entry.key}' {reason}; composeswap leaves it untouched "
        "rather than risk changing anything else. Rewrite that key plainly, then run again",
        line=entry.line,
        column=entry.column + 1,
        where=f"services.{service.name}",
    )


def expected_service(data: Mapping[str, object], steps: tuple[Step, ...]) -> dict[str, object]:
    """The service's data as it must read after the steps: the proof's reference."""
    items = list(data.items())
    names: dict[str, str] = {}
    for step in steps:
        keys = [key for key, _ in items]
        if isinstance(step, Rename):
            index = keys.index(step.key)
            items[index] = (step.to, items[index][1])
            names[step.key] = step.to
        elif isinstance(step, Replace):
            items[keys.index(step.key)] = (step.to, _data(step.value))
        elif isinstance(step, Insert):
            index = keys.index(names.get(step.after, step.after)) + 1
            items[index:index] = [
                (key, _data(value)) for key, value in step.items if not isinstance(value, Reset)
            ]
        elif step.key in keys:  # a deleted ``!reset`` key has no data to delete
            del items[keys.index(step.key)]
    return dict(items)


def _data(value: Value) -> object:
    return value if isinstance(value, (str, Reset)) else dict(value)


def all_edits(document: Document, steps_by_service: Mapping[str, tuple[Step, ...]]) -> list[Edit]:
    """Every service's edits, in offsets of the whole text (BOM included)."""
    shift = len(document.source.text) - len(document.source.body)
    return [
        (start + shift, end + shift, text)
        for name, steps in steps_by_service.items()
        for start, end, text in edits(document, document.services[name], steps)
    ]


def apply(document: Document, steps_by_service: Mapping[str, tuple[Step, ...]]) -> str:
    """The whole new file text (BOM included) after every service's steps."""
    return splice(document.source.text, all_edits(document, steps_by_service))
