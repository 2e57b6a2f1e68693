"""Matcher latency (shipped knowledge base and a synthetic 10,000-entry one), knowledge
load time (warm and cold), the matcher build (without the on-disk cache, on a cache miss
and on a hit), the 10,000-entry build time and peak RSS (in a process of its own), and
``python -m bot ask`` as a whole process. Prints figures; asserts nothing."""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from knowledge import matcher_cache
from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from knowledge.models import FaqEntry, KnowledgeBase

QUESTIONS = [
    "when can I retake ai102",
    "how much does a resit cost",
    "whats the pass mark",
    "I failed yesterday, when can I sit it again",
    "how long is the wait after a second fail",
    "is AI-102 retiring",
    "how do I reschedule my exam",
    "can I take a break during the exam",
    "what is the AWS retake policy",
    "how do I deploy a vnet with python",
    "asdf qwer zxcv",
    "exam",
    "do fundamentals certs expire",
    "can i get a refund if i miss my exam",
]

_WORDS = (
    "exam", "retake", "wait", "cost", "score", "pass", "fail", "renew", "certification",
    "voucher", "schedule", "cancel", "refund", "proctor", "online", "break", "language",
    "format", "question", "report", "result", "badge", "transcript", "policy", "attempt",
    "limit", "window", "expiry", "grace", "discount", "student", "beta", "lab", "case", "study",
    "time", "minutes", "hours", "days", "weeks", "month", "year", "first", "second", "third",
    "fourth", "fifth", "free", "price"
)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _latencies(matcher: Matcher, rounds: int, cached: bool = True) -> list[float]:
    """The bench questions asked again and again. ``cached=False`` empties the matcher's
    score cache before every call, so each one is scored from scratch (normalisation
    and spelling caches stay warm)."""
    for q in QUESTIONS:  # warm caches (spelling, normalisation)
        matcher.match(q)
    timings = []
    for _ in range(rounds):
        for q in QUESTIONS:
            if not cached:
                matcher._score_cache.clear()
            started = time.perf_counter()
            matcher.match(q)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def _cold_latencies(matcher: Matcher, count: int) -> list[float]:
    """Distinct, never-seen questions, so no cache helps."""
    rng = random.Random(7)
    timings = []
    for _ in range(count):
        q = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 9)))
        started = time.perf_counter()
        matcher.match(q)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def synthetic_kb(base: KnowledgeBase, size: int = 10_000) -> KnowledgeBase:
    rng = random.Random(42)
    template = next(iter(base.entries.values()))
    entries: dict[str, FaqEntry] = {}
    for i in range(size):
        phrasings = tuple(
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 10))) + f" topic{i}"
            for _ in range(10)
        )
        entries[f"synthetic-{i}"] = FaqEntry(
            id=f"synthetic-{i}",
            category="synthetic",
            question=f"Synthetic question {i} about {rng.choice(_WORDS)}?",
            phrasings=phrasings,
            keywords=(rng.choice(_WORDS), f"topic{i}"),
            answer="Synthetic answer.",
            sources=template.sources,
        )
    return KnowledgeBase(policy=base.policy, exams=base.exams, entries=entries)


def _report(label: str, timings: list[float]) -> None:
    print(
        f"{label}: n={len(timings)} p50={statistics.median(timings):.3f} ms "
        f"p99={_percentile(timings, 0.99):.3f} ms max={max(timings):.3f} ms"
    )


def _ask_process(env: dict[str, str], runs: int = 5) -> tuple[float, list[float]]:
    """Wall time of ``python -m bot ask`` as a whole process: the first run (which
    writes the matcher cache into the empty folder of ``env``), then ``runs`` more."""
    command = [sys.executable, "-m", "bot", "ask", "what is the passing score"]
    timings = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1:]


def _build_ms(kb: KnowledgeBase, *, cache: bool) -> float:
    started = time.perf_counter()
    Matcher(kb, cache=cache)
    return (time.perf_counter() - started) * 1000


def big() -> None:
    """The 10,000-entry figures, in a process of its own so its peak RSS is the build's."""
    kb = synthetic_kb(load_knowledge())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    big_matcher = Matcher(kb, cache=False)  # above MAX_ENTRIES: never cached anyway
    built = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"Matcher(10,000 entries) build: {built:.1f} s (target ≤ 5 s); peak RSS "
          f"{peak / 1024:.0f} MiB (target ≤ 300 MiB; {before / 1024:.0f} MiB before the "
          "build, knowledge base generated)")
    _report("10,000 entries, repeated questions, score cache hits", _latencies(big_matcher, 20))
    _report("10,000 entries, repeated questions, scored afresh (target p99 ≤ 20 ms)",
            _latencies(big_matcher, 20, cached=False))
    _report("10,000 entries, unseen questions", _cold_latencies(big_matcher, 300))
    started = time.perf_counter()
    for _ in range(200):
        big_matcher.autocomplete("how much")
    print(f"autocomplete on 10,000 entries: {(time.perf_counter() - started) * 1000 / 200:.2f} "
          "ms per call")


def _fresh_load_ms(runs: int) -> list[float]:
    """``runs`` loads of the shipped files, each validated afresh: the in-process cache
    of validated knowledge bases emptied and the on-disk one turned off (as
    tests/test_loader.py does), so only what one validation computes is timed. One
    untimed validation first: the process's own warm-up (regex verdicts, the
    normaliser's rules) is not part of a validation."""
    from knowledge import loader

    previous = os.environ.get(matcher_cache.ENV_VAR)
    os.environ[matcher_cache.ENV_VAR] = matcher_cache.DISABLED
    timings = []
    try:
        for _ in range(runs + 1):
            loader._LOADED.clear()
            started = time.perf_counter()
            load_knowledge()
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        if previous is None:
            os.environ.pop(matcher_cache.ENV_VAR, None)
        else:
            os.environ[matcher_cache.ENV_VAR] = previous
    return timings[1:]


def main() -> None:
    started = time.perf_counter()
    kb = load_knowledge()
    load_ms = (time.perf_counter() - started) * 1000
    warm = []
    for _ in range(5):
        started = time.perf_counter()
        load_knowledge()
        warm.append((time.perf_counter() - started) * 1000)
    print(f"load_knowledge(): first {load_ms:.1f} ms, warm median {statistics.median(warm):.1f} ms"
          f" ({len(kb.entries)} entries; target ≤ 150 ms)")
    fresh = _fresh_load_ms(15)
    print(f"load_knowledge() validating every file afresh (no cache), warm process: median "
          f"{statistics.median(fresh):.1f} ms of {len(fresh)} (min {min(fresh):.1f}, "
          f"max {max(fresh):.1f}; target ≤ 150 ms)")
    code = (
        "import time; t=time.perf_counter(); from knowledge.loader import load_knowledge; "
        "load_knowledge(); print((time.perf_counter()-t)*1000)"
    )
    cold = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    if cold.returncode == 0:
        print(f"load_knowledge() cold in a fresh interpreter, imports included: "
              f"{float(cold.stdout):.1f} ms")

    with tempfile.TemporaryDirectory(prefix="bench-matcher-cache-") as folder:
        previous = os.environ.get(matcher_cache.ENV_VAR)
        os.environ[matcher_cache.ENV_VAR] = folder
        try:
            no_cache = _build_ms(kb, cache=False)
            miss = _build_ms(kb, cache=True)
            hit = _build_ms(kb, cache=True)
        finally:
            if previous is None:
                os.environ.pop(matcher_cache.ENV_VAR, None)
            else:
                os.environ[matcher_cache.ENV_VAR] = previous
    print(f"Matcher(kb) build (shipped, target ≤ 100 ms): without the cache {no_cache:.0f} ms, "
          f"cache miss (build + write) {miss:.0f} ms, cache hit {hit:.1f} ms")
    with tempfile.TemporaryDirectory(prefix="bench-ask-cache-") as folder:
        env = {**os.environ, matcher_cache.ENV_VAR: folder}
        first, runs = _ask_process(env)
    print(f"python -m bot ask, whole process (target median ≤ 0.6 s): median of {len(runs)} "
          f"{statistics.median(runs):.2f} s (min {min(runs):.2f}, max {max(runs):.2f}); "
          f"first run, cache miss {first:.2f} s")

    matcher = Matcher(kb, cache=False)
    _report("shipped KB, repeated questions, score cache hits", _latencies(matcher, 200))
    _report("shipped KB, repeated questions, scored afresh (target p99 ≤ 1 ms)",
            _latencies(matcher, 200, cached=False))
    _report("shipped KB, unseen questions", _cold_latencies(matcher, 2000))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS (shipped knowledge base): {peak / 1024:.0f} MiB")

    root = Path(__file__).resolve().parents[1]
    sys.stdout.flush()
    subprocess.run([sys.executable, "-m", "benchmarks.bench_matcher", "--big"], cwd=root,
                   check=False)


if __name__ == "__main__":
    if sys.argv[1:] == ["--big"]:
        big()
    else:
        main()
