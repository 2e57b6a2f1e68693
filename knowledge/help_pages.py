"""The one official page most likely to answer a question the knowledge base can't.

When no entry answers an on-topic question, the bot says so and points to a page
instead of passing off a neighbouring entry's answer: Pearson VUE for test-centre and
OnVUE logistics, Microsoft Learn credentials support for profiles, transcripts and
badges, the exam's own study guide for content questions (``help_pages.toml``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from knowledge.models import HelpPage, KnowledgeBase
from knowledge.normalize import exam_codes, normalize


class Pointer(NamedTuple):
    """A page to point to, with its exam code filled in."""

    title: str
    url: str


@lru_cache(maxsize=64)
def _words_re(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def _matches(page: HelpPage, raw: str, normalized: str) -> bool:
    pattern = _words_re(page.words)
    return pattern.search(raw) is not None or pattern.search(normalized) is not None


def help_page_for(kb: KnowledgeBase, question: str, topic: str | None = None) -> Pointer | None:
    """The first page of ``help_pages.toml`` whose words the question uses, or None;
    ``topic``: the entry whose answer covers other exams than the one asked about (its
    page, the asked exam's study guide, comes first whatever the words)."""
    raw = " ".join(question.lower().split())
    normalized = normalize(question).lower()
    codes = exam_codes(normalize(question))
    pages = sorted(kb.help_pages, key=lambda page: topic is None or topic not in page.entries)
    for page in pages:
        if page.needs_exam_code and not codes:
            continue
        if (topic is None or topic not in page.entries) and not _matches(page, raw, normalized):
            continue
        url = page.url.replace("{code}", codes[0].lower()) if page.needs_exam_code else page.url
        title = page.title.replace("the exam's", f"{codes[0]}'s") if codes else page.title
        return Pointer(title, url)
    return None
