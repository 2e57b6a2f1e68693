"""``python -m bot kb check`` and ``kb dump --json``: inspect the knowledge files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

_DATA_DIR_HELP = "knowledge directory (default: KNOWLEDGE_DIR, else the packaged one)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("kb", help="check or dump the knowledge files")
    kb_sub = parser.add_subparsers(dest="kb_command", required=True, metavar="ACTION")
    check = kb_sub.add_parser("check", help="validate every knowledge file")
    check.add_argument("--data-dir", type=Path, default=None, help=_DATA_DIR_HELP)
    check.set_defaults(func=run_check)
    dump = kb_sub.add_parser("dump", help="print the catalog, policy and entries")
    dump.add_argument("--json", action="store_true", required=True, help="JSON output")
    dump.add_argument("--data-dir", type=Path, default=None, help=_DATA_DIR_HELP)
    dump.set_defaults(func=run_dump)


def run_check(args: argparse.Namespace) -> int:
    from bot.config import knowledge_dir
    from knowledge.loader import KnowledgeError, load_knowledge

    try:
        kb = load_knowledge(knowledge_dir(args.data_dir))
    except KnowledgeError as exc:
        print(f"Knowledge files are invalid ({len(exc.problems)} problem(s)):", file=sys.stderr)  # noqa: T201
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)  # noqa: T201
        return 1
    print(  # noqa: T201
        f"OK: {len(kb.entries)} entries, {len(kb.exams)} exams, "
        f"{sum(len(e.phrasings) for e in kb.entries.values())} phrasings, "
        f"{sum(len(e.examples) for e in kb.entries.values())} member questions."
    )
    return 0


def dump_knowledge(data_dir: Path | None = None) -> dict[str, Any]:
    """The JSON document printed by ``kb dump --json``."""
    from bot.config import knowledge_dir
    from knowledge.loader import load_knowledge

    kb = load_knowledge(knowledge_dir(data_dir))
    return {
        "policy": kb.policy.model_dump(mode="json"),
        "exams": [
            {
                **exam.model_dump(mode="json", exclude={"retires_at"}),
                "retires_at": (
                    exam.retires_at.strftime("%Y-%m-%dT%H:%M:%SZ") if exam.retires_at else None
                ),
            }
            for exam in kb.exams.values()
        ],
        "entries": [
            {
                "id": entry.id,
                "category": entry.category,
                "question": entry.question,
                "phrasings": list(entry.phrasings),
                "related": list(entry.related),
                "exams": list(entry.exams),
            }
            for entry in kb.entries.values()
        ],
    }


def run_dump(args: argparse.Namespace) -> int:
    from knowledge.loader import KnowledgeError

    try:
        document = dump_knowledge(args.data_dir)
    except KnowledgeError as exc:
        print(f"Knowledge files are invalid: {exc.problems[0]}", file=sys.stderr)  # noqa: T201
        return 1
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
