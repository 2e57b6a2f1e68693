"""What a server's moderators taught (``/kb teach``): questions pinned to an entry.

Pure and synchronous, no discord and no database: :class:`TaughtIndex` holds one
server's taught questions and finds the one a member's question is a close rephrasing
of. The conversation core consults it before the shipped matcher, for questions asked
in that server only; the shipped matcher and its evaluation never see it.

A question is read as a set of content words: :func:`knowledge.normalize.normalize`
(case, synonyms: "fee" is "cost"), grammar words dropped, words stemmed, exam codes
kept as themselves (a question taught about AI-102 is not one about AZ-104). A taught
question matches a question that shares its words with at most :data:`MAX_ADDED_WORDS`
words added and :data:`MAX_DROPPED_WORDS` dropped ("pearson thingy fee?" taught,
"what is the pearson thingy fee" answered); a taught question of one or two words
allows fewer changes, so a short one cannot capture every question that uses its word,
and one naming exam codes only captures questions naming the same codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.normalize import CODE_TOKEN_RE, content_tokens, normalize

# The entry id that means "this is not for the bot": an honest no-answer.
OFF_TOPIC = "off-topic"
# Longest question that can be taught (as the matcher's MAX_QUESTION_CHARS).
MAX_TAUGHT_CHARS = 500
# A member's question may add this many content words to a taught one …
MAX_ADDED_WORDS = 2
# … and drop this many of its words, when the taught question has at least
# DROP_FROM_WORDS words (so at least two always remain shared).
MAX_DROPPED_WORDS = 1
DROP_FROM_WORDS = 3


def question_tokens(question: str) -> frozenset[str]:
    """The content words of ``question``: normalised, stemmed, grammar words dropped,
    exam codes kept as written canonically (``AI-102``)."""
    tokens: list[str] = []
    for token in normalize(question).split():
        if CODE_TOKEN_RE.match(token):
            tokens.append(token)
        else:
            tokens.extend(content_tokens(token))
    return frozenset(tokens)


def question_key(question: str) -> str:
    """The stored key of a taught question: its content words, sorted. Two wordings
    with the same key are the same taught question ("pearson fee?" / "the Pearson fee")."""
    return " ".join(sorted(question_tokens(question)))


@dataclass(frozen=True, slots=True)
class TaughtQuestion:
    """One row of the ``taught`` table."""

    guild_id: int
    key: str
    question: str
    entry_id: str  # an entry id, or OFF_TOPIC
    taught_by: int | None  # None once the moderator erased their data (/mydata forget)
    taught_at: dt.datetime

    @property
    def off_topic(self) -> bool:
        return self.entry_id == OFF_TOPIC

    @property
    def tokens(self) -> frozenset[str]:
        return frozenset(self.key.split())


def close_rephrasing(taught: frozenset[str], asked: frozenset[str]) -> bool:
    """Whether ``asked`` is ``taught`` with a few words added or dropped."""
    if not taught or not asked:
        return False
    codes = {t for t in taught if CODE_TOKEN_RE.match(t)}
    if codes and codes != {t for t in asked if CODE_TOKEN_RE.match(t)}:
        return False  # taught about AI-102: not a question about AZ-104 (or about any exam)
    shared = len(taught & asked)
    dropped = len(taught) - shared
    added = len(asked) - shared
    allowed_drops = MAX_DROPPED_WORDS if len(taught) >= DROP_FROM_WORDS else 0
    allowed_adds = min(MAX_ADDED_WORDS, len(taught))
    return shared > 0 and dropped <= allowed_drops and added <= allowed_adds


class TaughtIndex:
    """One server's taught questions, looked up by a member's question."""

    def __init__(self, rows: Iterable[TaughtQuestion]) -> None:
        self.rows = tuple(rows)
        self._by_key = {row.key: row for row in self.rows}

    def __len__(self) -> int:
        return len(self.rows)

    def match(self, question: str, known: Iterable[str] | None = None) -> TaughtQuestion | None:
        """The taught question ``question`` is, or closely rephrases, or None.

        The same words win outright; otherwise the closest rephrasing (most words
        shared, then fewest changed). ``known``: the entry ids that exist now (a taught
        entry removed from the knowledge files since is skipped, so the shipped matcher
        answers instead).
        """
        if not self.rows:
            return None
        usable = None if known is None else set(known) | {OFF_TOPIC}
        asked = question_tokens(question)
        exact = self._by_key.get(" ".join(sorted(asked)))
        if exact is not None and (usable is None or exact.entry_id in usable):
            return exact
        best: tuple[int, int] | None = None
        found = None
        for row in self.rows:
            if usable is not None and row.entry_id not in usable:
                continue
            tokens = row.tokens
            if not close_rephrasing(tokens, asked):
                continue
            shared = len(tokens & asked)
            rank = (shared, -(len(tokens) + len(asked) - 2 * shared))
            if best is None or rank > best:
                best, found = rank, row
        return found


class TaughtQuestionError(ValueError):
    """The question cannot be taught as typed; the message is for the moderator."""


def clean_taught_question(text: str) -> str:
    """The question as it will be stored: control characters removed, spaces collapsed.

    Raises :class:`TaughtQuestionError` for an empty question, one longer than
    :data:`MAX_TAUGHT_CHARS`, or one with no word to match on ("what is it?").
    """
    from knowledge.answers import InvalidQuestionError, clean_question

    try:
        cleaned = clean_question(text)
    except InvalidQuestionError as exc:
        raise TaughtQuestionError(str(exc)) from exc
    if not question_tokens(cleaned):
        raise TaughtQuestionError(
            "That question has no words I could recognise it by (only words like "
            "“what” or “is”): type it as members ask it, e.g. “pearson fee?”."
        )
    return cleaned
