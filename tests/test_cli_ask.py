import io
import json

import pytest

from bot.cli import main


def run(capsys, monkeypatch, argv, stdin=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_single(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, ["ask", "--json", "how much does a resit cost"])
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"entry_id", "confidence", "answer", "suggestions"}
    assert data["entry_id"] == "retake-cost"
    assert 0 <= data["confidence"] <= 1


def test_text_single(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, ["ask", "what's the pass mark"])
    assert code == 0 and "passing-score" in out


def test_stdin_keeps_order_and_reports_bad_lines(capsys, monkeypatch):
    lines = ["how much does a resit cost", "", "🙂🙂", "x" * 5000, "what is the AWS retake policy",
             "when can I retake\x07"]
    code, out, _ = run(capsys, monkeypatch, ["ask", "--json", "-"], "\n".join(lines) + "\n")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(lines)
    for result in results:
        assert {"entry_id", "confidence", "answer", "suggestions"} <= set(result)
    assert results[0]["entry_id"] == "retake-cost"
    assert all("error" in r and r["entry_id"] is None for r in results[1:4])
    assert results[4]["entry_id"] is None and "error" not in results[4]
    assert results[5]["entry_id"] == "my-eligibility"


def test_stdin_text_mode_one_line_per_question(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, ["ask", "-"], "resit cost\n\npass mark\n")
    assert code == 0 and len(out.splitlines()) == 3


@pytest.mark.parametrize("question", ["", "   ", "🙂🙂", "x" * 5000])
def test_bad_single_question(capsys, monkeypatch, question):
    code, out, err = run(capsys, monkeypatch, ["ask", question])
    assert code == 2 and out == ""
    assert err.startswith("error:") and "Traceback" not in err


@pytest.mark.parametrize("now", ["2026-07-01T00:00:00", "yesterday", "2026-13-01T00:00:00Z"])
def test_bad_now(capsys, monkeypatch, now):
    code, _, err = run(capsys, monkeypatch, ["ask", "--now", now, "resit cost"])
    assert code == 2 and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("now", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00"])
@pytest.mark.parametrize("question", ["resit cost", "-"])
def test_now_that_overflows_in_utc_exits_2_with_one_line(capsys, monkeypatch, now, question):
    code, out, err = run(capsys, monkeypatch, ["ask", "--now", now, question], "resit cost\n")

    assert (code, out) == (2, "")
    assert err == f"error: --now '{now}' is out of range (years 1–9999 in UTC)\n"


def strict_stdin(data: bytes) -> io.TextIOWrapper:
    """What sys.stdin is in a UTF-8 locale: a strict text layer over a byte buffer."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict")


def test_stdin_line_that_is_not_utf8_gets_an_error_in_its_place(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", strict_stdin(b"resit cost\nf\xffoo\npass mark\n"))

    code, out, err = run(capsys, monkeypatch, ["ask", "--json", "-"])

    assert (code, err) == (0, "")
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["entry_id"] for r in results] == ["retake-cost", None, "passing-score"]
    assert results[1]["error"] == "line 2 is not valid UTF-8 text"


def test_stdin_text_mode_reports_the_bad_line_and_goes_on(capsys, monkeypatch):
    # A text-only stream (sys.stdin under the C locale) carries bad bytes as surrogates.
    code, out, _ = run(capsys, monkeypatch, ["ask", "-"], "resit cost\nf\udcffoo\npass mark\n")

    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[1] == "error: line 2 is not valid UTF-8 text"
    assert lines[2].startswith("[passing-score]")


def test_stdin_utf8_bom_is_accepted(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", strict_stdin("\ufeffresit cost\npass mark\n".encode()))

    code, out, _ = run(capsys, monkeypatch, ["ask", "--json", "-"])

    assert code == 0
    assert [json.loads(line)["entry_id"] for line in out.splitlines()] == [
        "retake-cost",
        "passing-score",
    ]


def test_question_argument_that_is_not_utf8_exits_2(capsys, monkeypatch):
    # Python hands undecodable argv bytes over as lone surrogates.
    code, out, err = run(capsys, monkeypatch, ["ask", "resit cost \udcff"])

    assert (code, out) == (2, "")
    assert err == "error: QUESTION is not valid UTF-8 text\n"


def test_real_strict_stdin_with_bom_and_invalid_utf8():
    """The real process: stdin strict (as in a UTF-8 locale), a BOM, one bad line."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        input=b"\xef\xbb\xbfresit cost\nf\xffoo\r\npass mark\n",
        capture_output=True, env=env, timeout=60, check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    results = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["entry_id"] for r in results] == ["retake-cost", None, "passing-score"]
    assert results[1]["error"] == "line 2 is not valid UTF-8 text"


def test_now_changes_retirement_answer(capsys, monkeypatch):
    _, before, _ = run(capsys, monkeypatch,
                       ["ask", "--json", "--now", "2026-06-01T12:00:00Z", "is ai-102 retiring"])
    _, after, _ = run(capsys, monkeypatch,
                      ["ask", "--json", "--now", "2026-07-01T12:00:00+02:00", "is ai-102 retiring"])
    assert "retires on" in json.loads(before)["answer"]
    assert "retired on" in json.loads(after)["answer"]


def test_piped_into_head_exits_cleanly():
    """`python -m bot ask - | head -1`: the reader leaves early; no traceback."""
    import subprocess
    import sys

    questions = "how much does a resit cost\nwhat's the pass mark\n" * 200
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(questions.encode())
    proc.stdin.close()
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert first.startswith(b"[retake-cost]")
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert proc.returncode == 0
