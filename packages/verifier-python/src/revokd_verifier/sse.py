"""An incremental Server-Sent Events parser (WHATWG HTML §9.2), bounded because its bytes come from a network."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

_DIGITS = re.compile(r"[0-9]+")
_LINE_END = re.compile(r"[\r\n]")


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: str
    #: The ``id`` field of this very event, if it had one.
    id: str | None = None


class SseLimitError(Exception):
    pass


class SseParser:
    """Lines end in CRLF, LF or CR (a CRLF may be split across chunks); ``:`` starts a comment; one
    leading space after the colon is dropped; ``data`` lines join with LF; an event is dispatched on a
    blank line and only if it has data; ``retry`` is digits only."""

    def __init__(self, on_event: Callable[[SseEvent], None], on_retry: Callable[[int], None] | None = None,
                 max_line_length: int = 1 << 20, max_event_length: int = 32 << 20) -> None:
        self._on_event = on_event
        self._on_retry = on_retry
        self._max_line = max_line_length
        self._max_event = max_event_length
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._skip_leading_lf = False
        self._first = True
        self._event_type = ""
        self._data: list[str] = []
        self._data_length = 0
        self._event_id: str | None = None
        self.last_event_id = ""

    def push(self, chunk: bytes) -> None:
        text = self._decoder.decode(chunk)
        if self._first and text:
            self._first = False
            if text[0] == "\ufeff":
                text = text[1:]
        if self._skip_leading_lf and text:
            self._skip_leading_lf = False
            if text[0] == "\n":
                text = text[1:]
        buffer = self._pending + text
        start = 0
        length = len(buffer)
        for match in _LINE_END.finditer(buffer):
            end = match.start()
            if end < start:
                continue  # the LF of a CRLF already consumed
            nxt = end + 1
            if buffer[end] == "\r":
                if nxt == length:
                    self._skip_leading_lf = True
                elif buffer[nxt] == "\n":
                    nxt += 1
            self._line(buffer[start:end])
            start = nxt
        self._pending = buffer[start:]
        if len(self._pending) > self._max_line:
            raise SseLimitError(f"a line on the stream is longer than {self._max_line} characters")

    def _line(self, line: str) -> None:
        if len(line) > self._max_line:
            raise SseLimitError(f"a line on the stream is longer than {self._max_line} characters")
        if line == "":
            self._dispatch()
            return
        if line[0] == ":":
            return
        name, colon, value = line.partition(":")
        if not colon:
            value = ""
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event_type = value
        elif name == "data":
            self._data_length += len(value) + 1
            if self._data_length > self._max_event:
                raise SseLimitError(f"an event on the stream is larger than {self._max_event} characters")
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._event_id = value
                self.last_event_id = value
        elif name == "retry":
            if _DIGITS.fullmatch(value) and self._on_retry is not None:
                self._on_retry(int(value))

    def _dispatch(self) -> None:
        had_data = bool(self._data)
        event = SseEvent(self._event_type or "message", "\n".join(self._data), self._event_id)
        self._event_type = ""
        self._data = []
        self._data_length = 0
        self._event_id = None
        if had_data:
            self._on_event(event)
