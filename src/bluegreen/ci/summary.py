"""The deployment as a Markdown job summary, for GitHub's run page
(`$GITHUB_STEP_SUMMARY`), as the JUnit report is for GitLab's test tab.

The same checks as `junit.cases` (the test-listener validation, each hook,
the deployment), so the two reports cannot disagree: a check that never
ran is absent, a failed gate is a failed row with its reason.
"""

from __future__ import annotations

from .junit import cases
from .report import Record


def summary_markdown(record: Record, left_running: bool = False) -> str:
    status = record.status.value if record.status else "no deployment"
    title = f"### bluegreen: {status}"
    if record.deployment_id:
        title += f", deployment `{record.deployment_id}`"
    if record.verdict is not None and record.verdict.revision:
        title += f", revision `{record.verdict.revision}`"
    rows = ["| check | result | seconds |", "|---|---|---|"]
    for case in cases(record, left_running):
        result = "passed" if case.failure is None else f"**failed**: {_cell(case.failure)}"
        rows.append(f"| {_cell(case.name)} | {result} | {case.seconds:.1f} |")
    return "\n".join([title, "", *rows]) + "\n"


def _cell(text: str) -> str:
    """One table cell: no pipe or line break ends it early."""
    return text.replace("|", "\\|").replace("\n", " ")
