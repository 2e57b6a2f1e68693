"""A slower check ``kb check`` adds to the loader's: no off-topic family refuses what an
entry answers.

The loader already refuses a known gap that swallows an entry's question, phrasing or
member question. An off-topic family doing the same is as bad (the member is told the
question is not about exams at all), but routing every text through every family costs
about half a second, too slow for each validation (`/kb reload`, every start); so
``python -m bot kb check`` and the test suite run it, and editors see it before a
change lands.
"""

from __future__ import annotations

from knowledge.loader import OFFTOPIC, Problem, default_matcher_data
from knowledge.models import KnowledgeBase
from knowledge.offtopic import OffTopicStage


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
