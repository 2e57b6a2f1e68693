"""The slower checks ``kb check`` adds to the loader's: nothing an entry answers is
refused as off topic or hidden in a known gap.

An off-topic family that refuses an entry's question, phrasing or member question tells
the member it is not about exams at all; a known gap that catches one answers "I don't
have a sourced answer" where the knowledge base has one. Both checks read every text
of every entry (about 7,000 and growing with each folded batch of member questions):
routing them through every family costs about half a second, through the gaps about
50 ms, too slow for each validation (`/kb reload`, every start, where the loader keeps
to what each file says). ``python -m bot kb check``, ``make test`` and CI run them, and
editors see them before a change lands (the README's "Editing the knowledge base").
"""

from __future__ import annotations

from knowledge.loader import GAPS, OFFTOPIC, Problem, default_matcher_data
from knowledge.models import KnowledgeBase
from knowledge.offtopic import OffTopicStage


def entry_texts_problems(kb: KnowledgeBase) -> list[Problem]:
    """Both checks: :func:`refused_entry_texts` and :func:`gap_hidden_entry_texts`."""
    return refused_entry_texts(kb) + gap_hidden_entry_texts(kb)


def gap_hidden_entry_texts(kb: KnowledgeBase) -> list[Problem]:
    """One problem per entry question, phrasing or member question that a known gap of
    ``kb``'s matcher data catches."""
    data = kb.matcher or default_matcher_data()
    if not data.gaps.gap:
        return []
    stage = OffTopicStage(data.offtopic, data.gaps)
    asked = [
        (entry.id, field, text)
        for entry in kb.entries.values()
        for field, texts in (("question", (entry.question,)), ("phrasing", entry.phrasings),
                             ("member question", entry.examples))
        for text in texts
    ]
    caught = stage.gaps_of([text for _, _, text in asked])
    return [
        Problem(GAPS, gap, None, f"catches [{entry_id}]'s {field} {text!r}, which that "
                "entry answers: narrow the gap")
        for (entry_id, field, text), gap in zip(asked, caught, strict=True)
        if gap is not None
    ]


def refused_entry_texts(kb: KnowledgeBase) -> list[Problem]:
    """One problem per entry question, phrasing or member question that an off-topic
    family of ``kb``'s matcher data (small talk included) refuses."""
    data = kb.matcher or default_matcher_data()
    stage = OffTopicStage(data.offtopic)
    problems = []
    for entry in kb.entries.values():
        for field, texts in (("question", (entry.question,)), ("phrasing", entry.phrasings),
                             ("member question", entry.examples)):
            for text in texts:
                family = stage.family_of(text)
                if family is not None:
                    message = (f"refuses [{entry.id}]'s {field} {text!r}, which that entry "
                               "answers: narrow the family or add exam context")
                    problems.append(Problem(OFFTOPIC, family, None, message))
    return problems
