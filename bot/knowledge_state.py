"""The loaded knowledge base and its matcher, swapped as a unit on reload."""

from __future__ import annotations

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
        """Load and validate everything, or raise ``KnowledgeError`` with nothing half-built."""
        kb = load_knowledge(data_dir)
        return cls(kb=kb, matcher=Matcher(kb))
