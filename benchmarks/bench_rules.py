"""Retake rules engine: evaluate() latency for a member with 100 attempts, and CLI
start-to-answer time. Prints figures only (target: evaluate p99 <= 50 µs)."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from knowledge.loader import DATA_DIR
from knowledge.models import Exam, Policy
from knowledge.rules import Attempt, AttemptResult, add_months, evaluate

ROOT = Path(__file__).resolve().parents[1]
ATTEMPTS = 100
RUNS = 20_000
ROUNDS = 10
CLI_RUNS = 7
TARGET_P99_US = 50.0


def _history(policy: Policy, offsets: bool) -> list[Attempt]:
    """100 failed attempts, each as soon as the policy allowed: 5 per window, 20 windows
    (the most windows 100 attempts can span, so the most calendar arithmetic)."""
    rng = random.Random(7)
    moment = dt.datetime(2001, 1, 31, 9, 30, tzinfo=dt.UTC)  # a month-end start
    first_of_window = moment
    attempts = []
    for index in range(ATTEMPTS):
        number = index % policy.max_attempts_per_window
        if index:
            if number == 0:
                moment = add_months(first_of_window, policy.attempt_window_months)
                first_of_window = moment  # opens the next window
            elif number == 1:
                moment += policy.first_failure_wait
            else:
                moment += policy.later_failure_wait
        taken = moment
        if offsets:
            zone = dt.timezone(dt.timedelta(minutes=rng.choice([-480, -300, 0, 60, 330, 540])))
            taken = moment.astimezone(zone)
        attempts.append(Attempt(taken, AttemptResult.FAIL))
    return attempts


def _measure(
    attempts: list[Attempt], exam: Exam, now: dt.datetime, policy: Policy, *, text: bool
) -> tuple[tuple[float, float], tuple[float, float]]:
    """evaluate() (reading the explanation when ``text``): see _measure_callable."""
    if text:
        return _measure_callable(lambda: evaluate(attempts, exam, now, policy).explanation)
    return _measure_callable(lambda: evaluate(attempts, exam, now, policy))


def _measure_callable(
    call: Callable[[], object],
) -> tuple[tuple[float, float], tuple[float, float]]:
    """p50/p99 in µs over every sample, and over the quietest round.

    The samples are taken in ROUNDS rounds. A shared virtual machine has slow spells
    lasting seconds (other tenants), which move a whole round; like ``timeit``'s
    best-of-repeats, the quietest round shows what the code costs, the pooled figure
    what this machine delivered."""
    for _ in range(2_000):  # warm-up
        call()
    clock = time.perf_counter_ns
    rounds: list[list[int]] = []
    for _ in range(ROUNDS):
        samples = []
        for _ in range(RUNS // ROUNDS):
            started = clock()
            call()
            samples.append(clock() - started)
        samples.sort()
        rounds.append(samples)
    pooled = sorted(sample for samples in rounds for sample in samples)
    quietest = min(rounds, key=lambda samples: samples[len(samples) // 2])
    return _percentiles(pooled), _percentiles(quietest)


def _percentiles(samples: list[int]) -> tuple[float, float]:
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000


def _cli_seconds() -> float:
    command = [sys.executable, "-m", "bot", "eligibility", "--exam", "AI-103", "--json"]
    timings = []
    for _ in range(CLI_RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    policy = Policy.model_validate(tomllib.loads((DATA_DIR / "policy.toml").read_text("utf-8")))
    exam = Exam(code="AI-103")
    now = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    chronological = _history(policy, offsets=False)
    shuffled = chronological[:]
    random.Random(3).shuffle(shuffled)
    mixed = _history(policy, offsets=True)
    random.Random(5).shuffle(mixed)
    cases = {
        "chronological, UTC (as storage returns them)": chronological,
        "shuffled, UTC": shuffled,
        "shuffled, mixed offsets": mixed,
    }
    print(
        f"evaluate(), {ATTEMPTS} attempts over 20 windows, {RUNS} runs each "
        f"(p50/p99 pooled; in brackets, the quietest of {ROUNDS} rounds):"
    )
    for label, attempts in cases.items():
        for text in (False, True):
            (p50, p99), (quiet_p50, quiet_p99) = _measure(attempts, exam, now, policy, text=text)
            verdict = "within" if p99 <= TARGET_P99_US else "OVER"
            name = f"{label}{', explanation read' if text else ''}"
            print(
                f"  {name:<66} p50 {p50:6.1f} µs  p99 {p99:6.1f} µs  ({verdict} "
                f"{TARGET_P99_US:.0f} µs)  [p50 {quiet_p50:6.1f}  p99 {quiet_p99:6.1f}]"
            )
    # A fixed pure-Python workload timed the same way, to compare machines and to show
    # how much of the tail is the machine's own (CPython on a typical laptop: ~0.6 µs
    # for sum(range(100))).
    (ref_p50, ref_p99), (ref_quiet_p50, ref_quiet_p99) = _measure_callable(lambda: sum(range(1000)))
    print(
        f"  machine reference, sum(range(1000)) timed the same way: p50 {ref_p50:.1f} µs  "
        f"p99 {ref_p99:.1f} µs  [p50 {ref_quiet_p50:.1f}  p99 {ref_quiet_p99:.1f}]"
    )
    cli_ms = _cli_seconds() * 1000
    print(
        f"CLI 'python -m bot eligibility --exam AI-103 --json': "
        f"median {cli_ms:.0f} ms, {CLI_RUNS} runs"
    )


if __name__ == "__main__":
    main()
