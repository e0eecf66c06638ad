"""Reading an ESC/POS byte stream back into what the paper would show.

The printer stand-in and the tests use this to check what was really sent,
not what the code meant to send: a receipt is proven by decoding the bytes
on the wire (GS v 0 raster pieces stacked, up to the cut) and comparing the
picture with the rendered one. It decodes what the kiosk sends and the
common neighbours; anything else is reported as unknown bytes rather than
guessed at, so a stray command shows up in a test instead of vanishing.

It is a streaming decoder: bytes may arrive split anywhere, and real-time
status requests (DLE EOT n) must be answered as soon as they arrive, in the
middle of a job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
# ESC/GS commands with exactly one parameter byte that a receipt may carry
# (print mode, emphasis, code table, feed, bar code sizes ...).
_ESC_ONE_ARG = frozenset(b"!-EGJMRdtea{")
_GS_ONE_ARG = frozenset(b"!BHLWfhwa")
# Refuse a raster header claiming more than 16 MB: a corrupt stream, not a receipt.
MAX_RASTER_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class RealtimeStatus:
    """DLE EOT n: the host asks for status byte n (1 printer, 2 offline cause, 3 error, 4 paper)."""

    n: int


@dataclass(frozen=True)
class Initialize:
    """ESC @: the printer forgets modes; the kiosk sends it at the start of every job."""


@dataclass(frozen=True)
class Align:
    """ESC a n: 0 left, 1 centre, 2 right (applies to text and to narrower images)."""

    n: int


@dataclass(frozen=True)
class Raster:
    """GS v 0: one piece of bit image, black dots as black pixels."""

    image: Image.Image
    density: int


@dataclass(frozen=True)
class Feed:
    """Paper fed by LF or ESC d n (lines) or ESC J n (dots)."""

    lines: int = 0
    dots: int = 0


@dataclass(frozen=True)
class Cut:
    """GS V: the end of a receipt."""

    mode: int


@dataclass(frozen=True)
class Text:
    data: bytes


@dataclass(frozen=True)
class Command:
    """A known command that does not change the picture (ESC E, GS h ...)."""

    data: bytes


@dataclass(frozen=True)
class Unknown:
    data: bytes


Event = RealtimeStatus | Initialize | Align | Raster | Feed | Cut | Text | Command | Unknown


def raster_to_image(width_bytes: int, height: int, data: bytes) -> Image.Image:
    """GS v 0 data (1 = black dot, rows of ``width_bytes``) as a mode "1" image."""
    # Raw mode "1;I" reads a set bit as black, as the print head does.
    return Image.frombytes("1", (width_bytes * 8, height), bytes(data), "raw", "1;I")


@dataclass
class StreamDecoder:
    """Feed bytes as they arrive; get back the events that are complete."""

    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Event]:
        self._buffer += data
        events: list[Event] = []
        position = 0
        buffer = self._buffer
        while position < len(buffer):
            parsed = _parse_one(buffer, position)
            if parsed is None:  # an incomplete command: wait for more bytes
                break
            event, position = parsed
            events.append(event)
        del buffer[:position]
        return _merge_text(events)

    @property
    def pending(self) -> int:
        """Bytes held back because the command they start is not complete yet."""
        return len(self._buffer)


def _merge_text(events: list[Event]) -> list[Event]:
    merged: list[Event] = []
    for event in events:
        if isinstance(event, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


def _parse_one(buf: bytearray, i: int) -> tuple[Event, int] | None:  # noqa: PLR0911
    """The event starting at ``buf[i]`` and the index after it, or None if incomplete."""
    first = buf[i]
    available = len(buf) - i
    if first == DLE:
        if available < 3:
            return None
        if buf[i + 1] == 0x04:
            return RealtimeStatus(buf[i + 2]), i + 3
        return Unknown(bytes(buf[i : i + 1])), i + 1
    if first == LF:
        return Feed(lines=1), i + 1
    if first == ESC:
        if available < 2:
            return None
        command = buf[i + 1]
        if command == ord("@"):
            return Initialize(), i + 2
        if command in _ESC_ONE_ARG:
            if available < 3:
                return None
            arg = buf[i + 2]
            if command == ord("a"):
                return Align(arg), i + 3
            if command == ord("d"):
                return Feed(lines=arg), i + 3
            if command == ord("J"):
                return Feed(dots=arg), i + 3
            return Command(bytes(buf[i : i + 3])), i + 3
        return Unknown(bytes(buf[i : i + 1])), i + 1
    if first == GS:
        if available < 2:
            return None
        command = buf[i + 1]
        if command == ord("v"):
            return _parse_raster(buf, i)
        if command == ord("V"):
            if available < 3:
                return None
            mode = buf[i + 2]
            length = 4 if mode in (65, 66, 97, 98, 103, 104) else 3
            if available < length:
                return None
            return Cut(mode), i + length
        if command in _GS_ONE_ARG:
            if available < 3:
                return None
            return Command(bytes(buf[i : i + 3])), i + 3
        return Unknown(bytes(buf[i : i + 1])), i + 1
    if first >= 0x20 or first in (0x09, 0x0D):
        return Text(bytes(buf[i : i + 1])), i + 1
    return Unknown(bytes(buf[i : i + 1])), i + 1


def _parse_raster(buf: bytearray, i: int) -> tuple[Event, int] | None:
    header_end = i + 8
    if len(buf) < header_end:
        return None
    if buf[i + 2] != ord("0"):
        return Unknown(bytes(buf[i : i + 1])), i + 1
    density = buf[i + 3]
    width_bytes = buf[i + 4] | (buf[i + 5] << 8)
    height = buf[i + 6] | (buf[i + 7] << 8)
    size = width_bytes * height
    if size > MAX_RASTER_BYTES:
        return Unknown(bytes(buf[i : i + 1])), i + 1
    if len(buf) < header_end + size:
        return None
    image = raster_to_image(width_bytes, height, bytes(buf[header_end : header_end + size]))
    return Raster(image, density), header_end + size


def stack(pieces: list[tuple[Image.Image, int]], paper_width: int | None = None) -> Image.Image:
    """Raster pieces one under another, as the paper shows them.

    Each piece comes with the ESC a alignment in force when it was sent; a
    piece narrower than ``paper_width`` is placed as the printer would.
    """
    width = paper_width or max(image.width for image, _ in pieces)
    height = sum(image.height for image, _ in pieces)
    sheet = Image.new("1", (width, height), 1)
    y = 0
    for image, align in pieces:
        free = max(0, width - image.width)
        x = {0: 0, 1: free // 2, 2: free}.get(align % 48 if align >= 48 else align, 0)
        sheet.paste(image, (x, y))
        y += image.height
    return sheet


@dataclass
class DecodedJob:
    """One receipt as the paper would show it, with what else the job carried."""

    image: Image.Image | None
    pieces: int
    cut: bool
    feed_lines: int = 0
    text: bytes = b""
    unknown: bytes = b""
    status_requests: list[int] = field(default_factory=list)


def decode(data: bytes, paper_width: int | None = None) -> list[DecodedJob]:
    """Every receipt in ``data``; a receipt ends at a cut, or at the end of the bytes."""
    jobs: list[DecodedJob] = []
    collector = JobCollector(paper_width)
    for event in StreamDecoder().feed(data):
        job = collector.add(event)
        if job is not None:
            jobs.append(job)
    last = collector.finish()
    if last is not None:
        jobs.append(last)
    return jobs


class JobCollector:
    """Groups events into receipts: raster pieces up to the cut."""

    def __init__(self, paper_width: int | None = None) -> None:
        self.paper_width = paper_width
        self.align = 0  # ESC a lasts until changed or ESC @, across cuts
        self._reset()

    def _reset(self) -> None:
        self.pieces: list[tuple[Image.Image, int]] = []
        self.feed_lines = 0
        self.text = b""
        self.unknown = b""
        self.status_requests: list[int] = []

    def add(self, event: Event) -> DecodedJob | None:
        """Take one event; returns the finished receipt when the event ends one."""
        if isinstance(event, Initialize) and self.pieces:
            # A printer without a cutter gets no GS V: the next job's ESC @ ends this one.
            finished = self.finish()
            self.align = 0
            return finished
        if isinstance(event, Initialize):
            self.align = 0
        elif isinstance(event, Align):
            self.align = event.n
        elif isinstance(event, Raster):
            self.pieces.append((event.image, self.align))
        elif isinstance(event, Feed):
            self.feed_lines += event.lines
        elif isinstance(event, Text):
            self.text += event.data
        elif isinstance(event, Unknown):
            self.unknown += event.data
        elif isinstance(event, RealtimeStatus):
            self.status_requests.append(event.n)
        elif isinstance(event, Cut):
            job = self._job(cut=True)
            self._reset()
            return job
        return None

    def finish(self) -> DecodedJob | None:
        """The receipt in progress (bytes ended without a cut), if it printed anything."""
        job = self._job(cut=False) if (self.pieces or self.text) else None
        self._reset()
        return job

    def _job(self, cut: bool) -> DecodedJob:
        image = stack(self.pieces, self.paper_width) if self.pieces else None
        return DecodedJob(image, len(self.pieces), cut, self.feed_lines, self.text,
                          self.unknown, self.status_requests)
