"""Stage 5 of the matcher: answer, answer with suggestions, or abstain.

The best score, its margin over the runner-up (both scaled down when much of the
question is unknown to the knowledge base), the question's information, the share of
its words the best entry explains and the classifier's share for "nothing answers this"
(trained on ``data/matcher/unanswered.toml``) become a calibrated confidence (a logistic fit,
``[calibration]`` in weights.toml, written by ``python -m eval.run --fit --write``); the
``[scoring]`` thresholds then decide. A question in a known gap always abstains (as
:data:`NOT_COVERED`), its neighbours offered as suggestions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from knowledge.loader import default_matcher_data
from knowledge.matcher_data import Calibration, Scoring
from knowledge.matching.rescoring import Candidate, Signals

MAX_RUNNERS_UP = 3
# Beyond this (either sign) the logistic function is 0 or 1 to double precision.
SIGMOID_LIMIT = 30
# A question asked back ("exam" alone) or too weak to answer gets at most
# abstain_below / UNSURE_DIVISOR confidence.
UNSURE_DIVISOR = 2
# Why an in-scope question got no answer (MatchResult.reason).
NO_KNOWN_WORDS = "no known words"
UNSURE = "unsure"
# An on-topic question in one of the known gaps (matcher/gaps.toml): no entry answers it.
NOT_COVERED = "not covered"

# (top, margin, information, explained, unanswered)
Features = tuple[float, float, float, float, float]
NO_FEATURES: Features = (0.0, 0.0, 0.0, 0.0, 0.0)


def _default_scoring() -> Scoring:
    return default_matcher_data().weights.scoring


@dataclass(frozen=True)
class MatchResult:
    """The outcome of :meth:`knowledge.matcher.Matcher.match`."""

    entry_id: str | None  # None = abstain
    confidence: float  # [0, 1]: estimated probability that the best entry is right
    runners_up: tuple[Candidate, ...]  # next best after ``top``, best first, up to 3
    # The best candidate even when abstaining (None when nothing scored at all).
    top: Candidate | None = None
    # True when an explicit signal (other vendor, game refund …) ruled the question out.
    out_of_scope: bool = False
    reason: str | None = field(default=None, compare=False)
    # The thresholds of the matcher that produced it (weights.toml).
    scoring: Scoring = field(default_factory=_default_scoring, compare=False, repr=False)
    # Not covered because the best entry's answer holds only for these exams and the
    # question names others (FaqEntry.only_its_exams): "I have that only for AI-103".
    only_for: tuple[str, ...] = ()

    @property
    def low_confidence(self) -> bool:
        return self.entry_id is None or self.confidence < self.scoring.low_confidence_below

    @property
    def suggestions(self) -> list[str]:
        """Entry ids worth offering as "Did you mean…": up to three, only when the
        match abstained or is unsure, and none for an out-of-scope question."""
        if self.out_of_scope or not self.low_confidence:
            return []
        pool = list(self.runners_up)
        if self.entry_id is None and self.top is not None:
            pool.insert(0, self.top)
        cut = self.scoring.suggest_min_score
        return [c.entry_id for c in pool if c.score >= cut][:MAX_RUNNERS_UP]


def _sigmoid(x: float) -> float:
    if x < -SIGMOID_LIMIT:
        return 0.0
    if x > SIGMOID_LIMIT:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))


def calibrate(
    top: float,
    margin: float,
    information: float,
    explained: float,
    unanswered: float = 0.0,
    calibration: Calibration | None = None,
) -> float:
    """P(the best entry is right) from the match features; always in [0, 1]."""
    c = calibration or default_matcher_data().weights.calibration
    return _sigmoid(c.bias + c.top * top + c.margin * margin + c.information * information
                    + c.explained * explained + c.unanswered * unanswered)


def features(
    scored: list[Candidate], signals: Signals, scoring: Scoring, explained: float
) -> Features:
    """The (top, margin, information, explained, unanswered) features of scored
    candidates, best first; ``explained`` is the best one's
    (:meth:`Rescorer.explained`), ``unanswered`` the classifier's share for "nothing
    answers this"."""
    if not scored:
        return NO_FEATURES
    top = scored[0].score
    runner = scored[1].score if len(scored) > 1 else 0.0
    # Questions made mostly of words the knowledge base has never seen are about
    # something else, however well the remaining words match.
    factor = min(1.0, signals.known_share / scoring.known_full)
    return (top * factor, (top - runner) * factor, signals.information, explained,
            signals.unanswered)


def clamp(candidate: Candidate) -> Candidate:
    """The candidate with its score clamped into [0, 1]."""
    return Candidate(candidate.entry_id, min(max(candidate.score, 0.0), 1.0))


def refuse(reason: str, scoring: Scoring) -> MatchResult:
    """The result for a question that is out of scope (``reason`` says why)."""
    return MatchResult(None, 0.0, (), None, out_of_scope=True, reason=reason, scoring=scoring)


def decide(
    scored: list[Candidate],
    found: Features,
    scoring: Scoring,
    calibration: Calibration,
    *,
    gap: str | None = None,
    only_for: tuple[str, ...] = (),
) -> MatchResult:
    """Answer, answer unsure (with suggestions) or abstain, from the scored candidates
    (best first) and their features; ``gap``: the known gap the question falls in;
    ``only_for``: the exams the best entry covers, when the question names only others
    (not covered either, as a gap)."""
    if not scored:
        return refuse(NO_KNOWN_WORDS, scoring)
    confidence = calibrate(*found, calibration=calibration)
    if gap is not None or only_for:
        # A known gap: the neighbours are offered as "maybe one of these", never
        # answered as if they answered.
        confidence = min(confidence, scoring.abstain_below / UNSURE_DIVISOR)
    if found[2] < scoring.min_information:
        # "exam" alone: every entry is about the exam; ask, don't guess.
        confidence = min(confidence, scoring.abstain_below / UNSURE_DIVISOR)
    clamped = [clamp(c) for c in scored[: 1 + MAX_RUNNERS_UP]]
    top, runners_up = clamped[0], tuple(clamped[1 : 1 + MAX_RUNNERS_UP])
    if found[0] < scoring.answer_min_score:
        # Too weak to even suggest: whatever the calibration says, do not answer.
        confidence = min(confidence, scoring.abstain_below / UNSURE_DIVISOR)
    if confidence < scoring.abstain_below:
        nothing = found[0] < scoring.suggest_min_score
        covered = gap is None and not only_for
        return MatchResult(
            None, confidence, runners_up, top, out_of_scope=nothing and covered,
            reason=UNSURE if covered else NOT_COVERED, scoring=scoring, only_for=only_for,
        )
    return MatchResult(top.entry_id, confidence, runners_up, top, scoring=scoring)
