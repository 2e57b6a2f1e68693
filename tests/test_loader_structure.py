"""Knowledge files broken in their shape or their sense are problems, never tracebacks.

Each case copies the shipped knowledge files, breaks one thing, and checks that the
loader (used by ``kb check``, start-up and ``/kb reload``) raises ``KnowledgeError`` with
a problem naming the file, the entry and the field, and that ``kb check`` prints it and
exits 1. New FAQ text goes into a file of its own (``faq/zz-probe.toml``) so the cases
do not depend on the wording of the shipped entries. The files a case leaves alone are
parsed once for the module (``toml_parsed_once``, tests/conftest.py), and the shipped
member questions are left out of the copies the cases break (see ``case_dir``).
"""

from __future__ import annotations

import codecs
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge_state import KnowledgeState
from knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge

pytestmark = pytest.mark.usefixtures("toml_parsed_once")

PROBE = "faq/zz-probe.toml"
_SOURCE = '[[entry.sources]]\nurl = "https://learn.microsoft.com/x"\nverified = 2026-01-01\n'


def _entry(
    *,
    header: str = "[[entry]]",
    phrasings: str | None = None,
    answer: str = "A probe answer: {policy.passing_score}.",
    signals: str = "",
    sources: str = _SOURCE,
) -> str:
    """A valid FAQ entry, in TOML, with one part replaced by the caller."""
    if phrasings is None:
        phrasings = "[" + ", ".join(f'"zz probe phrasing {i}"' for i in range(8)) + "]"
    return (
        f'{header}\nid = "zz-probe"\ncategory = "general"\nquestion = "A zz probe question?"\n'
        f"phrasings = {phrasings}\nanswer = '''{answer}'''\n{signals}\n{sources}"
    )


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _policy_line(name: str, value: str) -> Callable[[Path], None]:
    """Set one policy number, whatever its current value and comment."""

    def apply(data: Path) -> None:
        path = data / "policy.toml"
        text = path.read_text(encoding="utf-8")
        changed, count = re.subn(rf"(?m)^{name} = [^\n#]*", f"{name} = {value} ", text)
        assert count == 1, name
        path.write_text(changed, encoding="utf-8")

    return apply


def _write(relative: str, text: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        (data / relative).write_text(text, encoding="utf-8")

    return apply


def _write_bytes(relative: str, content: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        path = data / relative
        path.write_bytes(content(path.read_bytes()))

    return apply


def _first_exam_as_a_table(data: Path) -> None:
    """exams.toml with one exam written ``[exam]`` instead of ``[[exam]]``."""
    path = data / "exams.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[[exam]]")
    end = text.index("[[exam]]", start + 1)
    first = text[start:end].replace("[[exam]]", "[exam]").replace("[[exam.sources]]", "")
    path.write_text(first.split("\nurl")[0] + "\n", encoding="utf-8")


def _policy_sources_as_a_table(data: Path) -> None:
    path = data / "policy.toml"
    text = path.read_text(encoding="utf-8")
    numbers = text[: text.index("[[sources]]")]
    source = '[sources]\nurl = "https://learn.microsoft.com/x"\nverified = 2026-01-01\n'
    path.write_text(numbers + source, encoding="utf-8")


def _successor(code: str, successor: str) -> Callable[[Path], None]:
    """Give ``code`` (a catalogued exam) the successor ``successor``."""

    def apply(data: Path) -> None:
        path = data / "exams.toml"
        text = path.read_text(encoding="utf-8")
        start = text.index(f'code = "{code}"\n')
        end = text.find("[[exam", start)
        end = len(text) if end == -1 else end
        block = re.sub(r'(?m)^successor = "[^"]*"\n', "", text[start:end])
        block = block.replace(f'code = "{code}"\n', f'code = "{code}"\nsuccessor = "{successor}"\n')
        path.write_text(text[:start] + block + text[end:], encoding="utf-8")

    return apply


def _three_exams_in_a_circle(data: Path) -> None:
    exams = "".join(
        f'\n[[exam]]\ncode = "ZZ-90{i}"\nsuccessor = "ZZ-90{i % 3 + 1}"\n'
        '[[exam.sources]]\nurl = "https://learn.microsoft.com/x"\nverified = 2026-01-01\n'
        for i in (1, 2, 3)
    )
    with (data / "exams.toml").open("a", encoding="utf-8") as handle:
        handle.write(exams)


def _duplicate_of_a_shipped_question(data: Path) -> None:
    shipped = load_knowledge().entries["passing-score"].question  # "What score do I need…?"
    # Case, spacing and the final punctuation do not make it another phrasing.
    twin = "  ".join(shipped.rstrip("?").upper().split()) + " ?"
    phrasings = "[" + ", ".join([f'"{twin}"', *(f'"zz probe {i}"' for i in range(7))]) + "]"
    (data / PROBE).write_text(_entry(phrasings=phrasings), encoding="utf-8")


def _duplicate_of_a_shipped_phrasing(data: Path) -> None:
    shipped = load_knowledge().entries["passing-score"].phrasings[0]
    phrasings = "[" + ", ".join([f'"{shipped}."', *(f'"zz probe {i}"' for i in range(7))]) + "]"
    (data / PROBE).write_text(_entry(phrasings=phrasings), encoding="utf-8")


def _signal(pattern: str) -> Callable[[Path], None]:
    return _write(PROBE, _entry(signals=f"signals = ['{pattern}']"))


# (how to break the copy, what one problem must start with, or a regular expression)
CASES = [
    # --- the shape of the files -------------------------------------------------------
    pytest.param(_first_exam_as_a_table,
                 "exams.toml exam: must be an array of tables: write [[exam]]",
                 id="exam-table-instead-of-array"),
    pytest.param(_write(PROBE, _entry(header="[entry]")),
                 f"{PROBE} entry: must be an array of tables: write [[entry]]",
                 id="entry-table-instead-of-array"),
    pytest.param(_write(PROBE, 'entry = "passing-score"\n'),
                 f"{PROBE} entry: must be an array of tables ([[entry]]), not a string",
                 id="entry-is-a-string"),
    pytest.param(_write(PROBE, 'entry = ["passing-score", "retake-cost"]\n'),
                 f"{PROBE} entry: must be an array of tables ([[entry]]), not an array of plain",
                 id="entry-is-a-list-of-plain-values"),
    pytest.param(_write(PROBE, 'entry = [{ id = "zz-probe" }, "retake-cost"]\n'),
                 f"{PROBE} [entry #2]: must be a table ([[entry]]), not a string",
                 id="one-entry-is-a-string"),
    pytest.param(_write(PROBE, _entry(sources=_SOURCE.replace("[[entry.sources]]",
                                                              "[entry.sources]"))),
                 f"{PROBE} [zz-probe] sources: must be an array of tables: write "
                 "[[entry.sources]], not [entry.sources]",
                 id="entry-sources-table-instead-of-array"),
    pytest.param(_write(PROBE, _entry(phrasings='"just one phrasing"')),
                 f"{PROBE} [zz-probe] phrasings: must be an array, not a string",
                 id="phrasings-is-a-string"),
    pytest.param(_write(PROBE, _entry(sources='sources = ["https://learn.microsoft.com/x"]')),
                 f"{PROBE} [zz-probe] sources.0: must be a table, not a string",
                 id="source-is-a-string"),
    pytest.param(_policy_sources_as_a_table,
                 "policy.toml sources: must be an array of tables: write [[sources]]",
                 id="policy-sources-table-instead-of-array"),
    pytest.param(_write("member_questions.toml", '[[questions]]\nhelp = ["what is this"]\n'),
                 "member_questions.toml questions: must be a table",
                 id="member-questions-array-instead-of-table"),
    pytest.param(_write("member_questions.toml", '[questions.help]\nfirst = "what is this"\n'),
                 "member_questions.toml [help] questions: must be a list of non-empty strings",
                 id="member-questions-table-instead-of-list"),
    pytest.param(_write(PROBE, _entry(header="[[entries]]")),
                 f"{PROBE} entries: unknown top-level key 'entries' (this file has only "
                 "[[entry]])",
                 id="misspelt-array-of-tables"),
    pytest.param(_write_bytes("policy.toml", lambda b: b.replace(b"# Every", b"# Ev\xe9ry", 1)),
                 "policy.toml: cannot be read: byte 0xe9 at line 1, column 5 is not UTF-8",
                 id="not-utf-8"),
    pytest.param(_write_bytes("exams.toml", lambda b: codecs.BOM_UTF16_LE
                              + b.decode("utf-8").encode("utf-16-le")),
                 "exams.toml: cannot be read: it is saved as UTF-16; save it as UTF-8",
                 id="utf-16"),
    # --- answers ----------------------------------------------------------------------
    pytest.param(_write(PROBE, _entry(answer="You need {policy.passing_score or more.")),
                 f"{PROBE} [zz-probe] answer: unbalanced braces: '{{' that is never closed "
                 "on line 1",
                 id="brace-never-closed"),
    pytest.param(_write(PROBE, _entry(answer="Line one.\nYou need policy.passing_score}.")),
                 f"{PROBE} [zz-probe] answer: unbalanced braces: stray '}}' on line 2",
                 id="stray-closing-brace"),
    pytest.param(_write(PROBE, _entry(answer="You need {policy.{passing_score}}.")),
                 f"{PROBE} [zz-probe] answer: unbalanced braces: '{{' inside another '{{'",
                 id="nested-braces"),
    # --- policy numbers ---------------------------------------------------------------
    pytest.param(_policy_line("first_failure_wait_hours", "0"),
                 "policy.toml first_failure_wait_hours: ", id="wait-of-zero"),
    pytest.param(_policy_line("later_failure_wait_days", "-3"),
                 "policy.toml later_failure_wait_days: ", id="negative-wait"),
    pytest.param(_policy_line("first_failure_wait_hours", "2400"),
                 "policy.toml first_failure_wait_hours: Input should be less than or equal to 720",
                 id="wait-of-a-hundred-days"),
    pytest.param(_policy_line("later_failure_wait_days", "400"),
                 "policy.toml later_failure_wait_days: ", id="wait-over-a-year"),
    pytest.param(_policy_line("max_attempts_per_window", "0"),
                 "policy.toml max_attempts_per_window: ", id="limit-of-zero"),
    pytest.param(_policy_line("attempt_window_months", "120"),
                 "policy.toml attempt_window_months: ", id="ten-year-window"),
    pytest.param(_policy_line("reschedule_cutoff_hours", "0"),
                 "policy.toml reschedule_cutoff_hours: ", id="cutoff-of-zero"),
    pytest.param(_policy_line("certification_validity_years", "0"),
                 "policy.toml certification_validity_years: ", id="validity-of-zero"),
    pytest.param(_policy_line("renewal_window_months", "18"),
                 "policy.toml renewal_window_months: must not be longer than the certification",
                 id="renewal-window-longer-than-validity"),
    pytest.param(_policy_line("passing_score", "1200"),
                 "policy.toml passing_score: must be above score_min (1) and at most score_max",
                 id="passing-score-above-the-scale"),
    pytest.param(_policy_line("passing_score", "1"),
                 "policy.toml passing_score: must be above score_min (1)",
                 id="passing-score-at-the-bottom-of-the-scale"),
    pytest.param(_policy_line("score_min", "1000"),
                 "policy.toml score_max: must be above score_min (1000)",
                 id="empty-score-scale"),
    pytest.param(_policy_line("max_attempts_per_window", "true"),
                 "policy.toml max_attempts_per_window: Input should be a valid integer",
                 id="boolean-for-a-number"),
    # --- successors -------------------------------------------------------------------
    pytest.param(_successor("AI-103", "AI-103"), "exams.toml [AI-103] successor: ",
                 id="own-successor"),
    pytest.param(_successor("AI-103", "AI-102"),
                 "exams.toml [AI-102] successor: successors go round in a circle: "
                 "AI-102 → AI-103 → AI-102",
                 id="two-exam-cycle"),
    pytest.param(_three_exams_in_a_circle,
                 "exams.toml [ZZ-901] successor: successors go round in a circle: "
                 "ZZ-901 → ZZ-902 → ZZ-903 → ZZ-901",
                 id="three-exam-cycle"),
    # --- signals ----------------------------------------------------------------------
    pytest.param(_signal("(unclosed"),
                 re.compile(rf"{re.escape(PROBE)} \[zz-probe\] signals: .*'\(unclosed' is not "
                            "a valid regular expression"),
                 id="signal-does-not-compile"),
    pytest.param(_signal("(a+)+$"),
                 re.compile(rf"{re.escape(PROBE)} \[zz-probe\] signals: .*'\(a\+\)\+\$' repeats "
                            "a group that contains an unbounded repeat"),
                 id="signal-nested-repeats"),
    pytest.param(_signal(r"(\w+\s?)+x"),
                 re.compile(rf"{re.escape(PROBE)} \[zz-probe\] signals: .* repeats a group"),
                 id="signal-nested-repeats-over-words"),
    pytest.param(_signal("(?:x|xx)+y"),
                 re.compile(rf"{re.escape(PROBE)} \[zz-probe\] signals: .* takes over 50 ms on "
                            "a \\d+-character question"),
                 id="signal-slow-without-nested-repeats"),
    pytest.param(_write(PROBE, _entry(signals="signals = ['\\bzz\\b', '(?i)zz']")),
                 f"{PROBE} [zz-probe] signals: Value error, the signals cannot be combined",
                 id="signals-that-cannot-be-combined"),
    # --- the same phrasing in two entries ---------------------------------------------
    pytest.param(_duplicate_of_a_shipped_question,
                 re.compile(rf"{re.escape(PROBE)} \[zz-probe\] phrasings: '.*' is also the "
                            r"question of \[passing-score\] \(faq/scoring\.toml\)"),
                 id="phrasing-is-another-entrys-question"),
    pytest.param(_duplicate_of_a_shipped_phrasing,
                 re.compile(rf"{re.escape(PROBE)} \[zz-probe\] phrasings: '.*' is also a "
                            r"phrasing of \[passing-score\] \(faq/scoring\.toml\)"),
                 id="phrasing-is-another-entrys-phrasing"),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of every shipped knowledge file."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge files for a case to break, without the (optional)
    member questions: the loader checks them only against the entries' ids and the
    gaps, which no case breaks, and reading their thousands of questions and matching
    them against every gap was a large part of each case's validation. The cases that
    break the file write one of their own; the BOM tests below load the shipped one.
    The copy is valid as it is: see test_the_probe_entry_itself_should_load."""
    target = tmp_path / "data"
    shutil.copytree(
        DATA_DIR, target,
        ignore=lambda folder, names: ["member_questions.toml"] if folder == str(DATA_DIR) else [],
    )
    return target


def _found(expected: str | re.Pattern[str], problems: list[str]) -> bool:
    if isinstance(expected, str):
        return any(p.startswith(expected) for p in problems)
    return any(expected.match(p) for p in problems)


@pytest.mark.parametrize(("breakage", "expected"), CASES)
def test_start_up_should_refuse_a_broken_file_with_a_located_problem(
    case_dir: Path, breakage: Callable[[Path], None], expected: str | re.Pattern[str]
) -> None:
    breakage(case_dir)

    # What start-up and /kb reload call: a KnowledgeError, never an AttributeError,
    # TypeError or UnicodeDecodeError.
    with pytest.raises(KnowledgeError) as caught:
        KnowledgeState.load(case_dir)

    problems = [str(p) for p in caught.value.problems]
    assert _found(expected, problems), problems


@pytest.mark.parametrize(("breakage", "expected"), CASES)
def test_kb_check_should_print_the_problem_and_exit_1_without_a_traceback(
    case_dir: Path,
    breakage: Callable[[Path], None],
    expected: str | re.Pattern[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    breakage(case_dir)

    status = main(["kb", "check", "--data-dir", str(case_dir)])

    err = capsys.readouterr().err
    assert status == 1
    assert "Traceback" not in err
    assert _found(expected, [line.strip() for line in err.splitlines()]), err


def test_kb_check_as_a_command_should_exit_1_and_name_file_entry_and_field(
    data_dir: Path,
) -> None:
    _write(PROBE, _entry(answer="You need {policy.passing_score or more."))(data_dir)

    result = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check", "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=False, timeout=120,
    )

    assert result.returncode == 1
    assert f"{PROBE} [zz-probe] answer: unbalanced braces" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("relative", ["policy.toml", "exams.toml", "faq/scoring.toml",
                                      "member_questions.toml"])
def test_should_accept_a_utf_8_byte_order_mark(data_dir: Path, relative: str) -> None:
    """Editors on Windows add one; TOML itself would refuse it."""
    path = data_dir / relative
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())

    kb = load_knowledge(data_dir)

    assert kb.entries == load_knowledge().entries
    assert kb.policy == load_knowledge().policy


def test_the_probe_entry_itself_should_load(case_dir: Path) -> None:
    """The cases above break one part of a valid entry in a valid copy: make sure both
    are valid."""
    (case_dir / PROBE).write_text(_entry(signals="signals = ['\\bzz probe\\b']"), "utf-8")

    kb = load_knowledge(case_dir)

    assert kb.entries["zz-probe"].signals == (r"\bzz probe\b",)


def test_the_shipped_knowledge_has_no_phrasing_in_two_entries() -> None:
    # load_knowledge refuses duplicates; this names the guarantee explicitly.
    kb = load_knowledge()

    seen: dict[str, str] = {}
    for entry in kb.entries.values():
        for text in (entry.question, *entry.phrasings):
            key = " ".join(text.casefold().split()).rstrip(" ?!.,;:…")
            assert seen.setdefault(key, entry.id) == entry.id, (text, seen[key], entry.id)
