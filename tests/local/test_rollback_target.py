"""`rollback_target` over store rows: a table of histories, each with the revision
a plain `rollback` must pick (or the words of its refusal).

Each history is written as steps, oldest first:
  "web:N"       a deployment of web:N that Succeeded
  "web:N!"      a deployment of web:N that was rolled back (stop, alarm, failure)
  "web:N?"      a deployment of web:N that Failed without moving traffic back
  "web:N~"      a deployment of web:N stopped with --no-rollback
  "<web:N"      a rollback deployment to web:N that Succeeded
The rows go through a real store, so the test also covers how they are kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.errors import UsageError
from bluegreen.local.rollback_target import rollback_target
from bluegreen.local.store import DeploymentRow, Store
from bluegreen.vocabulary import Status

TABLE = [
    (["web:1", "web:2"], "web:1"),
    (["web:1", "web:2", "web:3"], "web:2"),
    # The bug of issue 12: a second rollback went back to what the first fled.
    (["web:1", "web:2", "<web:1"], "nothing: web:2 (rolled away from"),
    (["web:1", "web:2", "web:3", "<web:2"], "web:1"),
    (["web:1", "web:2", "web:3", "<web:2", "<web:1"], "nothing: web:2 (rolled away from"),
    (["web:1", "web:2", "<web:1", "web:3"], "web:1"),
    (["web:1", "web:2", "<web:1", "web:3", "<web:1"], "nothing: web:3 (rolled away from"),
    # A stop with rollback (or an alarm) rolls away from its green.
    (["web:1", "web:2", "web:3!"], "web:1"),
    (["web:1", "web:2", "web:1", "web:2!"], "nothing: web:2 (rolled away from"),
    (["web:1", "web:2", "web:1", "web:2!", "web:3"], "web:1"),
    # A deployment that never served production is never a target.
    (["web:1", "web:2?"], "nothing: web:2 (never served production"),
    (["web:1", "web:2~"], "nothing: web:2 (never served production"),
    (["web:1", "web:2", "web:3?"], "web:1"),
    # --to: what it left is rolled away from, and the one left before stays a target.
    (["web:1", "web:2", "web:3", "<web:1"], "web:2"),
    (["web:1", "web:2", "web:3", "<web:1", "web:4"], "web:1"),
    # A revision rolled away from serves again after a new deployment of it.
    (["web:1", "web:2", "<web:1", "web:2", "web:3"], "web:2"),
    # The same revision deployed over itself is not left.
    (["web:1", "web:2", "web:2"], "web:1"),
    (["web:1", "web:1"], "nothing: web:1 serves now"),
    ([], "nothing: no deployment has succeeded yet"),
    (["web:1!"], "nothing: no deployment has succeeded yet"),
    (["web:1"], "nothing: web:1 serves now"),
]


def stored_rows(tmp_path: Path, steps: list[str]) -> list[DeploymentRow]:
    store = Store(tmp_path / "state.db")
    for number in range(1, 6):
        assert store.register_revision({"family": "web", "n": number}) == f"web:{number}"
    serving: tuple[str, str] | None = None  # (deployment id, revision)
    for number, step in enumerate(steps):
        revision = step.strip("<!?~")
        deployment_id = f"d-{number}"
        rollback_of = serving[0] if step.startswith("<") and serving else None
        store.create_deployment(
            deployment_id, revision, serving[1] if serving else None, {}, rollback_of=rollback_of
        )
        status = {"!": Status.STOPPED, "?": Status.FAILED, "~": Status.STOPPED}.get(
            step[-1], Status.SUCCEEDED
        )
        store.update_deployment(
            deployment_id, status=status.value, ended=float(number), rolled_back=step[-1] == "!"
        )
        if status is Status.SUCCEEDED:
            serving = (deployment_id, revision)
    rows = store.deployments(limit=None)
    store.close()
    return rows


@pytest.mark.parametrize(("steps", "expected"), TABLE, ids=[" ".join(s) for s, _ in TABLE])
def test_the_target_of_a_plain_rollback(tmp_path: Path, steps: list[str], expected: str) -> None:
    rows = stored_rows(tmp_path, steps)
    if not expected.startswith("nothing"):
        assert rollback_target(rows).revision == expected
        return
    with pytest.raises(UsageError) as refused:
        rollback_target(rows)
    message = str(refused.value)
    assert message.startswith("nothing to roll back to")
    assert expected.removeprefix("nothing: ") in message


def test_the_target_undoes_the_deployment_that_put_the_serving_revision_in(
    tmp_path: Path,
) -> None:
    rows = stored_rows(tmp_path, ["web:1", "web:2", "web:3!"])
    assert rollback_target(rows).undoes == "d-1"
    assert rollback_target(rows, to="web:1").undoes == "d-1"


def test_rollback_to_names_its_own_revision_even_when_nothing_qualifies(tmp_path: Path) -> None:
    rows = stored_rows(tmp_path, ["web:1", "web:2", "<web:1"])
    assert rollback_target(rows, to="web:2").revision == "web:2"
    assert rollback_target([], to="web:2").undoes is None


def test_a_refusal_names_every_revision_it_considered(tmp_path: Path) -> None:
    rows = stored_rows(tmp_path, ["web:1", "web:2", "web:3?", "<web:1", "web:4!"])
    with pytest.raises(UsageError) as refused:
        rollback_target(rows)
    message = str(refused.value)
    assert "web:1 serves now" in message
    assert "web:2 (rolled away from by d-3)" in message
    assert "web:3 (never served production: d-2 Failed)" in message
    assert "web:4 (rolled away from by d-4, Stopped)" in message
