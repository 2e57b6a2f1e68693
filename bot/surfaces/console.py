"""The console surface: the member's local time, typed commands, and terminal text.

Markdown from the knowledge base and the text builders becomes plain text here: bold
as ANSI bold on a terminal (nothing when ``NO_COLOR`` is set or output is not a
terminal), code marks dropped, links spelled out, lines wrapped to the terminal width,
and sources as a short numbered list. No discord.py is imported.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import textwrap
from collections.abc import Iterable, Mapping
from typing import TextIO

from bot.surfaces import Surface, TimeFormat
from knowledge.models import Source
from knowledge.zones import load_zone

CONSOLE_COMMANDS: Mapping[str, str] = {
    "ask": "type",
    "log": "`log CODE pass|fail YYYY-MM-DD`",
    "list": "`list`",
    "edit": "`edit ID`",
    "delete": "`delete ID`",
    "eligibility": "`eligibility [CODE]`",
    "remind": "`remind CODE on|off`",
    "timezone": "`timezone NAME`",
    "export": "`export [FILE]`",
    "forget": "`forget`",
    "help": "`help`",
    "exam": "`exam CODE`",
}
MIN_WIDTH = 40
MAX_WIDTH = 100
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_LINK_RE = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_LIST_RE = re.compile(r"^(\s*(?:[-*•]|\d+[.)])\s+)")
_ANSI_BOLD, _ANSI_RESET = "\x1b[1m", "\x1b[0m"


def local_time(tz_name: str) -> TimeFormat:
    """Plain text in the member's zone: ``Thu 26 Nov 2026, 13:00 CET``."""
    zone = load_zone(tz_name)

    def fmt(moment: dt.datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or tz_name}"

    return fmt


def console_surface(tz_name: str) -> Surface:
    return Surface(
        name="console",
        time=local_time(tz_name),
        commands=CONSOLE_COMMANDS,
        small=lambda text: f"({text})",
    )


def wants_colour(stream: TextIO) -> bool:
    """ANSI only for a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


PIPED_WIDTH = 80


def terminal_width(stream: TextIO) -> int:
    """The terminal's width (kept between 40 and 100 columns); 80 when piped."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return PIPED_WIDTH
    columns = shutil.get_terminal_size((PIPED_WIDTH, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


def _inline(text: str, colour: bool) -> str:
    text = _LINK_RE.sub(r"\1 <\2>", text)
    text = _BOLD_RE.sub(
        lambda m: f"{_ANSI_BOLD}{m.group(1) or m.group(2)}{_ANSI_RESET}" if colour
        else (m.group(1) or m.group(2)),
        text,
    )  # fmt: skip
    return text.replace("`", "")


def _visible_len(text: str) -> int:
    return len(text.replace(_ANSI_BOLD, "").replace(_ANSI_RESET, ""))


def render_markdown(markdown: str, *, width: int, colour: bool) -> str:
    """Markdown as wrapped terminal text: list items keep a hanging indent."""
    out: list[str] = []
    for raw in markdown.split("\n"):
        line = _inline(raw.rstrip(), colour)
        if line.startswith("-# "):
            line = line[3:]
        if not line.strip():
            out.append("")
            continue
        bullet = _LIST_RE.match(line)
        indent = " " * len(bullet.group(1)) if bullet else ""
        # textwrap counts escape codes as characters; bold is rare, so a line holding
        # it is wrapped a little short rather than risk an overlong one.
        extra = len(line) - _visible_len(line)
        out.extend(
            textwrap.wrap(
                line,
                width=width + extra,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [""]
        )
    return "\n".join(out)


def source_lines(sources: Iterable[Source]) -> list[str]:
    """Sources as a short numbered list: ``1. Title — url (verified 26 Sep 2026)``."""
    lines = []
    for number, source in enumerate(sources, 1):
        title = source.title or "source"
        kind = "" if source.official else " (unofficial)"
        verified = f"{source.verified.day} {source.verified:%b %Y}"
        lines.append(f"{number}. {title}{kind} — {source.url} (verified {verified})")
    return lines
