"""Exam codes as members type them ("ai102", "AI 102", "az-104", "AI-１０２") in one form.

Every front end — slash commands, the CLI, free text, the knowledge files — reads codes
through :func:`normalize_exam_code`, so a code typed on a phone keyboard with full-width
or Arabic-Indic digits, or with a typographic dash, is the same exam everywhere.
"""

from __future__ import annotations

import re
import unicodedata

# Two or three letters, an optional dash or space, three digits: the shape of every
# Microsoft exam code. Anything else is rejected rather than guessed. ASCII only: the
# text is folded to ASCII letters and digits first (see fold_code_text).
_CODE_RE = re.compile(r"^ *([A-Za-z]{2,3})[ \-_]?([0-9]{3}) *$", re.ASCII)

# Dashes and minus signs that phones and word processors put where "-" was meant, when
# they join a code's letters to its digits ("AI–102"); a dash between words is left alone.
_CODE_DASH_RE = re.compile(r"(?<=[A-Za-z])[\u2010-\u2015\u2212\ufe63](?=[0-9])")

_FORMAT_HINT = "use 2-3 letters, a dash and 3 digits, like AI-103"
_MAX_ECHO = 40


class InvalidExamCodeError(ValueError):
    """Raised when text is not shaped like a Microsoft exam code.

    The message never contains a line break or a control character of the input, so it
    can be shown on one line to a member or an operator.
    """

    def __init__(self, text: str) -> None:
        if has_control_characters(text):
            message = (
                "That exam code contains a line break or a control character: "
                f"{_FORMAT_HINT}."
            )
        else:
            shown = " ".join(text.split())[:_MAX_ECHO]
            message = f"'{shown}' is not an exam code: {_FORMAT_HINT}."
        super().__init__(message)
        self.text = text


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a newline, tab or other control/format character."""
    return any(unicodedata.category(char) in {"Cc", "Cf"} for char in text)


def fold_code_text(text: str) -> str:
    """Compatibility-fold ``text`` so that codes read the same in any script.

    NFKC turns full-width letters and digits into ASCII; it leaves other scripts'
    decimal digits (Arabic-Indic ``١٠٢``, Devanagari …) alone, so those are mapped to
    ASCII by their digit value; a typographic dash between a code's letters and digits
    becomes ``-``. ASCII text is returned unchanged (the common case costs one check).
    """
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    if not folded.isascii():
        folded = "".join(
            str(unicodedata.decimal(char)) if not char.isascii() and char.isdecimal() else char
            for char in folded
        )
    return _CODE_DASH_RE.sub("-", folded)


def normalize_exam_code(text: str) -> str:
    """Return the canonical ``AB-123`` form, or raise :class:`InvalidExamCodeError`."""
    if has_control_characters(text):
        raise InvalidExamCodeError(text)
    match = _CODE_RE.match(fold_code_text(text).strip())
    if match is None:
        raise InvalidExamCodeError(text)
    return f"{match.group(1).upper()}-{match.group(2)}"


def try_normalize_exam_code(text: str) -> str | None:
    """Like :func:`normalize_exam_code` but returns ``None`` for malformed codes."""
    try:
        return normalize_exam_code(text)
    except InvalidExamCodeError:
        return None
