"""The run timing recorder: off without its variable; with it, one line per explore run whose parts add up
to no more than the run and name where the time went."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.explore.test_app_explore import run_app
from ui.common import run_timing


def test_a_run_is_recorded_with_its_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "runs.jsonl"
    monkeypatch.setenv(run_timing.ENV, str(path))
    run_app()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["page"] for r in records] == ["explore"]
    record = records[0]
    assert {"analysis", "twin analysis", "figure", "closeup", "chart", "editor", "export"} <= set(record["parts"])
    assert sum(wall for wall, _ in record["parts"].values()) <= record["wall"]
    assert record["cpu"] > 0 and all(cpu >= 0 for _, cpu in record["parts"].values())


def test_nothing_is_written_without_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(run_timing.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with run_timing.run("explore"), run_timing.part("analysis"):
        run_timing.waited("heavy slot", 1.0)
    assert list(tmp_path.iterdir()) == []
