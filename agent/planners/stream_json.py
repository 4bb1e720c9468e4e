"""Incremental reading of a JSON object as a model writes it, token by token.

A streaming planner wants to act on the first element of `"steps"` as soon as its closing
brace arrives, long before the whole turn is written. `ObjectStreamReader` is fed text chunks
of arbitrary size and reports:
- `Member(key, raw)`: a top-level member whose value is complete (e.g. `"question": null`),
- `Element(index, raw)`: an element of the watched array member (by default `"steps"`) that
  is complete.
`raw` is the exact JSON text of the value; callers `json.loads` it. The reader only tracks
nesting, strings and escapes; it never guesses at incomplete values. Text before the first
`{` (a code fence, say) and after the closing `}` is ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    key: str
    raw: str


@dataclass(frozen=True)
class Element:
    index: int
    raw: str


Event = Member | Element


class ObjectStreamReader:
    def __init__(self, array_key: str = "steps") -> None:
        self.array_key = array_key
        self._text = ""
        self._pos = 0
        self._stack: list[str] = []  # open containers: "{" or "["
        self._in_string = False
        self._escape = False
        self._string_start = 0
        self._key: str | None = None  # the top-level key whose value is being read
        self._expect_value = False  # after a top-level ":"
        self._value_start: int | None = None
        self._value_is_scalar = False
        self._element_start: int | None = None
        self._element_index = 0
        self.started = False
        self.finished = False

    @property
    def text(self) -> str:
        return self._text

    def feed(self, chunk: str) -> list[Event]:
        """Consume `chunk`; return the members and elements it completed, in order."""
        self._text += chunk
        events: list[Event] = []
        text = self._text
        i = self._pos
        n = len(text)
        while i < n and not self.finished:
            c = text[i]
            if self._in_string:
                if self._escape:
                    self._escape = False
                elif c == "\\":
                    self._escape = True
                elif c == '"':
                    self._in_string = False
                    self._string_closed(i, events)
            elif not self.started:
                if c == "{":
                    self.started = True
                    self._stack.append("{")
            else:
                self._structural(c, i, events)
            i += 1
        self._pos = i
        return events

    # -- internals -------------------------------------------------------------------------

    def _in_watched_array(self) -> bool:
        return len(self._stack) == 2 and self._stack[1] == "[" and self._key == self.array_key

    def _string_closed(self, i: int, events: list[Event]) -> None:
        depth = len(self._stack)
        raw = self._text[self._string_start : i + 1]
        if depth == 1 and not self._expect_value:
            self._key = json.loads(raw)
        elif depth == 1 and self._value_start is not None and not self._value_is_scalar:
            # A string value of a top-level member is complete at its closing quote.
            events.append(Member(self._key or "", raw))
            self._value_start = None
            self._expect_value = False

    def _structural(self, c: str, i: int, events: list[Event]) -> None:
        depth = len(self._stack)
        if c == '"':
            self._in_string = True
            self._string_start = i
            if depth == 1 and self._expect_value and self._value_start is None:
                self._value_start = i
                self._value_is_scalar = False
            return
        if c in " \t\r\n":
            return
        if c == ":" and depth == 1:
            self._expect_value = True
            return
        if c == ",":
            if depth == 1:
                self._end_scalar(i, events)
                self._expect_value = False
            elif self._in_watched_array():
                self._end_scalar_element(i, events)
            return
        if c in "{[":
            if depth == 1 and self._expect_value and self._value_start is None:
                self._value_start = i
                self._value_is_scalar = False
            elif self._in_watched_array() and self._element_start is None:
                self._element_start = i
            self._stack.append(c)
            return
        if c in "}]":
            if depth == 1:  # the top-level object closes
                self._end_scalar(i, events)
                self._stack.pop()
                self.finished = True
                return
            if self._in_watched_array() and c == "]":
                self._end_scalar_element(i, events)
            self._stack.pop()
            depth = len(self._stack)
            if depth == 1 and self._value_start is not None:
                events.append(Member(self._key or "", self._text[self._value_start : i + 1]))
                self._value_start = None
                self._expect_value = False
            elif depth == 2 and self._in_watched_array() and self._element_start is not None:
                events.append(Element(self._element_index, self._text[self._element_start : i + 1]))
                self._element_index += 1
                self._element_start = None
            return
        # The first character of a number, true, false or null.
        if depth == 1 and self._expect_value and self._value_start is None:
            self._value_start = i
            self._value_is_scalar = True
        elif self._in_watched_array() and self._element_start is None:
            self._element_start = i

    def _end_scalar(self, i: int, events: list[Event]) -> None:
        if self._value_start is not None and self._value_is_scalar:
            events.append(Member(self._key or "", self._text[self._value_start : i].strip()))
            self._value_start = None
            self._value_is_scalar = False

    def _end_scalar_element(self, i: int, events: list[Event]) -> None:
        # A non-object element (a number, say): reported so the caller can reject it.
        if self._element_start is not None:
            events.append(Element(self._element_index, self._text[self._element_start : i].strip()))
            self._element_index += 1
            self._element_start = None
