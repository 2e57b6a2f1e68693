"""Exam codes as members type them ("ai102", "AI 102", "az-104") in one canonical form."""

from __future__ import annotations

import re

# Two or three letters, an optional dash or space, three digits: the shape of every
# Microsoft exam code. Anything else is rejected rather than guessed.
_CODE_RE = re.compile(r"^\s*([A-Za-z]{2,3})[\s\-_]?(\d{3})\s*$")


class InvalidExamCodeError(ValueError):
    """Raised when text is not shaped like a Microsoft exam code."""

    def __init__(self, text: str) -> None:
        super().__init__(
            f"'{text[:40]}' is not an exam code: use 2-3 letters, a dash and 3 digits, like AI-103."
        )
        self.text = text


def normalize_exam_code(text: str) -> str:
    """Return the canonical ``AB-123`` form, or raise :class:`InvalidExamCodeError`."""
    match = _CODE_RE.match(text)
    if match is None:
        raise InvalidExamCodeError(text)
    return f"{match.group(1).upper()}-{match.group(2)}"


def try_normalize_exam_code(text: str) -> str | None:
    """Like :func:`normalize_exam_code` but returns ``None`` for malformed codes."""
    try:
        return normalize_exam_code(text)
    except InvalidExamCodeError:
        return None
