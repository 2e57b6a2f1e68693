"""``python -m bot kb check`` and ``kb dump --json``: inspect the knowledge files;
``kb learned --export FILE``: what the servers' moderators taught, as member questions."""

from __future__ import annotations

import argparse
import asyncio
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
    learned = kb_sub.add_parser(
        "learned", help="export what moderators taught (/kb teach) as member questions"
    )
    learned.add_argument(
        "--export", type=Path, required=True, metavar="FILE",
        help="write every taught question as TOML in the format of member_questions.toml",
    )  # fmt: skip
    learned.add_argument("--data-dir", type=Path, default=None, help=_DATA_DIR_HELP)
    learned.set_defaults(func=run_learned)


def run_check(args: argparse.Namespace) -> int:
    from bot.config import knowledge_dir
    from knowledge.loader import KnowledgeError, load_knowledge
    from knowledge.refusals import entry_texts_problems

    try:
        kb = load_knowledge(knowledge_dir(args.data_dir))
        refused = entry_texts_problems(kb)
        if refused:
            raise KnowledgeError(refused)
    except KnowledgeError as exc:
        print(f"Knowledge files are invalid ({len(exc.problems)} problem(s)):", file=sys.stderr)  # noqa: T201
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)  # noqa: T201
        return 1
    print(  # noqa: T201
        f"OK: {len(kb.entries)} entries, {len(kb.exams)} exams, "
        f"{sum(len(e.phrasings) for e in kb.entries.values())} phrasings, "
        f"{sum(len(e.examples) for e in kb.entries.values())} member questions, "
        f"{len(kb.matcher.unanswered.texts) if kb.matcher else 0} unanswered questions."
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


def learned_toml(taught: list[tuple[str, str]], known: set[str]) -> tuple[str, int]:
    """``(entry id or off-topic, question)`` pairs as a member_questions.toml document,
    and how many questions went under ``[questions]``.

    Questions for an entry the knowledge files no longer have, and those taught
    ``off-topic`` (eval material: ``none`` rows of ``eval/questions.tsv``), are written
    as comments, so the file always loads. The same question taught in several servers
    appears once. No server or moderator is named.
    """
    from bot.taught import OFF_TOPIC

    by_entry: dict[str, list[str]] = {}
    for entry_id, question in taught:
        questions = by_entry.setdefault(entry_id, [])
        if question.casefold() not in {q.casefold() for q in questions}:
            questions.append(question)
    lines = [
        "# Questions server moderators taught the bot (/kb teach), exported by",
        "# `python -m bot kb learned --export`. Fold good ones into",
        "# knowledge/data/member_questions.toml under their entry id (see the README,",
        '# "Editing the knowledge base"), then `make eval` measures them.',
        "",
        "[questions]",
    ]
    count = 0
    for entry_id in sorted(e for e in by_entry if e in known):
        lines.append(f"{json.dumps(entry_id)} = [")
        lines += [f"    {json.dumps(q, ensure_ascii=False)}," for q in by_entry[entry_id]]
        lines.append("]")
        count += len(by_entry[entry_id])
    for entry_id in sorted(e for e in by_entry if e not in known):
        why = (
            "taught off-topic (the \"off-topic\" list of matcher/unanswered.toml, "
            "not member questions)"
            if entry_id == OFF_TOPIC
            else "taught to an entry the knowledge files no longer have"
        )
        lines += ["", f"# {json.dumps(entry_id)}: {why}"]
        lines += [f"#   {json.dumps(q, ensure_ascii=False)}" for q in by_entry[entry_id]]
    return "\n".join(lines) + "\n", count


def run_learned(args: argparse.Namespace) -> int:
    return asyncio.run(_learned(Path(args.export), args.data_dir))


async def _learned(target: Path, data_dir: Path | None) -> int:
    from bot.config import Settings, knowledge_dir
    from bot.storage.database import DatabaseOpenError, open_database, store_setting
    from knowledge.loader import KnowledgeError, load_knowledge

    try:
        kb = load_knowledge(knowledge_dir(data_dir))
    except KnowledgeError as exc:
        print(f"Knowledge files are invalid: {exc.problems[0]}", file=sys.stderr)  # noqa: T201
        return 1
    settings = Settings()
    try:
        db = await open_database(settings)
    except DatabaseOpenError as exc:
        print(f"{store_setting(settings)}: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    try:
        rows = await db.taught.list_all()
    finally:
        await db.close()
    text, count = learned_toml([(r.entry_id, r.question) for r in rows], set(kb.entries))
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"kb learned: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"Wrote {count} taught question(s) to {target} ({len(rows)} taught in all).")  # noqa: T201
    return 0
