"""Knowledge loading is all-or-nothing, and every problem names its file, entry and field."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge

# Most tests here validate a copy of the knowledge files with one of them changed: the
# others are parsed once for the module (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toml_parsed_once")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped knowledge files, safe to break."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _problems(data_dir: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_dir)
    return [str(p) for p in caught.value.problems]


def test_should_load_the_shipped_knowledge_files() -> None:
    kb = load_knowledge()

    assert kb.exams["AI-102"].successor == "AI-103"
    assert kb.policy.first_failure_wait_hours == 24
    assert "passing-score" in kb.entries


def test_should_store_retirement_instants_in_utc() -> None:
    retires = load_knowledge().exams["AI-102"].retires_at

    assert retires is not None
    assert retires.utcoffset() is not None and retires.utcoffset().total_seconds() == 0
    # 30 June 2026, 23:59 US Central (CDT, UTC-5) is 1 July, 04:59 UTC.
    assert retires.isoformat() == "2026-07-01T04:59:00+00:00"


def test_should_name_file_entry_and_field_for_a_duplicate_id(data_dir: Path) -> None:
    extra = (data_dir / "faq" / "scoring.toml").read_text(encoding="utf-8")
    start = extra.index("\n[[entry]]\n")
    first_entry = extra[start : extra.index("\n[[entry]]\n", start + 1)]
    (data_dir / "faq" / "zz-copy.toml").write_text(first_entry, encoding="utf-8")

    problems = _problems(data_dir)

    assert any(
        p.startswith("faq/zz-copy.toml [passing-score] id: duplicate id") for p in problems
    ), problems


def test_should_name_an_unknown_related_id(data_dir: Path) -> None:
    _edit(data_dir / "faq" / "scoring.toml", 'related = ["', 'related = ["no-such-entry", "')

    problems = _problems(data_dir)

    assert any(
        re.match(r"faq/scoring\.toml \[[a-z-]+\] related: unknown entry id 'no-such-entry'", p)
        for p in problems
    ), problems


def test_should_name_a_signal_that_is_not_a_regular_expression(data_dir: Path) -> None:
    _edit(data_dir / "faq" / "retakes.toml", "signals = [\n", "signals = [\n    '(unclosed',\n")

    problems = _problems(data_dir)

    assert any(
        re.match(r"faq/retakes\.toml \[retake-first-wait\] signals: .*not a valid regular", p)
        for p in problems
    ), problems


def test_should_name_an_unknown_placeholder(data_dir: Path) -> None:
    _edit(data_dir / "faq" / "scoring.toml", "{policy.passing_score}", "{policy.pass_mark}")

    problems = _problems(data_dir)

    assert any("answer: unknown placeholder {policy.pass_mark}" in p for p in problems), problems


def test_should_name_a_misspelled_placeholder_namespace(data_dir: Path) -> None:
    _edit(data_dir / "faq" / "scoring.toml", "{policy.passing_score}", "{polcy.passing_score}")

    problems = _problems(data_dir)

    assert any("malformed placeholder {polcy.passing_score}" in p for p in problems), problems


def test_should_name_an_entry_without_sources(data_dir: Path) -> None:
    path = data_dir / "faq" / "scoring.toml"
    text = path.read_text(encoding="utf-8")
    # Drop every source table of the file: each entry now has none.
    path.write_text(re.sub(r"\[\[entry\.sources\]\][^\[]*", "", text), encoding="utf-8")

    problems = _problems(data_dir)

    assert any(re.match(r"faq/scoring\.toml \[[a-z-]+\] sources: ", p) for p in problems), problems


def test_should_name_a_bad_date(data_dir: Path) -> None:
    _edit(
        data_dir / "exams.toml",
        "retires_at = 2026-06-30T23:59:00-05:00",
        "retires_at = 2026-06-30T23:59:00",
    )

    problems = _problems(data_dir)

    # A naive retirement instant is refused: it would be ambiguous across time zones.
    assert any(re.match(r"exams\.toml \[[A-Z]+-\d{3}\] retires_at: ", p) for p in problems), (
        problems
    )


def test_should_name_a_malformed_toml_file(data_dir: Path) -> None:
    (data_dir / "policy.toml").write_text("first_failure_wait_hours = = 24\n", encoding="utf-8")

    problems = _problems(data_dir)

    assert problems[0].startswith("policy.toml: cannot be read")


def test_should_name_a_malformed_faq_file_with_its_folder(data_dir: Path) -> None:
    (data_dir / "faq" / "broken.toml").write_text("[[entry]\n", encoding="utf-8")

    assert _problems(data_dir)[0].startswith("faq/broken.toml: cannot be read")


def test_should_refuse_a_policy_number_that_makes_no_sense(data_dir: Path) -> None:
    _edit(data_dir / "policy.toml", "later_failure_wait_days = 14", "later_failure_wait_days = 0")

    assert any(p.startswith("policy.toml later_failure_wait_days: ") for p in _problems(data_dir))


def test_should_refuse_an_uncatalogued_successor(data_dir: Path) -> None:
    _edit(data_dir / "exams.toml", 'successor = "AI-103"', 'successor = "ZZ-999"')

    assert "exams.toml [AI-102] successor: ZZ-999 is not catalogued" in _problems(data_dir)


def test_kb_check_should_exit_non_zero_and_list_problems(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(data_dir / "faq" / "scoring.toml", "{policy.passing_score}", "{policy.nope}")

    status = main(["kb", "check", "--data-dir", str(data_dir)])

    err = capsys.readouterr().err
    assert status == 1
    assert "faq/scoring.toml [passing-score] answer: unknown placeholder {policy.nope}" in err
    assert "Traceback" not in err


def test_kb_check_should_pass_on_the_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_kb_dump_should_print_catalog_policy_and_entries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["kb", "dump", "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    exams = {exam["code"]: exam for exam in document["exams"]}
    assert exams["AI-102"]["retires_at"] == "2026-07-01T04:59:00Z"
    assert exams["AI-103"]["retires_at"] is None
    assert document["policy"]["later_failure_wait_days"] == 14
    entries = {entry["id"]: entry for entry in document["entries"]}
    assert len(entries["retake-first-wait"]["phrasings"]) >= 8


def test_should_attach_member_questions_to_their_entries() -> None:
    kb = load_knowledge()

    assert kb.entries["passing-score"].examples
    assert all(isinstance(q, str) and q.strip() for e in kb.entries.values() for q in e.examples)


def test_should_name_a_member_question_for_an_unknown_entry(data_dir: Path) -> None:
    _edit(data_dir / "member_questions.toml", "[questions]\n",
          '[questions]\n"no-such-entry" = ["what is this"]\n')

    problems = _problems(data_dir)

    assert any(
        re.match(r"member_questions\.toml \[no-such-entry\] questions: unknown entry id", p)
        for p in problems
    ), problems


def test_should_refuse_member_questions_that_are_not_strings(data_dir: Path) -> None:
    (data_dir / "member_questions.toml").write_text('[questions]\n"help" = [1, ""]\n')

    problems = _problems(data_dir)

    assert any(re.match(r"member_questions\.toml \[help\] questions: must be a list", p)
               for p in problems), problems


def test_should_load_without_member_questions(data_dir: Path) -> None:
    (data_dir / "member_questions.toml").unlink()

    kb = load_knowledge(data_dir)

    assert all(not entry.examples for entry in kb.entries.values())


# Each case breaks one catalog entry; kb check must name exams.toml, the exam and the field.
_AZ_104 = 'code = "AZ-104"\ntitle = "Microsoft Azure Administrator"'
_CATALOG_BREAKS = [
    pytest.param(_AZ_104, 'code = "AZ-1O4"\ntitle = "Microsoft Azure Administrator"',
                 "exams.toml [AZ-1O4] code:", id="bad-code"),
    pytest.param('code = "AZ-700"', 'code = "AZ-104"', "exams.toml [AZ-104] code: duplicate",
                 id="duplicate-code"),
    pytest.param('code = "SC-900"', 'code = "SC-900"\nsuccessor = "SC-999"',
                 "exams.toml [SC-900] successor: SC-999 is not catalogued", id="unknown-successor"),
    pytest.param('code = "DP-203"', 'code = "DP-203"\nbeta_from = 2025-06-01',
                 "exams.toml [DP-203] retires_at: retires on 2025-03-31, before its own beta",
                 id="retirement-before-beta"),
    pytest.param('code = "AI-103"\ntitle = "Developing AI Apps and Agents on Azure"',
                 'code = "AI-103"\ntitle = "Developing AI Apps and Agents on Azure"\n'
                 'retires_at = 2026-03-31T23:59:00-05:00',
                 "exams.toml [AI-103] retires_at: retires on 2026-03-31, before its own beta",
                 id="retirement-before-beta-of-a-live-exam"),
    pytest.param('code = "SC-900"\n',
                 'code = "SC-900"\nstatus = "beta"\nretires_at = 2030-01-31T23:59:00-06:00\n',
                 "exams.toml [SC-900] status: a beta exam has no retirement date",
                 id="retiring-beta"),
    pytest.param('code = "PL-900"\n', 'code = "PL-900"\nstatus = "retiring"\n',
                 "exams.toml [PL-900] status:", id="unknown-status"),
    pytest.param('code = "GH-900"\n', 'code = "GH-900"\nlevel = "master"\n',
                 "exams.toml [GH-900] level:", id="unknown-level"),
]


@pytest.mark.parametrize(("old", "new", "expected"), _CATALOG_BREAKS)
def test_kb_check_should_name_file_exam_and_field_for_a_broken_catalog_entry(
    data_dir: Path, old: str, new: str, expected: str
) -> None:
    _edit(data_dir / "exams.toml", old, new)

    problems = _problems(data_dir)

    assert any(p.startswith(expected) for p in problems), problems


def test_kb_check_should_name_an_exam_without_a_source(data_dir: Path) -> None:
    path = data_dir / "exams.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('code = "GH-900"')
    path.write_text(text[: text.index("[[exam.sources]]", start)], encoding="utf-8")

    problems = _problems(data_dir)

    assert "exams.toml [GH-900] sources: at least one source" in problems


def test_kb_check_should_name_the_exam_through_the_command_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(data_dir / "exams.toml", 'code = "DP-203"', 'code = "DP-203"\nbeta_from = 2025-06-01')

    status = main(["kb", "check", "--data-dir", str(data_dir)])

    assert status == 1
    assert "exams.toml [DP-203] retires_at: retires on 2025-03-31" in capsys.readouterr().err


def test_should_catalogue_the_exams_study_groups_sit_most() -> None:
    exams = load_knowledge().exams

    for code in ("AZ-104", "AZ-900", "AZ-305", "SC-900", "SC-401", "DP-700", "PL-300", "GH-900"):
        assert exams[code].sources, code
    assert exams["DP-203"].successor == "DP-700"
    assert exams["AZ-900"].level == "fundamentals" and exams["AZ-900"].price_band


def test_a_repeated_load_is_the_same_until_any_file_changes(tmp_path):
    """Loads are remembered by the files' content: unchanged files give the very same
    knowledge base (no re-validation), any edit gives a fresh, validated one."""
    import shutil

    from knowledge.loader import DATA_DIR, load_knowledge

    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    first = load_knowledge(copy)
    assert load_knowledge(copy) is first

    policy = copy / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "later_failure_wait_days = 14", "later_failure_wait_days = 15"
        ),
        encoding="utf-8",
    )
    second = load_knowledge(copy)
    assert second is not first and second.policy.later_failure_wait_days == 15

    policy.write_text("first_failure_wait_hours = 0\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        load_knowledge(copy)  # a broken edit is never served from the cache


def _fresh_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every full validation, and forget this process's remembered loads."""
    import knowledge.loader as loader

    monkeypatch.setattr(loader, "_LOADED", type(loader._LOADED)())
    calls: list[Path] = []
    real = loader._load_fresh

    def counting(data_dir: Path):  # type: ignore[no-untyped-def]
        calls.append(data_dir)
        return real(data_dir)

    monkeypatch.setattr(loader, "_load_fresh", counting)
    return calls


def test_a_fresh_process_reads_what_an_earlier_one_validated(tmp_path, monkeypatch):
    import knowledge.loader as loader

    monkeypatch.setenv("EXAM_POLICY_BOT_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    calls = _fresh_loads(monkeypatch)
    first = load_knowledge(copy)
    assert calls == [copy]
    monkeypatch.setattr(loader, "_LOADED", type(loader._LOADED)())  # "a new process"
    again = load_knowledge(copy)
    assert calls == [copy], "read from the cache, not validated again"
    assert again == first and again is not first


def test_an_edit_a_damaged_cache_or_the_cache_off_means_a_validated_load(tmp_path, monkeypatch):
    import knowledge.loader as loader

    cache = tmp_path / "cache"
    monkeypatch.setenv("EXAM_POLICY_BOT_CACHE_DIR", str(cache))
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    calls = _fresh_loads(monkeypatch)
    load_knowledge(copy)
    policy = copy / "policy.toml"
    policy.write_text(policy.read_text("utf-8").replace(
        "later_failure_wait_days = 14", "later_failure_wait_days = 15"), "utf-8")
    monkeypatch.setattr(loader, "_LOADED", type(loader._LOADED)())
    assert load_knowledge(copy).policy.later_failure_wait_days == 15
    assert len(calls) == 2

    for stored in cache.glob("*.cache"):  # every cached file damaged
        stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(loader, "_LOADED", type(loader._LOADED)())
    assert load_knowledge(copy).policy.later_failure_wait_days == 15
    assert len(calls) == 3

    monkeypatch.setenv("EXAM_POLICY_BOT_CACHE_DIR", "off")
    monkeypatch.setattr(loader, "_LOADED", type(loader._LOADED)())
    load_knowledge(copy)
    assert len(calls) == 4
    policy.write_text("first_failure_wait_hours = 0\n", encoding="utf-8")
    monkeypatch.setenv("EXAM_POLICY_BOT_CACHE_DIR", str(cache))
    with pytest.raises(KnowledgeError):
        load_knowledge(copy)  # a broken edit is never served from any cache


def test_regex_safety_verdicts_are_remembered_across_processes(tmp_path, monkeypatch):
    import knowledge.regex_safety as safety

    monkeypatch.setenv("EXAM_POLICY_BOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(safety, "_VERDICTS", None)
    safe, slow = r"\bretake (?:wait|policy)\b", r"(a|aa)+$"  # slow: found by timed probes
    assert safety.regex_problem(safe) is None
    problem = safety.regex_problem(slow)
    assert problem is not None and "backtracks" in problem
    safety.save_verdicts()
    monkeypatch.setattr(safety, "_VERDICTS", None)  # "a new process"
    probed: list[str] = []

    def probe(pattern: str, flags: int) -> str | None:
        probed.append(pattern)
        return problem

    monkeypatch.setattr(safety, "_cached_problem", probe)
    assert safety.regex_problem(safe) is None
    assert safety.regex_problem(slow) == problem
    assert probed == [slow], "a safe verdict is remembered; a refusal is worked out again"
