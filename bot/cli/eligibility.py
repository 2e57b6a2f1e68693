"""``python -m bot eligibility --exam CODE [--now ISO] [--attempts FILE|-] [--json]``.

When may a member sit an exam again? The attempts file is a JSON list of
``{"taken_at": "<ISO-8601 with offset>", "result": "pass"|"fail"}`` in UTF-8, a BOM
allowed (``-`` reads stdin; without ``--attempts`` there are no attempts). Bad input
exits with status 2 and one line on stderr, an instant out of the calendar's range
included (one past the year 9999 in UTC, or whose retake window would end there).
Start-up stays fast: no discord, heavy imports only when run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import read_input_text
from bot.cli._instants import parse_instant, shown

if TYPE_CHECKING:
    from knowledge.models import Policy
    from knowledge.rules import Attempt, Eligibility

EXIT_OK = 0
EXIT_KNOWLEDGE = 1
EXIT_USAGE = 2
_JSON_KINDS = {
    dict: "an object",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class InputError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "eligibility",
        help="when can I take an exam (again)?",
        description="Apply the retake policy to a member's attempts on one exam.",
    )
    # --exam is checked in run() rather than by argparse, so that a missing code is
    # reported like every other bad input: one line, exit status 2.
    parser.add_argument("--exam", metavar="CODE", help="exam code, e.g. AI-103 (required)")
    parser.add_argument(
        "--now",
        metavar="ISO-8601",
        help="the instant to evaluate at, with an offset (default: the current time)",
    )
    parser.add_argument(
        "--attempts",
        metavar="FILE",
        help='JSON list of {"taken_at": ISO-8601, "result": "pass"|"fail"}; "-" reads stdin',
    )
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="knowledge directory (default: KNOWLEDGE_DIR, else the packaged one)",
    )
    parser.set_defaults(func=run)


def _instant(text: str, what: str) -> dt.datetime:
    try:
        return parse_instant(text, what)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _read_text(source: str) -> tuple[str, str]:
    """The attempts document and how messages name it; a UTF-8 BOM is accepted."""
    if source == "-":
        try:
            return read_input_text(sys.stdin), "stdin"
        except ValueError as exc:
            raise InputError(f"stdin {exc}") from None
    path = Path(source)
    label = f"attempts file '{shown(source)}'"
    try:
        return path.read_text(encoding="utf-8-sig"), label
    except FileNotFoundError:
        raise InputError(f"{label} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{label} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{label} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read {label}: {exc.strerror or exc}") from None


def parse_attempts(text: str, label: str, now: dt.datetime) -> list[Attempt]:
    """Attempts from the JSON document ``text``; every problem is an :class:`InputError`."""
    from knowledge.rules import Attempt, AttemptResult

    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{label} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(f"{label} is not valid JSON: nested too deeply") from None
    except ValueError:  # an integer too long to convert ("Exceeds the limit …")
        limit = sys.get_int_max_str_digits()
        raise InputError(f"{label} holds a number too long to read (over {limit} digits)") from None
    if not isinstance(data, list):
        kind = _JSON_KINDS.get(type(data), type(data).__name__)
        raise InputError(f"{label} must hold a JSON list of attempts, not {kind}")
    attempts: list[Attempt] = []
    for number, item in enumerate(data, start=1):
        where = f"{label}, attempt #{number}"
        if not isinstance(item, dict):
            raise InputError(f'{where}: expected an object with "taken_at" and "result"')
        missing = [key for key in ("taken_at", "result") if key not in item]
        if missing:
            raise InputError(f"{where}: missing {' and '.join(repr(k) for k in missing)}")
        taken_text, result_text = item["taken_at"], item["result"]
        if not isinstance(taken_text, str):
            raise InputError(f'{where}: "taken_at" must be an ISO-8601 string')
        taken = _instant(taken_text, f'{where}: "taken_at"')
        if not isinstance(result_text, str) or result_text.strip().lower() not in (
            "pass",
            "fail",
        ):
            given = shown(json.dumps(result_text))
            raise InputError(f'{where}: "result" must be "pass" or "fail", not {given}')
        if taken > now:
            raise InputError(
                f"{where}: taken_at {_utc(taken)} is after now ({_utc(now)}); "
                "log only attempts already taken"
            )
        attempts.append(Attempt(taken, AttemptResult(result_text.strip().lower())))
    return attempts


def check_reach(attempts: list[Attempt], label: str, policy: Policy) -> None:
    """Every instant the rules engine counts from an attempt (its window's end, the
    waits after it) must exist: an :class:`InputError` naming the first attempt for
    which one would fall after the year 9999."""
    from knowledge.rules import add_months

    months = policy.attempt_window_months
    spans: list[tuple[str, Callable[[dt.datetime], dt.datetime]]] = [
        (f"{months}-month attempt window", lambda t: add_months(t, months)),
        ("wait after a failed first attempt", lambda t: t + policy.first_failure_wait),
        ("wait after a later failed attempt", lambda t: t + policy.later_failure_wait),
    ]
    for number, attempt in enumerate(attempts, start=1):
        taken = attempt.taken_at.astimezone(dt.UTC)
        for span, count_from in spans:
            try:
                count_from(taken)
            except OverflowError:
                raise InputError(
                    f'{label}, attempt #{number}: "taken_at" {_utc(taken)} is too late: '
                    f"the policy's {span} from it would end after the year 9999"
                ) from None


def _utc(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    from knowledge.rules import format_utc

    return format_utc(moment)


def to_json(eligibility: Eligibility) -> dict[str, Any]:
    """The ``--json`` document: fixed keys, datetimes as UTC ISO-8601 ending in ``Z``."""
    return {
        "status": str(eligibility.status),
        "earliest": _utc(eligibility.earliest),
        "attempts_in_window": eligibility.attempts_in_window,
        "window_start": _utc(eligibility.window_start),
        "window_ends": _utc(eligibility.window_ends),
        "retires_at": _utc(eligibility.retires_at),
        "rule": eligibility.rule,
        "explanation": eligibility.explanation,
    }


_HEADLINES = {
    "passed": "passed: no retake needed",
    "retired": "retired: it can no longer be taken",
    "retires_first": "the exam retires before your wait ends",
    "limit_reached": "attempt limit reached",
    "waiting": "waiting",
    "eligible": "eligible now",
}


def to_text(eligibility: Eligibility, code: str, limit: int) -> str:
    lines = [f"{code}: {_HEADLINES.get(str(eligibility.status), str(eligibility.status))}"]
    if eligibility.earliest is not None:
        lines.append(f"  Earliest:  {_utc(eligibility.earliest)}")
    if eligibility.window_start is not None:
        lines.append(
            f"  Window:    {_utc(eligibility.window_start)} → {_utc(eligibility.window_ends)}"
            f" ({eligibility.attempts_in_window} of {limit} attempts used)"
        )
    if eligibility.retires_at is not None:
        lines.append(f"  Retires:   {_utc(eligibility.retires_at)}")
    lines.append(f"  Rule:      {eligibility.rule}")
    lines.append("")
    lines.append(eligibility.explanation)
    return "\n".join(lines)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)  # noqa: T201
    return status


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except InputError as exc:
        return _fail(str(exc))


def _run(args: argparse.Namespace) -> int:
    from knowledge.codes import InvalidExamCodeError, normalize_exam_code

    if not args.exam:
        raise InputError("--exam CODE is required (e.g. --exam AI-103)")
    try:
        code = normalize_exam_code(args.exam)
    except InvalidExamCodeError as exc:
        raise InputError(str(exc)) from None

    now = dt.datetime.now(dt.UTC) if args.now is None else _instant(args.now, "--now")

    attempts: list[Attempt] = []
    label = "attempts"
    if args.attempts is not None:
        text, label = _read_text(args.attempts)
        attempts = parse_attempts(text, label, now)

    from bot.config import knowledge_dir
    from knowledge.loader import KnowledgeError, load_knowledge
    from knowledge.rules import evaluate

    try:
        kb = load_knowledge(knowledge_dir(getattr(args, "data_dir", None)))
    except KnowledgeError as exc:
        first = exc.problems[0] if exc.problems else exc
        return _fail(
            f"knowledge files are invalid ({first}); run 'python -m bot kb check'", EXIT_KNOWLEDGE
        )
    check_reach(attempts, label, kb.policy)
    exam = kb.exam(code)
    try:
        eligibility = evaluate(attempts, exam, now, kb.policy)
    except (ValueError, OverflowError) as exc:  # check_reach should leave none
        raise InputError(f"{label}: {' '.join(str(exc).split())}") from None

    if args.json:
        json.dump(to_json(eligibility), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(to_text(eligibility, exam.code, kb.policy.max_attempts_per_window))
        sys.stdout.write("\n")
    return EXIT_OK
