"""The loaded knowledge base and its matcher, swapped as a unit on reload."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from knowledge.models import KnowledgeBase


@dataclass(frozen=True)
class KnowledgeState:
    """A knowledge base with the matcher built from it: never one without the other."""

    kb: KnowledgeBase
    matcher: Matcher

    @classmethod
    def load(cls, data_dir: Path | None = None) -> KnowledgeState:
        """Load and validate everything, or raise ``KnowledgeError`` with nothing half-built.
        ``data_dir`` None: the ``KNOWLEDGE_DIR`` setting, else the packaged knowledge."""
        from bot.config import knowledge_dir

        kb = load_knowledge(knowledge_dir(data_dir))
        found = _MATCHERS.get(id(kb))
        if found is not None and found[0] is kb:
            _MATCHERS.move_to_end(id(kb))
            return cls(kb=kb, matcher=found[1])
        matcher = Matcher(kb)
        _MATCHERS[id(kb)] = (kb, matcher)  # holding kb keeps its id from being reused
        while len(_MATCHERS) > _MATCHERS_MAX:
            _MATCHERS.popitem(last=False)
        return cls(kb=kb, matcher=matcher)


# The matcher built for each recent knowledge base: load_knowledge returns the same object
# for unchanged files, so the same index serves it again (a reload of unchanged files, the
# CLI run in-process, the test suite) instead of normalising every text once more.
_MATCHERS: OrderedDict[int, tuple[KnowledgeBase, Matcher]] = OrderedDict()
_MATCHERS_MAX = 8
