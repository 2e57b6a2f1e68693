"""The on-disk cache of the matcher's derived tables (knowledge.matcher_cache): a hit
answers exactly as a fresh build does, and anything it was derived from changing, or a
damaged file, means a rebuild."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from knowledge import matcher_cache
from knowledge.loader import DATA_DIR, load_knowledge
from knowledge.matcher import Matcher
from knowledge.models import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(matcher_cache.ENV_VAR, str(folder))
    return folder


@pytest.fixture
def builds(monkeypatch):
    """How many times Matcher._build ran."""
    count = [0]
    original = Matcher._build

    def counting(self, kb):
        count[0] += 1
        return original(self, kb)

    monkeypatch.setattr(Matcher, "_build", counting)
    return count


def small_kb(size: int = 6) -> KnowledgeBase:
    """The first ``size`` entries, and a few of the questions no entry answers (the
    thousands shipped would make up most of each build)."""
    kb = load_knowledge()
    entries = dict(list(kb.entries.items())[:size])
    assert kb.matcher is not None
    few = kb.matcher.unanswered.model_copy(
        update={"on_topic": kb.matcher.unanswered.on_topic[:20],
                "off_topic": kb.matcher.unanswered.off_topic[:20]})
    return kb.model_copy(update={
        "entries": entries, "matcher": kb.matcher.model_copy(update={"unanswered": few})})


def files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{matcher_cache.PREFIX}*{matcher_cache.SUFFIX}"))


def questions() -> list[str]:
    """The evaluation questions and every fifth question no entry answers
    (unanswered.toml)."""
    with (ROOT / "eval" / "questions.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    data = load_knowledge().matcher
    assert data is not None
    return [row["question"] for row in rows] + list(data.unanswered.texts[::5])


def test_a_hit_answers_every_question_as_a_fresh_build(cache, builds):
    kb = load_knowledge()
    fresh = Matcher(kb)  # miss: built from the knowledge, then written
    assert builds[0] == 1
    assert len(files(cache)) == 1
    hit = Matcher(kb)
    assert builds[0] == 1  # read, not built
    asked = questions()
    assert len(asked) > 500
    for question in asked:
        expected = fresh.match(question)
        got = hit.match(question)
        assert got == expected, question
        assert got.reason == expected.reason
    for partial in ("", "how much", "retake wa", "pass mark for ai-102"):
        assert hit.autocomplete(partial) == fresh.autocomplete(partial)
    assert hit.knowledge is kb


def test_any_knowledge_edit_the_matcher_reads_misses(cache, builds, tmp_path):
    data = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, data)
    # Only the first entry's member questions: the matcher learns from every member
    # question, and the thousands shipped made up most of the four builds below.
    members = data / "member_questions.toml"
    text = members.read_text(encoding="utf-8")
    members.write_text(text[: text.index("\n]\n", text.index("[questions]")) + 3], "utf-8")
    # Likewise the questions no entry answers: the first few of each list.
    unanswered = data / "matcher" / "unanswered.toml"
    lists = tomllib.loads(unanswered.read_text(encoding="utf-8"))["questions"]
    unanswered.write_text("[questions]\n" + "".join(
        f"{json.dumps(name)} = {json.dumps(questions[:20], ensure_ascii=False)}\n"
        for name, questions in lists.items()), "utf-8")
    Matcher(load_knowledge(data))
    assert builds[0] == 1
    Matcher(load_knowledge(data))
    assert builds[0] == 1  # unchanged files: a hit

    faq = sorted((data / "faq").glob("*.toml"))[0]
    text = faq.read_text(encoding="utf-8")
    start = text.index("phrasings = [") + len("phrasings = [")
    first = text.index('"', start)
    faq.write_text(text[: first + 1] + "oh and " + text[first + 1 :], encoding="utf-8")
    Matcher(load_knowledge(data))
    assert builds[0] == 2  # a phrasing changed

    text = members.read_text(encoding="utf-8")
    first = text.index('"', text.index("[questions]"))
    line_start = text.index("[", first)  # the list of the first entry's questions
    members.write_text(
        text[: line_start + 1] + '"whats the brand new question", ' + text[line_start + 1 :],
        encoding="utf-8",
    )
    Matcher(load_knowledge(data))
    assert builds[0] == 3  # a member question added

    weights = data / "matcher" / "weights.toml"
    text = weights.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("tf_floor"))
    value = float(line.split("=")[1])
    weights.write_text(text.replace(line, f"tf_floor = {value / 2}"), encoding="utf-8")
    Matcher(load_knowledge(data))
    assert builds[0] == 4  # a weight the tables use changed
    assert len(files(cache)) == 4


def test_a_code_version_change_misses(cache, builds, monkeypatch):
    kb = small_kb()
    Matcher(kb)
    Matcher(kb)
    assert builds[0] == 1
    monkeypatch.setattr(matcher_cache, "code_version", lambda: "another version")
    Matcher(kb)
    assert builds[0] == 2


def test_the_code_version_covers_the_matcher_code_and_data():
    assert "matcher.py" in matcher_cache._CODE_FILES
    assert "normalize.py" in matcher_cache._CODE_FILES
    assert len(matcher_cache.code_version()) == 64


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty", "wrong-content"])
def test_a_damaged_file_is_rebuilt_never_trusted(cache, builds, damage):
    kb = small_kb()
    expected = Matcher(kb, cache=False).match("when can I retake ai102")
    Matcher(kb)
    [path] = files(cache)
    data = path.read_bytes()
    if damage == "flip":
        data = data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = b"not a cache file at all"
    elif damage == "empty":
        data = b""
    else:  # a well-formed file whose content does not fit: wrong entry ids
        key = data[len(matcher_cache.FORMAT) :].split(b"\n", 1)[0].decode()
        matcher_cache.save(key, {"_items": [("nope", [], [], [], frozenset())]})
        data = path.read_bytes()
    path.write_bytes(data)
    builds[0] = 0
    again = Matcher(kb)
    assert builds[0] == 1
    assert again.match("when can I retake ai102") == expected
    Matcher(kb)
    assert builds[0] == 1  # the rebuild rewrote a good file


def test_an_unwritable_or_disabled_cache_is_skipped(tmp_path, monkeypatch, builds):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    kb = small_kb()
    monkeypatch.setenv(matcher_cache.ENV_VAR, str(blocker / "cache"))
    question = "when can i retake"
    assert Matcher(kb).match(question) == Matcher(kb, cache=False).match(question)
    assert not (blocker / "cache").exists()
    monkeypatch.setenv(matcher_cache.ENV_VAR, "off")
    assert matcher_cache.cache_dir() is None
    Matcher(kb)
    Matcher(kb)
    assert builds[0] == 4


def test_the_default_folder_is_outside_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv(matcher_cache.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert matcher_cache.cache_dir() == tmp_path / "exam-policy-bot"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert matcher_cache.cache_dir() == Path.home() / ".cache" / "exam-policy-bot"


def test_only_the_newest_files_are_kept(cache):
    for number in range(matcher_cache.KEEP_FILES + 3):
        matcher_cache.save(f"{number:02d}".ljust(64, "0"), {"n": number})
    assert len(files(cache)) == matcher_cache.KEEP_FILES
    assert not list(cache.glob(".tmp-*"))


def test_ask_writes_the_cache_once_and_answers_the_same_from_it(cache):
    command = [sys.executable, "-m", "bot", "ask", "--json", "whats the pass mark"]
    first = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    assert len(files(cache)) == 1
    second = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    assert second.stdout == first.stdout
    assert '"passing-score"' in first.stdout
