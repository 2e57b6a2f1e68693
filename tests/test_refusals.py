"""No off-topic family refuses what an entry answers (knowledge.refusals, run by
``kb check``): a member asking an entry's own question must never hear "that's not
about exams"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.loader import DATA_DIR, load_knowledge
from knowledge.refusals import refused_entry_texts


def test_the_packaged_families_refuse_no_entry_text():
    assert [str(p) for p in refused_entry_texts(load_knowledge())] == []


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, target)
    return target


def test_kb_check_names_the_family_the_entry_and_the_text(data_dir, capsys):
    offtopic = data_dir / "matcher/offtopic.toml"
    text = offtopic.read_text("utf-8")
    # "banned from" is leisure talk ("banned from valorant") unless the question names
    # a Microsoft exam; without that condition the misconduct entry's questions go.
    assert 'unless = ["exam-context", "microsoft-code"]' in text
    offtopic.write_text(text.replace('unless = ["exam-context", "microsoft-code"]',
                                     "unless = []", 1), "utf-8")
    assert main(["kb", "check", "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert "matcher/offtopic.toml [leisure]: refuses [" in err
    assert "narrow the family" in err
