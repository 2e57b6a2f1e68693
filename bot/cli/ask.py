"""``python -m bot ask [--json] [--now ISO-8601] QUESTION``: answer from the terminal.

``QUESTION`` may be ``-`` to read one question per line from stdin; then one result is
printed per line, in order (a bad line, one that is not valid UTF-8 included, gets an
error result in its place, and the exit status stays 0). JSON mode prints
``{"entry_id", "confidence", "answer", "suggestions"}`` objects (plus ``"error"`` for a
question that could not be used). Never imports discord.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import EXIT_USAGE, InputLines, is_utf8
from bot.cli._instants import parse_instant

if TYPE_CHECKING:
    from knowledge.answers import Answer
    from knowledge.matcher import Matcher
    from knowledge.models import KnowledgeBase


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="answer an exam-policy question",
        description="Answer an exam-policy question from the knowledge base.",
    )
    parser.add_argument("question", metavar="QUESTION", help="the question, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print JSON (one object a line)")
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="knowledge directory (default: KNOWLEDGE_DIR, else the packaged one)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO-8601",
        default=None,
        help="answer as of this aware instant, e.g. 2026-07-01T12:00:00Z (default: now)",
    )
    parser.set_defaults(func=run_ask)


def parse_now(text: str | None) -> dt.datetime:
    """The ``--now`` instant in UTC; raises ValueError with a one-line reason."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    return parse_instant(text, "--now").astimezone(dt.UTC)


def _error_json(message: str) -> dict[str, Any]:
    return {"entry_id": None, "confidence": 0.0, "answer": None, "suggestions": [],
            "error": message}


def _text_block(answer: Answer) -> str:
    if answer.entry is None:
        lines = ["I don't have a sourced answer for that."]
        if answer.suggestions:
            lines.append("Did you mean: " + ", ".join(answer.suggestions) + "?")
        return "\n".join(lines)
    header = f"[{answer.entry.id}] {answer.entry.question} (confidence {answer.confidence:.0%})"
    lines = [header, "", answer.text or ""]
    if answer.suggestions:
        lines += ["", "Did you mean: " + ", ".join(answer.suggestions) + "?"]
    return "\n".join(lines)


def _one_line(answer: Answer) -> str:
    return " ".join(_text_block(answer).replace("\n\n", " | ").split("\n")).strip()


def _answer(
    kb: KnowledgeBase, matcher: Matcher, question: str, now: dt.datetime
) -> Answer:
    from knowledge.answers import answer_question

    return answer_question(kb, matcher, question, now)


def _line_error(message: str, *, as_json: bool) -> None:
    """The result printed in place of a stdin line that could not be used."""
    if as_json:
        print(json.dumps(_error_json(message), ensure_ascii=False))  # noqa: T201
    else:
        print(f"error: {message}")  # noqa: T201
    sys.stdout.flush()


def run_ask(args: argparse.Namespace) -> int:
    try:
        now = parse_now(args.now)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE

    from bot.config import knowledge_dir
    from bot.knowledge_state import KnowledgeState
    from knowledge.answers import InvalidQuestionError
    from knowledge.loader import KnowledgeError

    try:
        knowledge = KnowledgeState.load(knowledge_dir(getattr(args, "data_dir", None)))
    except KnowledgeError as exc:
        print(f"Knowledge files are invalid: {exc.problems[0]}", file=sys.stderr)  # noqa: T201
        return 1
    kb, matcher = knowledge.kb, knowledge.matcher

    if args.question != "-":
        if not is_utf8(args.question):
            print("error: QUESTION is not valid UTF-8 text", file=sys.stderr)  # noqa: T201
            return EXIT_USAGE
        try:
            answer = _answer(kb, matcher, args.question, now)
        except InvalidQuestionError as exc:
            print(f"error: {exc}", file=sys.stderr)  # noqa: T201
            return EXIT_USAGE
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False))  # noqa: T201
        else:
            print(_text_block(answer))  # noqa: T201
        return 0

    for line in InputLines(sys.stdin):
        if line.text is None:
            _line_error(f"line {line.number} is not valid UTF-8 text", as_json=args.json)
            continue
        try:
            answer = _answer(kb, matcher, line.text, now)
        except InvalidQuestionError as exc:
            _line_error(str(exc), as_json=args.json)
            continue
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False))  # noqa: T201
        else:
            print(_one_line(answer))  # noqa: T201
        sys.stdout.flush()
    return 0
