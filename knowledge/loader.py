"""Load and validate the knowledge files as a whole: all or nothing.

A broken file must stop ``kb check`` and start-up with a message that names the file,
the entry and the field, and nothing may be half-loaded: the loader builds a complete
:class:`KnowledgeBase` or raises :class:`KnowledgeError` with every problem found.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from knowledge.models import MAX_ANSWER_CHARS, Exam, FaqEntry, KnowledgeBase, Policy
from knowledge.templating import UnknownPlaceholderError, render

DATA_DIR = Path(__file__).resolve().parent / "data"

M = TypeVar("M", bound=BaseModel)

_BRACES_RE = re.compile(r"\{[^{}]*\}")
# Answers are rendered at these instants during validation so that both the
# "retires on" and "retired on" wordings are checked, whatever the date today.
_VALIDATION_INSTANTS = (
    dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge files, located precisely."""

    file: str
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f" [{self.entry}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge files are invalid; ``problems`` lists every error found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _read_toml(path: Path, label: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(Problem(label, None, None, f"cannot be read: {exc}"))
        return None


def _validation_problems(
    file: str, entry: str | None, exc: ValidationError, prefix: str = ""
) -> list[Problem]:
    found = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or None
        if prefix and field:
            field = f"{prefix}.{field}"
        found.append(Problem(file, entry, field or prefix or None, error["msg"]))
    return found


def _parse(
    model: type[M], raw: Any, file: str, entry: str | None, problems: list[Problem]
) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_validation_problems(file, entry, exc))
        return None


def _load_policy(data_dir: Path, problems: list[Problem]) -> Policy | None:
    raw = _read_toml(data_dir / "policy.toml", "policy.toml", problems)
    return None if raw is None else _parse(Policy, raw, "policy.toml", None, problems)


def _load_exams(data_dir: Path, problems: list[Problem]) -> dict[str, Exam]:
    raw = _read_toml(data_dir / "exams.toml", "exams.toml", problems)
    exams: dict[str, Exam] = {}
    if raw is None:
        return exams
    for index, item in enumerate(raw.get("exam", [])):
        label = str(item.get("code", f"exam #{index + 1}"))
        exam = _parse(Exam, item, "exams.toml", label, problems)
        if exam is None:
            continue
        if exam.code in exams:
            problems.append(Problem("exams.toml", exam.code, "code", "duplicate exam code"))
        exams[exam.code] = exam
    for exam in exams.values():
        if not exam.sources:
            problems.append(Problem("exams.toml", exam.code, "sources", "at least one source"))
    return exams


def _load_entries(
    data_dir: Path, problems: list[Problem]
) -> tuple[dict[str, FaqEntry], dict[str, str]]:
    entries: dict[str, FaqEntry] = {}
    files: dict[str, str] = {}
    faq_dir = data_dir / "faq"
    paths = sorted(faq_dir.glob("*.toml")) if faq_dir.is_dir() else []
    if not paths:
        problems.append(Problem("faq/", None, None, "no FAQ files found"))
    for path in paths:
        name = f"faq/{path.name}"
        raw = _read_toml(path, name, problems)
        if raw is None:
            continue
        for index, item in enumerate(raw.get("entry", [])):
            label = str(item.get("id", f"entry #{index + 1}"))
            entry = _parse(FaqEntry, item, name, label, problems)
            if entry is None:
                continue
            if entry.id in entries:
                problems.append(
                    Problem(name, entry.id, "id", f"duplicate id (also in {files[entry.id]})")
                )
                continue
            entries[entry.id] = entry
            files[entry.id] = name
    return entries, files


MEMBER_QUESTIONS = "member_questions.toml"


def _attach_member_questions(
    data_dir: Path, entries: dict[str, FaqEntry], problems: list[Problem]
) -> dict[str, FaqEntry]:
    """Entries with the member questions labelled for them (the file is optional)."""
    path = data_dir / MEMBER_QUESTIONS
    if not path.exists():
        return entries
    raw = _read_toml(path, MEMBER_QUESTIONS, problems)
    if raw is None:
        return entries
    table = raw.get("questions")
    if not isinstance(table, dict):
        problems.append(Problem(MEMBER_QUESTIONS, None, "questions", "must be a table"))
        return entries
    attached = dict(entries)
    for entry_id, questions in table.items():
        if entry_id not in entries:
            problems.append(
                Problem(MEMBER_QUESTIONS, entry_id, "questions", f"unknown entry id '{entry_id}'")
            )
            continue
        if not isinstance(questions, list) or not all(
            isinstance(q, str) and q.strip() for q in questions
        ):
            message = "must be a list of non-empty strings"
            problems.append(Problem(MEMBER_QUESTIONS, entry_id, "questions", message))
            continue
        attached[entry_id] = entries[entry_id].model_copy(update={"examples": tuple(questions)})
    return attached


def _cross_check(kb: KnowledgeBase, files: dict[str, str], problems: list[Problem]) -> None:
    for exam in kb.exams.values():
        if exam.successor and exam.successor not in kb.exams:
            problems.append(
                Problem("exams.toml", exam.code, "successor", f"{exam.successor} is not catalogued")
            )
    for entry in kb.entries.values():
        file = files[entry.id]
        for related in entry.related:
            if related not in kb.entries:
                problems.append(Problem(file, entry.id, "related", f"unknown entry id '{related}'"))
        for code in entry.exams:
            if code not in kb.exams:
                problems.append(Problem(file, entry.id, "exams", f"{code} is not catalogued"))
        for now in _VALIDATION_INSTANTS:
            try:
                text = render(entry.answer, kb, now)
            except UnknownPlaceholderError as exc:
                problems.append(Problem(file, entry.id, "answer", str(exc)))
                break
            stray = _BRACES_RE.search(text)
            if stray:
                problems.append(
                    Problem(file, entry.id, "answer", f"malformed placeholder {stray.group(0)}")
                )
                break
            if len(text) > MAX_ANSWER_CHARS:
                message = f"{len(text)} characters once filled (max {MAX_ANSWER_CHARS})"
                problems.append(Problem(file, entry.id, "answer", message))
                break


def load_knowledge(data_dir: Path | None = None) -> KnowledgeBase:
    """Load every knowledge file under ``data_dir`` (default: the packaged data)."""
    data_dir = data_dir or DATA_DIR
    problems: list[Problem] = []
    policy = _load_policy(data_dir, problems)
    exams = _load_exams(data_dir, problems)
    entries, files = _load_entries(data_dir, problems)
    entries = _attach_member_questions(data_dir, entries, problems)
    if policy is None:
        raise KnowledgeError(problems)
    kb = KnowledgeBase(policy=policy, exams=exams, entries=entries)
    _cross_check(kb, files, problems)
    if problems:
        raise KnowledgeError(problems)
    return kb
