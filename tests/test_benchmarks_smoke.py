"""The backend-comparison benchmark runs and prints its lines (tiny size; no timings checked)."""

from __future__ import annotations

import os

import pytest

from benchmarks import bench_postgres


def test_without_a_server_it_says_how_to_run_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    bench_postgres.run()
    assert capsys.readouterr().out.strip() == bench_postgres.SKIPPED
    assert "skipped: set TEST_DATABASE_URL" in bench_postgres.SKIPPED


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="PostgreSQL variant skipped: TEST_DATABASE_URL is not set",
)
def test_both_backends_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    # The throughput part spawns bot processes: seconds each, so not in the test suite.
    size = bench_postgres.Size(members=20, samples=5, warmup=1, concurrent=10)
    bench_postgres.run(size, throughput=False)
    out = capsys.readouterr().out
    assert "SQLite: populate 200 attempts" in out
    assert "PostgreSQL: COPY 200 attempts" in out
    assert "p99 PG/SQLite" in out
    rows = [line for line in out.splitlines() if line.startswith(("/attempt log", "/eligibility"))]
    assert len(rows) == 2
    assert all("target p99 ratio <= 2x" in row for row in rows)
