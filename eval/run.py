"""``make eval``: how well the matcher routes real-looking questions, against a baseline.

Reads ``eval/questions.tsv`` (``split<TAB>expected<TAB>question``; ``expected`` is an
entry id or ``none``; ``split`` is ``tune`` or ``report``). For each split it prints the
matcher's top-1 accuracy on in-scope questions, its abstention rate on out-of-scope
ones, the same figures for a plain rapidfuzz baseline at that baseline's best cut-off,
a calibration table, and every confusion. Tune on ``tune``; quote ``report``.

``python -m eval.run --fit`` refits the logistic calibration on the tune split and
prints the coefficients to paste into ``knowledge.matcher.CALIBRATION``.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher, out_of_scope_reason
from knowledge.models import KnowledgeBase

QUESTIONS = Path(__file__).resolve().parent / "questions.tsv"
NONE = "none"


@dataclass(frozen=True)
class Row:
    split: str
    expected: str | None
    question: str


def read_rows(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for record in reader:
            expected = record["expected"].strip()
            rows.append(
                Row(
                    record["split"].strip(),
                    None if expected.lower() == NONE else expected,
                    record["question"].strip(),
                )
            )
    return rows


@dataclass(frozen=True)
class Outcome:
    row: Row
    got: str | None
    confidence: float


def evaluate(matcher: Matcher, rows: list[Row]) -> list[Outcome]:
    outcomes = []
    for row in rows:
        result = matcher.match(row.question)
        outcomes.append(Outcome(row, result.entry_id, result.confidence))
    return outcomes


def rates(pairs: list[tuple[str | None, str | None]]) -> tuple[float, float, float, int, int]:
    """(in-scope top-1 accuracy, out-of-scope abstention, overall accuracy, n_in, n_out)."""
    inside = [(e, g) for e, g in pairs if e is not None]
    outside = [(e, g) for e, g in pairs if e is None]
    acc = sum(e == g for e, g in inside) / len(inside) if inside else float("nan")
    abst = sum(g is None for _, g in outside) / len(outside) if outside else float("nan")
    overall = sum(e == g for e, g in pairs) / len(pairs) if pairs else float("nan")
    return acc, abst, overall, len(inside), len(outside)


def baseline(
    kb: KnowledgeBase, rows: list[Row]
) -> tuple[float, list[tuple[str | None, str | None]]]:
    """The plain rapidfuzz baseline at the cut-off that maximises its overall accuracy."""
    phrasings: list[str] = []
    owners: list[str] = []
    for entry in kb.entries.values():
        for text in (entry.question, *entry.phrasings):
            phrasings.append(text)
            owners.append(entry.id)
    raw: list[tuple[str | None, float]] = []
    for row in rows:
        found = process.extractOne(
            row.question, phrasings, scorer=fuzz.WRatio, processor=utils.default_process
        )
        raw.append((owners[found[2]], found[1]) if found else (None, 0.0))
    best_cut, best_pairs, best_acc = 0.0, [], -1.0
    for cut in range(101):
        pairs = [
            (row.expected, got if score >= cut else None)
            for row, (got, score) in zip(rows, raw, strict=True)
        ]
        acc = sum(e == g for e, g in pairs) / max(len(pairs), 1)
        if acc > best_acc:
            best_cut, best_pairs, best_acc = float(cut), pairs, acc
    return best_cut, best_pairs


def calibration_table(outcomes: list[Outcome]) -> list[str]:
    bins: dict[int, list[bool]] = {}
    for o in outcomes:
        if o.got is None and o.confidence == 0.0:
            continue
        index = min(int(o.confidence * 5), 4)
        bins.setdefault(index, []).append((o.got == o.row.expected and o.got is not None)
                                          or (o.got is None and o.row.expected is None))
    lines = []
    for index in sorted(bins):
        hits = bins[index]
        lines.append(
            f"    confidence {index / 5:.1f}-{(index + 1) / 5:.1f}: {len(hits):4d} questions, "
            f"{sum(hits) / len(hits):6.1%} correct"
        )
    return lines


def report(
    kb: KnowledgeBase, matcher: Matcher, rows: list[Row], split: str, show: bool = True
) -> None:
    chosen = [r for r in rows if r.split == split]
    if not chosen:
        print(f"\n[{split}] no questions")
        return
    outcomes = evaluate(matcher, chosen)
    acc, abst, overall, n_in, n_out = rates([(o.row.expected, o.got) for o in outcomes])
    cut, base_pairs = baseline(kb, chosen)
    b_acc, b_abst, b_overall, _, _ = rates(base_pairs)
    print(f"\n[{split}] {len(chosen)} questions ({n_in} in scope, {n_out} out of scope)")
    print(f"  matcher : top-1 in-scope {acc:6.1%}   abstention out-of-scope {abst:6.1%}   "
          f"overall {overall:6.1%}")
    print(f"  baseline: top-1 in-scope {b_acc:6.1%}   abstention out-of-scope {b_abst:6.1%}   "
          f"overall {b_overall:6.1%}   (WRatio + default_process, best cut-off {cut:.0f})")
    print("  calibration (matched or scored questions):")
    for line in calibration_table(outcomes):
        print(line)
    confusions = [o for o in outcomes if o.got != o.row.expected]
    print(f"  confusions ({len(confusions)}):")
    if not show:
        print("    (hidden: --hide-confusions)")
        return
    for o in confusions:
        print(f"    {o.row.expected or NONE} → {o.got or NONE} ({o.confidence:.2f}): "
              f"{o.row.question}")


def fit(matcher: Matcher, rows: list[Row]) -> tuple[float, ...]:
    """Logistic regression of "top candidate is right" on the match features."""
    data: list[tuple[list[float], float]] = []
    for row in rows:
        if row.split != "tune" or out_of_scope_reason(row.question) is not None:
            continue
        scored, features = matcher.features(row.question)
        if not scored:
            continue
        label = 1.0 if row.expected is not None and scored[0].entry_id == row.expected else 0.0
        data.append(([1.0, *features], label))
    weights = [0.0] * 4
    rate, l2 = 0.5, 1e-3
    for _ in range(20000):
        grad = [0.0] * 4
        for x, y in data:
            z = sum(w * v for w, v in zip(weights, x, strict=True))
            p = 1 / (1 + math.exp(-max(min(z, 30), -30)))
            for i, v in enumerate(x):
                grad[i] += (p - y) * v
        for i in range(4):
            weights[i] -= rate * (grad[i] / max(len(data), 1) + (l2 * weights[i] if i else 0))
    return tuple(round(w, 2) for w in weights)


def phrasing_cv(kb: KnowledgeBase, folds: int = 5) -> tuple[float, list[tuple[str, str, str]]]:
    """A development score that never touches ``questions.tsv``: hold out every
    ``folds``-th phrasing of every entry, build the matcher on the rest, and route the
    held-out phrasings. Returns (top-1 accuracy, [(expected, got, phrasing)] misses)."""
    hits, total = 0, 0
    misses: list[tuple[str, str, str]] = []
    for fold in range(folds):
        held: list[tuple[str, str]] = []
        entries = {}
        for entry_id, entry in kb.entries.items():
            keep = tuple(p for i, p in enumerate(entry.phrasings) if i % folds != fold)
            held += [(entry_id, p) for i, p in enumerate(entry.phrasings) if i % folds == fold]
            entries[entry_id] = entry.model_copy(update={"phrasings": keep})
        matcher = Matcher(kb.model_copy(update={"entries": entries}))
        for expected, phrasing in held:
            got = matcher.match(phrasing).entry_id
            total += 1
            if got == expected:
                hits += 1
            else:
                misses.append((expected, got or NONE, phrasing))
    return hits / max(total, 1), misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.run")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--fit", action="store_true", help="refit the calibration on tune")
    parser.add_argument(
        "--split", choices=("report", "tune", "both"), default="both",
        help="which split(s) to evaluate (tune on 'tune', quote 'report')",
    )
    parser.add_argument(
        "--hide-confusions", action="append", default=[], choices=("report", "tune"),
        metavar="SPLIT", help="print a split's figures but not its questions (repeatable)",
    )
    parser.add_argument(
        "--cv", action="store_true",
        help="cross-validate on the knowledge base's own phrasings (no eval questions)",
    )
    args = parser.parse_args(argv)
    if args.cv:
        kb = load_knowledge()
        accuracy, misses = phrasing_cv(kb)
        print(f"held-out phrasings: top-1 {accuracy:6.1%} ({len(misses)} misses)")
        for expected, got, phrasing in misses:
            print(f"    {expected} → {got}: {phrasing}")
        return 0
    if not args.questions.exists():
        print(f"{args.questions} does not exist yet.", file=sys.stderr)
        return 1
    kb = load_knowledge()
    matcher = Matcher(kb)
    rows = read_rows(args.questions)
    unknown = sorted({r.expected for r in rows if r.expected and r.expected not in kb.entries})
    if unknown:
        print(f"warning: expected ids not in the knowledge base: {', '.join(unknown)}")
    if args.fit:
        print("CALIBRATION =", fit(matcher, rows))
        return 0
    print(f"Knowledge base: {len(kb.entries)} entries; questions: {args.questions.name}")
    for split in ("report", "tune"):
        if args.split in (split, "both"):
            report(kb, matcher, rows, split, show=split not in args.hide_confusions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
