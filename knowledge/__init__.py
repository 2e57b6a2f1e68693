"""The pure core: knowledge files, models, matcher and retake rules engine.

Nothing in this package imports discord or touches the clock: every function that
depends on time takes ``now`` as a parameter, so answers are deterministic and testable.
"""
