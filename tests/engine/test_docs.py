"""docs/engine.md's diagram and tables are the engine's own tables, rendered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bluegreen.engine.diagram import deadlines_table, inputs_table, mermaid, rollback_table, update
from bluegreen.engine.transitions import DEADLINES, ROLLBACK_RULES, TRANSITIONS, InputKind

PAGE = Path(__file__).resolve().parents[2] / "docs" / "engine.md"


def test_docs_engine_md_is_up_to_date() -> None:
    text = PAGE.read_text()
    fresh = update(text)
    if os.environ.get("BLUEGREEN_UPDATE_DOCS") == "1":
        PAGE.write_text(fresh)
    assert text == fresh, (
        "docs/engine.md is stale: BLUEGREEN_UPDATE_DOCS=1 pytest tests/engine/test_docs.py"
    )


def test_the_diagram_draws_every_transition_once() -> None:
    diagram = mermaid()
    for phase, moves in TRANSITIONS.items():
        assert f'"{phase.value}" as {phase.name.lower()}' in diagram
        for trigger in moves:
            assert f": {trigger.value}" in diagram
    edges = [line for line in diagram.splitlines() if "-->" in line and ":" in line]
    assert len(edges) == len(set(edges))
    assert "running --> failed: failure" in diagram


def test_the_rollback_table_has_a_row_per_rule() -> None:
    rows = rollback_table().splitlines()[2:]
    assert len(rows) == len(ROLLBACK_RULES)
    assert "| alarm | Stopped | ALARM_ACTIVE | DEPLOYMENT_STOP_ON_ALARM |" in rows


def test_the_input_table_has_a_row_per_kind_naming_where_it_is_illegal() -> None:
    rows = inputs_table().splitlines()[2:]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == [k.value for k in InputKind]
    assert "| Started | Created | — | every running phase, the endings |" in rows


def test_the_deadline_table_has_a_row_per_waiting_phase_and_ready_action() -> None:
    rows = deadlines_table().splitlines()[2:]
    assert len(rows) == len(DEADLINES) + 2
    assert "| Install | failure | green not healthy within `install_timeout` |" in rows
    assert "| AllowTraffic | step | next traffic step due |" in rows


def test_update_refuses_a_page_without_its_sections() -> None:
    with pytest.raises(ValueError, match="generated:lifecycle"):
        update("# no markers here\n")
