"""Load and validate the knowledge files as a whole: all or nothing.

A broken file must stop ``kb check`` and start-up with a message that names the file,
the entry and the field, and nothing may be half-loaded: the loader builds a complete
:class:`KnowledgeBase` or raises :class:`KnowledgeError` with every problem found.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import hashlib
import re
import tomllib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from knowledge.matcher_data import (
    Context,
    Family,
    Gaps,
    MatcherData,
    NormalizeRules,
    OffTopic,
    Rule,
    SmallTalk,
    Unanswered,
    Weights,
)
from knowledge.models import (
    MAX_ANSWER_CHARS,
    Exam,
    FaqEntry,
    HelpPage,
    KnowledgeBase,
    Policy,
)
from knowledge.regex_safety import save_verdicts
from knowledge.templating import US_CENTRAL, UnknownPlaceholderError, render

if TYPE_CHECKING:
    from knowledge.offtopic import OffTopicStage

DATA_DIR = Path(__file__).resolve().parent / "data"

M = TypeVar("M", bound=BaseModel)

_BRACES_RE = re.compile(r"\{[^{}]*\}")
_BRACE_RE = re.compile(r"[{}]")
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
    """The file's TOML document, or None with a problem that says why it cannot be read.

    A UTF-8 byte-order mark is accepted and dropped: editors on Windows add one, and
    TOML itself refuses it. Text in another encoding is refused with the line and column
    of its first foreign byte, so the editor knows where to look.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(label, None, None, f"cannot be read: {exc.strerror or exc}"))
        return None
    data = data.removeprefix(codecs.BOM_UTF8)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        message = "cannot be read: it is saved as UTF-16; save it as UTF-8"
        problems.append(Problem(label, None, None, message))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        message = (
            f"cannot be read: byte 0x{data[exc.start]:02x} at line {line}, column {column} "
            "is not UTF-8; save the file as UTF-8"
        )
        problems.append(Problem(label, None, None, message))
        return None
    simple = _simple_toml(text)
    if simple is not None:
        return simple
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(label, None, None, f"cannot be read: {exc}"))
        return None


# One line of a TOML document of the simplest kind (member_questions.toml): blank or a
# comment, a [table] header, `key = "string"`, `key = [` opening an array of strings
# written one per line, an item of it (`"string",`), or the `]` closing it. Keys are bare
# or quoted; strings are basic strings whose only escapes are \" and \\; a comment may
# end any line. The character classes are TOML's: no control character but tab in a
# string or comment.
_TOML_CHARS = r'[^"\\\x00-\x08\x0a-\x1f\x7f]*'
_TOML_STRING = rf'"{_TOML_CHARS}(?:\\["\\]{_TOML_CHARS})*"'
_TOML_ESCAPE = re.compile(r'\\(["\\])')
_TOML_KEY = rf"[A-Za-z0-9_-]+|{_TOML_STRING}"
_SIMPLE_TOML_LINE = re.compile(
    rf"""[ \t]*
    (?:
        (?P<item>{_TOML_STRING}) [ \t]* (?P<comma>,)?
      | (?P<key>{_TOML_KEY}) [ \t]* = [ \t]* (?: (?P<open>\[) | (?P<value>{_TOML_STRING}) )
      | \[ [ \t]* (?P<table>{_TOML_KEY}) [ \t]* \]
      | (?P<close>\])
    )?
    [ \t]* (?:\#[^\x00-\x08\x0a-\x1f\x7f]*)?""",
    re.VERBOSE,
)


def _simple_toml(text: str) -> dict[str, Any] | None:
    """The document ``tomllib.loads`` reads from ``text`` when every line of it is of
    the simplest kind (:data:`_SIMPLE_TOML_LINE`), read line by line several times
    faster (the loader reads thousands of member questions at every validation); None
    for any other text, and for anything TOML refuses (a key or table defined twice, an
    array left open, two items without a comma …): ``tomllib`` then reads it, or names
    what is wrong, as before."""
    if "\r" in text:
        return None
    root: dict[str, Any] = {}
    table = root
    items: list[str] | None = None  # the array being read, if any
    comma = True  # whether the array may take another item
    for line in text.split("\n"):
        found = _SIMPLE_TOML_LINE.fullmatch(line)
        if found is None:
            return None
        kind = found.lastgroup  # the line's last group: "comma" ends an item
        if kind is None:  # a blank line or a comment
            continue
        if items is not None:
            if kind in ("item", "comma"):
                if not comma:
                    return None
                items.append(_simple_string(found["item"]))
                comma = found["comma"] is not None
            elif kind == "close":
                items = None
            else:
                return None
        elif kind == "table":
            name = _simple_key(found["table"])
            if name in root:
                return None
            table = root[name] = {}
        elif kind in ("open", "value"):
            key = _simple_key(found["key"])
            if key in table:
                return None
            if kind == "open":
                items = table[key] = []
                comma = True
            else:
                table[key] = _simple_string(found["value"])
        else:
            return None
    return root if items is None else None


def _simple_string(string: str) -> str:
    """What a basic string of :data:`_TOML_STRING`, quotes included, stands for."""
    text = string[1:-1]
    return _TOML_ESCAPE.sub(r"\1", text) if "\\" in text else text


def _simple_key(key: str) -> str:
    return _simple_string(key) if key.startswith('"') else key


def _kind(value: Any) -> str:
    """What a TOML value is, in the words of the TOML documentation."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"a string ({value[:30]!r})"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a date or time"


def _top_level(
    raw: dict[str, Any],
    file: str,
    allowed: str | tuple[str, ...],
    header: str,
    problems: list[Problem],
) -> None:
    """Refuse a top-level key the file does not use (``[[exams]]`` for ``[[exam]]``),
    which would otherwise be ignored without a word."""
    keys = (allowed,) if isinstance(allowed, str) else allowed
    for key in raw:
        if key not in keys:
            message = f"unknown top-level key '{key}' (this file has only {header})"
            problems.append(Problem(file, None, key, message))


def _tables(
    raw: dict[str, Any], key: str, id_field: str, file: str, problems: list[Problem]
) -> list[tuple[str, dict[str, Any]]]:
    """The ``[[key]]`` tables of a file, each with the label problems name it by (its
    id when it has a usable one, else ``key #n``). A single ``[key]`` table, a string or
    an array of plain values where the tables belong becomes a problem, not a crash."""
    value = raw.get(key, [])
    if isinstance(value, dict):
        message = f"must be an array of tables: write [[{key}]] before each {key}, not [{key}]"
        problems.append(Problem(file, None, key, message))
        return []
    if not isinstance(value, list):
        message = f"must be an array of tables ([[{key}]]), not {_kind(value)}"
        problems.append(Problem(file, None, key, message))
        return []
    if value and not any(isinstance(item, dict) for item in value):
        message = f"must be an array of tables ([[{key}]]), not an array of plain values"
        problems.append(Problem(file, None, key, message))
        return []
    tables = []
    for index, item in enumerate(value):
        label = f"{key} #{index + 1}"
        if not isinstance(item, dict):
            message = f"must be a table ([[{key}]]), not {_kind(item)}"
            problems.append(Problem(file, label, None, message))
            continue
        ident = item.get(id_field)
        if isinstance(ident, str) and ident.strip():
            label = ident
        tables.append((label, item))
    return tables


def _validation_problems(
    file: str, entry: str | None, exc: ValidationError, prefix: str = "", table: str = ""
) -> list[Problem]:
    found = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or None
        if prefix and field:
            field = f"{prefix}.{field}"
        found.append(Problem(file, entry, field or prefix or None, _message(error, table)))
    return found


def _message(error: Any, table: str) -> str:
    """Pydantic's message, in TOML's words where the shape of the file is wrong: a
    ``[entry.sources]`` table where ``[[entry.sources]]`` tables belong, a string where
    an array or a table belongs. ``table`` is the file's array of tables (``entry``)."""
    value = error.get("input")
    if error["type"] in ("tuple_type", "list_type"):
        if isinstance(value, dict):
            header = ".".join([*filter(None, [table]), *map(str, error["loc"])])
            return f"must be an array of tables: write [[{header}]], not [{header}]"
        return f"must be an array, not {_kind(value)}"
    if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a table, not {_kind(value)}"
    return str(error["msg"])


def _parse(
    model: type[M],
    raw: Any,
    file: str,
    entry: str | None,
    problems: list[Problem],
    table: str = "",
) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_validation_problems(file, entry, exc, table=table))
        return None


def _load_policy(data_dir: Path, problems: list[Problem]) -> Policy | None:
    raw = _read_toml(data_dir / "policy.toml", "policy.toml", problems)
    return None if raw is None else _parse(Policy, raw, "policy.toml", None, problems)


def _load_exams(data_dir: Path, problems: list[Problem]) -> dict[str, Exam]:
    raw = _read_toml(data_dir / "exams.toml", "exams.toml", problems)
    exams: dict[str, Exam] = {}
    if raw is None:
        return exams
    _top_level(raw, "exams.toml", "exam", "[[exam]]", problems)
    for label, item in _tables(raw, "exam", "code", "exams.toml", problems):
        exam = _parse(Exam, item, "exams.toml", label, problems, "exam")
        if exam is None:
            continue
        if exam.code in exams:
            problems.append(Problem("exams.toml", exam.code, "code", "duplicate exam code"))
        exams[exam.code] = exam
    for exam in exams.values():
        if not exam.sources:
            problems.append(Problem("exams.toml", exam.code, "sources", "at least one source"))
    return exams


HELP_PAGES = "help_pages.toml"


def _load_help_pages(data_dir: Path, problems: list[Problem]) -> tuple[HelpPage, ...]:
    """The official pages to point to when no entry answers (the file is optional)."""
    path = data_dir / HELP_PAGES
    if not path.exists():
        return ()
    raw = _read_toml(path, HELP_PAGES, problems)
    if raw is None:
        return ()
    _top_level(raw, HELP_PAGES, "page", "[[page]]", problems)
    pages: list[HelpPage] = []
    for label, item in _tables(raw, "page", "name", HELP_PAGES, problems):
        page = _parse(HelpPage, item, HELP_PAGES, label, problems, "page")
        if page is None:
            continue
        if any(p.name == page.name for p in pages):
            problems.append(Problem(HELP_PAGES, page.name, "name", "duplicate page name"))
            continue
        pages.append(page)
    return tuple(pages)


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
        _top_level(raw, name, "entry", "[[entry]]", problems)
        for label, item in _tables(raw, "entry", "id", name, problems):
            entry = _parse(FaqEntry, item, name, label, problems, "entry")
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
    _top_level(raw, MEMBER_QUESTIONS, "questions", "[questions]", problems)
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


def _unbalanced_brace(answer: str) -> str | None:
    """Where an answer's braces do not pair up, or None. Every ``{`` opens a placeholder
    that the next ``}`` closes; ``{policy.passing_score`` without its ``}`` would reach
    members as it is, and the placeholder checks that follow would never see it."""
    opened: int | None = None
    for brace in _BRACE_RE.finditer(answer):
        index, char = brace.start(), brace.group()
        if char == "{" and opened is None:
            opened = index
        elif char == "{" or (char == "}" and opened is None):
            what = "'{' inside another '{'" if char == "{" else "stray '}'"
            return _brace_message(answer, index, what)
        elif char == "}":
            opened = None
    if opened is not None:
        return _brace_message(answer, opened, "'{' that is never closed")
    return None


def _brace_message(answer: str, index: int, what: str) -> str:
    line = answer.count("\n", 0, index) + 1
    context = answer[max(0, index - 15) : index + 25].replace("\n", " ")
    return f"unbalanced braces: {what} on line {line} of the answer, near {context!r}"


def _successor_cycles(exams: dict[str, Exam], problems: list[Problem]) -> None:
    """Successor chains must end: ``A → B → A`` would send a member who asks what
    replaces A round in a circle. (An exam that is its own successor is named by
    :func:`_check_catalog`.) Each cycle is reported once, where the catalog enters it."""
    done: set[str] = set()
    for start in exams:
        path: dict[str, int] = {}
        code: str | None = start
        while code is not None and code in exams and code not in done and code not in path:
            path[code] = len(path)
            code = exams[code].successor
        if code is not None and code in path:
            cycle = list(path)[path[code] :]
            if len(cycle) > 1:
                chain = " → ".join([*cycle, cycle[0]])
                message = f"successors go round in a circle: {chain}"
                problems.append(Problem("exams.toml", cycle[0], "successor", message))
        done.update(path)


_TRAILING_PUNCTUATION = " ?!.,;:…"


def _phrasing_key(text: str) -> str:
    """A phrasing as the duplicate check compares it: case, spacing and the final
    punctuation do not make two phrasings different."""
    return " ".join(text.casefold().split()).rstrip(_TRAILING_PUNCTUATION)


def _duplicate_phrasings(
    entries: dict[str, FaqEntry], files: dict[str, str], problems: list[Problem]
) -> None:
    """The same phrasing (or question) in two entries teaches the matcher that one
    question has two answers; name both entries. Member questions may repeat: they are
    not compared."""
    owners: dict[str, tuple[str, str]] = {}
    for entry in entries.values():
        texts = [("question", entry.question), *(("phrasings", p) for p in entry.phrasings)]
        for field, text in texts:
            owner, owner_field = owners.setdefault(_phrasing_key(text), (entry.id, field))
            if owner != entry.id:
                what = "the question" if owner_field == "question" else "a phrasing"
                message = (
                    f"{text!r} is also {what} of [{owner}] ({files[owner]}); "
                    "keep it in the entry it fits best"
                )
                problems.append(Problem(files[entry.id], entry.id, field, message))


def _cross_check(kb: KnowledgeBase, files: dict[str, str], problems: list[Problem]) -> None:
    for exam in kb.exams.values():
        if exam.successor and exam.successor not in kb.exams:
            problems.append(
                Problem("exams.toml", exam.code, "successor", f"{exam.successor} is not catalogued")
            )
    _successor_cycles(kb.exams, problems)
    _duplicate_phrasings(kb.entries, files, problems)
    for page in kb.help_pages:
        for entry_id in page.entries:
            if entry_id not in kb.entries:
                problems.append(
                    Problem(HELP_PAGES, page.name, "entries", f"unknown entry id '{entry_id}'"))
            elif not kb.entries[entry_id].only_its_exams:
                problems.append(Problem(
                    HELP_PAGES, page.name, "entries",
                    f"'{entry_id}' answers for every exam (no only_its_exams)"))
    for entry in kb.entries.values():
        file = files[entry.id]
        for related in entry.related:
            if related not in kb.entries:
                problems.append(Problem(file, entry.id, "related", f"unknown entry id '{related}'"))
        for code in entry.exams:
            if code not in kb.exams:
                problems.append(Problem(file, entry.id, "exams", f"{code} is not catalogued"))
        unbalanced = _unbalanced_brace(entry.answer)
        if unbalanced is not None:
            problems.append(Problem(file, entry.id, "answer", unbalanced))
            continue
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


def _check_catalog(exams: dict[str, Exam], problems: list[Problem]) -> None:
    """Catalog facts that contradict each other, one problem per exam and field."""
    for exam in exams.values():
        if exam.retires_at is not None:
            retires_on = exam.retires_at.astimezone(US_CENTRAL).date()
            if exam.beta_from is not None and retires_on < exam.beta_from:
                message = f"retires on {retires_on}, before its own beta ({exam.beta_from})"
                problems.append(Problem("exams.toml", exam.code, "retires_at", message))
            if exam.status == "beta":
                message = "a beta exam has no retirement date: set status to active or drop it"
                problems.append(Problem("exams.toml", exam.code, "status", message))
        if exam.successor == exam.code:
            problems.append(Problem("exams.toml", exam.code, "successor", "is the exam itself"))
        if any(not language.strip() for language in exam.languages):
            problems.append(Problem("exams.toml", exam.code, "languages", "an empty language"))


MATCHER_DIR = "matcher"
OFFTOPIC = f"{MATCHER_DIR}/offtopic.toml"
WEIGHTS = f"{MATCHER_DIR}/weights.toml"
NORMALIZE = f"{MATCHER_DIR}/normalize.toml"
GAPS = f"{MATCHER_DIR}/gaps.toml"
UNANSWERED = f"{MATCHER_DIR}/unanswered.toml"
# The lists of unanswered.toml's [questions] table, by the Unanswered field they fill.
UNANSWERED_LISTS = {"on-topic": "on_topic", "off-topic": "off_topic"}


def _matcher_file(data_dir: Path, name: str) -> Path:
    """A matcher file of ``data_dir``, or the packaged one when the directory has none
    (an operator's knowledge directory may keep only its FAQ, catalog and policy)."""
    path = data_dir / name
    return path if path.exists() else DATA_DIR / name


def _load_offtopic(data_dir: Path, problems: list[Problem]) -> OffTopic | None:
    raw = _read_toml(_matcher_file(data_dir, OFFTOPIC), OFFTOPIC, problems)
    if raw is None:
        return None
    before = len(problems)
    _top_level(raw, OFFTOPIC, ("context", "family", "small_talk"),
               "[context], [[family]] and [small_talk]", problems)
    context = None
    if not isinstance(raw.get("context"), dict):
        problems.append(Problem(OFFTOPIC, None, "context", "must be a table ([context])"))
    else:
        context = _parse(Context, raw["context"], OFFTOPIC, "context", problems)
    families = []
    for label, item in _tables(raw, "family", "name", OFFTOPIC, problems):
        family = _parse(Family, item, OFFTOPIC, label, problems, "family")
        if family is not None:
            families.append(family)
    talk = None
    if not isinstance(raw.get("small_talk"), dict):
        problems.append(Problem(OFFTOPIC, None, "small_talk", "must be a table ([small_talk])"))
    else:
        talk = _parse(SmallTalk, raw["small_talk"], OFFTOPIC, "small_talk", problems)
    if len(problems) > before or context is None or talk is None:
        return None
    try:
        return OffTopic(context=context, family=tuple(families), small_talk=talk)
    except ValidationError as exc:
        problems.extend(_validation_problems(OFFTOPIC, None, exc))
        return None


def _load_gaps(data_dir: Path, problems: list[Problem]) -> Gaps | None:
    path = _matcher_file(data_dir, GAPS)
    if not path.exists():
        return Gaps()
    raw = _read_toml(path, GAPS, problems)
    if raw is None:
        return None
    before = len(problems)
    _top_level(raw, GAPS, ("gap",), "[[gap]]", problems)
    gaps = []
    for label, item in _tables(raw, "gap", "name", GAPS, problems):
        gap = _parse(Family, item, GAPS, label, problems, "gap")
        if gap is not None:
            gaps.append(gap)
    if len(problems) > before:
        return None
    try:
        return Gaps(gap=tuple(gaps))
    except ValidationError as exc:
        problems.extend(_validation_problems(GAPS, None, exc))
        return None


def _check_gap_examples(stage: OffTopicStage, gaps: Gaps, problems: list[Problem]) -> None:
    """Each gap's examples fall in that gap (and are not refused as off topic first).
    That no gap swallows an entry's question, phrasing or member question, which would
    hide a sourced answer behind "I don't know", is ``kb check``'s
    (:func:`knowledge.refusals.gap_hidden_entry_texts`): it reads every text."""
    for gap in gaps.gap:
        for number, example in enumerate(gap.examples):
            refused = stage.family_of(example)
            got = stage.gap_of(example)
            if refused is not None or got != gap.name:
                why = (f"it is refused as off topic by {refused}" if refused
                       else f"it falls in {got}" if got else "it falls in no gap")
                message = f"example {example!r} is not in this gap ({why})"
                problems.append(Problem(GAPS, gap.name, f"examples[{number}]", message))


def _same_text(text: str) -> str:
    """What two texts must share to be the same question (case and the ends' spaces
    aside): cheap, as it runs over every text at each validation."""
    return text.strip().lower()


def _load_unanswered(data_dir: Path, entries: dict[str, FaqEntry],
                     problems: list[Problem]) -> Unanswered | None:
    """The questions no entry answers (the file is optional). One equal to an entry's
    question, phrasing or member question would teach the classifier that the entry
    does not answer its own question: refused, naming both."""
    path = _matcher_file(data_dir, UNANSWERED)
    if not path.exists():
        return Unanswered()
    raw = _read_toml(path, UNANSWERED, problems)
    if raw is None:
        return None
    before = len(problems)
    _top_level(raw, UNANSWERED, "questions", "[questions]", problems)
    table = raw.get("questions", {})
    if not isinstance(table, dict):
        problems.append(Problem(UNANSWERED, None, "questions", "must be a table"))
        return None
    answered = {
        _same_text(text): entry.id
        for entry in entries.values()
        for text in (entry.question, *entry.phrasings, *entry.examples)
    }
    found: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for key, questions in table.items():
        if key not in UNANSWERED_LISTS:
            message = f"unknown list '{key}' (the lists are {', '.join(UNANSWERED_LISTS)})"
            problems.append(Problem(UNANSWERED, None, f"questions.{key}", message))
            continue
        if not isinstance(questions, list) or not all(
            isinstance(q, str) and q.strip() for q in questions
        ):
            message = "must be a list of non-empty strings"
            problems.append(Problem(UNANSWERED, None, f"questions.{key}", message))
            continue
        for number, question in enumerate(questions):
            same = _same_text(question)
            owner = answered.get(same)
            if owner is not None:
                message = f"{question!r} is [{owner}]'s own question: it is answered"
                problems.append(Problem(UNANSWERED, owner, f"questions.{key}[{number}]", message))
            elif same in seen:
                message = f"{question!r} is listed twice"
                problems.append(Problem(UNANSWERED, None, f"questions.{key}[{number}]", message))
            seen.add(same)
        found[UNANSWERED_LISTS[key]] = tuple(questions)
    if len(problems) > before:
        return None
    return Unanswered(**found)


def _load_weights(data_dir: Path, problems: list[Problem]) -> Weights | None:
    raw = _read_toml(_matcher_file(data_dir, WEIGHTS), WEIGHTS, problems)
    if raw is None:
        return None
    _top_level(raw, WEIGHTS, ("scoring", "calibration"), "[scoring] and [calibration]",
               problems)
    found: dict[str, Any] = {}
    for key in ("scoring", "calibration"):
        found[key] = raw.get(key)
    try:
        return Weights.model_validate(found)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            table = loc[0] if loc else None
            field = ".".join(loc[1:]) or None
            problems.append(Problem(WEIGHTS, table, field, _message(error, "")))
        return None


def load_normalize_rules(path: Path | None = None, problems: list[Problem] | None = None
                         ) -> NormalizeRules | None:
    """The normaliser's rules (``matcher/normalize.toml``), validated; None with the
    problems found when they are broken."""
    problems = [] if problems is None else problems
    raw = _read_toml(path or DATA_DIR / NORMALIZE, NORMALIZE, problems)
    if raw is None:
        return None
    before = len(problems)
    _top_level(raw, NORMALIZE, ("stopwords", "keep", "rule"),
               "stopwords, keep and [[rule]]", problems)
    rules: list[Rule] = []
    for label, item in _tables(raw, "rule", "pattern", NORMALIZE, problems):
        number = f"rule #{len(rules) + 1}"
        rule = _parse(Rule, item, NORMALIZE, number if label == item.get("pattern") else label,
                      problems, "rule")
        if rule is not None:
            rules.append(rule)
    words = {key: raw.get(key, []) for key in ("stopwords", "keep")}
    try:
        found = NormalizeRules.model_validate({**words, "rule": rules})
    except ValidationError as exc:
        problems.extend(_validation_problems(NORMALIZE, None, exc))
        return None
    return found if len(problems) == before else None


def _check_normalize(data_dir: Path, problems: list[Problem]) -> None:
    """The normaliser reads the packaged rules only (every part of the bot normalises
    the same way); a knowledge directory's own copy must not silently differ."""
    load_normalize_rules(DATA_DIR / NORMALIZE, problems)
    own = data_dir / NORMALIZE
    if own.exists() and own.resolve() != (DATA_DIR / NORMALIZE).resolve():
        try:
            differs = own.read_bytes() != (DATA_DIR / NORMALIZE).read_bytes()
        except OSError as exc:
            problems.append(Problem(NORMALIZE, None, None, f"cannot be read: {exc}"))
            return
        if differs:
            message = ("differs from the packaged rules, which the normaliser reads "
                       "(per-directory rules are not supported yet): remove it")
            problems.append(Problem(NORMALIZE, None, None, message))


def _check_offtopic_examples(
    stage: OffTopicStage, offtopic: OffTopic, problems: list[Problem]
) -> None:
    """Each family's example questions must be refused by that family."""
    for family in offtopic.family:
        for number, example in enumerate(family.examples):
            got = stage.family_of(example)
            if got != family.name:
                message = (f"example {example!r} is not refused by this family "
                           f"({'by ' + got if got else 'it stays in scope'})")
                problems.append(
                    Problem(OFFTOPIC, family.name, f"examples[{number}]", message)
                )


def _load_matcher(data_dir: Path, entries: dict[str, FaqEntry], files: dict[str, str],
                  problems: list[Problem]) -> MatcherData | None:
    _check_normalize(data_dir, problems)
    offtopic = _load_offtopic(data_dir, problems)
    weights = _load_weights(data_dir, problems)
    gaps = _load_gaps(data_dir, problems)
    unanswered = _load_unanswered(data_dir, entries, problems)
    ranks: dict[int, str] = {}
    for entry in entries.values():
        file = files[entry.id]
        if entry.popular is not None:
            if entry.popular in ranks:
                message = f"rank {entry.popular} is also [{ranks[entry.popular]}]'s"
                problems.append(Problem(file, entry.id, "popular", message))
            ranks.setdefault(entry.popular, entry.id)
        has_timing = entry.first_person is not None and entry.personal_timing is not None
        if entry.personal and not has_timing:
            message = "a personal entry needs first_person and personal_timing"
            problems.append(Problem(file, entry.id, "personal", message))
        elif not entry.personal and (entry.first_person or entry.personal_timing):
            field = "first_person" if entry.first_person else "personal_timing"
            message = "only a personal entry (personal = true) has first-person timing"
            problems.append(Problem(file, entry.id, field, message))
    if offtopic is None or weights is None or gaps is None or unanswered is None:
        return None
    from knowledge.offtopic import OffTopicStage  # the stage normalises: import late

    stage = OffTopicStage(offtopic, gaps)  # compiled once for both checks
    _check_offtopic_examples(stage, offtopic, problems)
    _check_gap_examples(stage, gaps, problems)
    scoring = weights.scoring
    if scoring.abstain_below > scoring.low_confidence_below:
        message = f"must be at least abstain_below ({scoring.abstain_below})"
        problems.append(Problem(WEIGHTS, "scoring", "low_confidence_below", message))
    return MatcherData(offtopic=offtopic, weights=weights, gaps=gaps, unanswered=unanswered)


@functools.cache
def default_matcher_data() -> MatcherData:
    """The packaged matcher files, for a knowledge base built in code (``matcher`` None);
    raises :class:`KnowledgeError` when they are broken."""
    problems: list[Problem] = []
    found = _load_matcher(DATA_DIR, {}, {}, problems)
    if found is None or problems:
        raise KnowledgeError(problems)
    return found


# Knowledge bases already built in this process, by the content of their files: a
# process that loads the same files again (the CLI run in-process, the test suite, a
# /kb reload of unchanged files) gets the same immutable result without re-validating.
_LOADED: OrderedDict[str, KnowledgeBase] = OrderedDict()
_LOADED_MAX = 8


def knowledge_fingerprint(data_dir: Path) -> str | None:
    """A hash of every file the loader reads under ``data_dir`` (and of the packaged
    matcher files it falls back to), or ``None`` when they can't be read (then nothing
    is cached and the loader reports the problem as usual)."""
    digest = hashlib.sha256()
    folders = [data_dir]
    if not (data_dir / "matcher").is_dir():
        folders.append(DATA_DIR / "matcher")
    try:
        for folder in folders:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                digest.update(str(path.relative_to(folder)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


# The code a validated knowledge base depends on besides its files: these modules (and,
# through matcher_cache.cache_key, the normaliser and matcher code) and pydantic.
_VALIDATION_CODE = (
    "loader.py", "models.py", "matcher_data.py", "regex_safety.py", "help_pages.py",
    "offtopic.py", "templating.py", "codes.py",
)


KNOWLEDGE_CACHE_KIND = "knowledge"


def _stored_key(fingerprint: str) -> str:
    import pydantic

    from knowledge import matcher_cache

    here = Path(__file__).resolve().parent
    code = [(here / name).read_bytes() for name in _VALIDATION_CODE]
    return matcher_cache.cache_key("validated knowledge", fingerprint, pydantic.VERSION, *code)


def _stored(key: str) -> KnowledgeBase | None:
    """A knowledge base an earlier process validated from files with this fingerprint."""
    from knowledge import matcher_cache

    state = matcher_cache.load(key, KNOWLEDGE_CACHE_KIND)
    found = state.get("knowledge") if state is not None else None
    return found if isinstance(found, KnowledgeBase) else None


def load_knowledge(data_dir: Path | None = None) -> KnowledgeBase:
    """Load every knowledge file under ``data_dir`` (default: the packaged data).

    A successful load is remembered by the files' content (:func:`knowledge_fingerprint`):
    any change to any file means a fresh, fully validated load. Failures are never
    remembered. Within a process the result is kept in memory; across processes
    (``python -m bot ask``, a restart) in the matcher's on-disk cache folder
    (:mod:`knowledge.matcher_cache`), keyed by the same fingerprint and by the code that
    validates, so a fresh process with unchanged files and code skips re-validating
    what an earlier one validated (about 300 ms)."""
    data_dir = data_dir or DATA_DIR
    key = knowledge_fingerprint(data_dir)
    if key is not None and key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    stored_key = _stored_key(key) if key is not None else None
    kb = _stored(stored_key) if stored_key is not None else None
    if kb is None:
        try:
            kb = _load_fresh(data_dir)
        finally:
            save_verdicts()
        if stored_key is not None:
            from knowledge import matcher_cache

            matcher_cache.save(stored_key, {"knowledge": kb}, KNOWLEDGE_CACHE_KIND)
    if key is not None:
        _LOADED[key] = kb
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return kb


def _load_fresh(data_dir: Path) -> KnowledgeBase:
    problems: list[Problem] = []
    policy = _load_policy(data_dir, problems)
    exams = _load_exams(data_dir, problems)
    _check_catalog(exams, problems)
    entries, files = _load_entries(data_dir, problems)
    entries = _attach_member_questions(data_dir, entries, problems)
    matcher = _load_matcher(data_dir, entries, files, problems)
    help_pages = _load_help_pages(data_dir, problems)
    if policy is None:
        raise KnowledgeError(problems)
    kb = KnowledgeBase(
        policy=policy, exams=exams, entries=entries, matcher=matcher, help_pages=help_pages
    )
    _cross_check(kb, files, problems)
    if problems:
        raise KnowledgeError(problems)
    return kb
