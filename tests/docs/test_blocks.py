"""What counts as a shell block, and what a docs-test marker may say."""

from __future__ import annotations

from pathlib import Path

from .blocks import shell_blocks

DOC = """\
# A doc

```sh
bluegreen validate examples/flask-app
```

```text
a diagram, not a command
```

```
bluegreen history examples/flask-app
```

<!-- docs-test: skip (needs an AWS account) -->

```bash
aws deploy list-applications
```

<!-- docs-test: exit 2 -->
```console
$ bluegreen validate nowhere
Error: nowhere: no such directory
$ echo \\
  done
```

```python
print("not shell")
```
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def test_shell_blocks_are_the_labelled_and_the_unlabelled_ones(tmp_path: Path) -> None:
    blocks, problems = shell_blocks(write(tmp_path, DOC))
    assert problems == []
    assert [block.line for block in blocks] == [3, 11, 17, 22]
    assert blocks[0].script == "bluegreen validate examples/flask-app\n"
    assert blocks[2].skip_reason == "needs an AWS account"
    assert blocks[3].expected_exit == 2
    assert blocks[3].script == "bluegreen validate nowhere\necho \\\n  done\n"


def test_a_skip_without_a_reason_is_a_problem(tmp_path: Path) -> None:
    text = (
        "<!-- docs-test: skip -->\n```sh\nfalse\n```\n"
        "<!-- docs-test: skip () -->\n```sh\nfalse\n```\n"
    )
    blocks, problems = shell_blocks(write(tmp_path, text))
    assert len(problems) == 2 and all("with a reason" in problem for problem in problems)
    assert all(block.skip_reason is None for block in blocks)  # so they run, and fail


def test_a_marker_must_sit_right_above_a_shell_block(tmp_path: Path) -> None:
    text = (
        "<!-- docs-test: skip (why) -->\nsome prose\n```sh\ntrue\n```\n"
        "<!-- docs-test: exit 1 -->\n```python\npass\n```\n"
        "<!-- docs-test: exit one -->\n```sh\ntrue\n```\n"
        "<!-- docs-test: skip (at the end) -->\n"
    )
    blocks, problems = shell_blocks(write(tmp_path, text))
    assert [problem.split(": ", 1)[1] for problem in problems] == [
        "docs-test marker with no block under it",
        "docs-test marker above a python block",
        "docs-test marker 'exit one': expected 'skip (reason)' with a reason, or 'exit N'",
        "docs-test marker with no block under it",
    ]
    assert [block.skip_reason for block in blocks] == [None, None]
