"""A GitHub Actions runner in miniature, for the generated workflow and the
composite action: it runs each `run:` step as GitHub does, as its own
script under `bash --noprofile --norc -eo pipefail`, with the env of the
workflow, job and step, `GITHUB_ENV` carried to later steps and
`GITHUB_OUTPUT` read back into step and job outputs.

Expressions are evaluated for the few forms the generators write (a
context path, a 'literal', `==`/`!=`, `||`, `&&`, `always()`); any other
form is an error, so a generator that starts writing one fails here rather
than being run wrong. `uses:` steps of the actions listed in ACTIONS are
skipped (checkout, Python, AWS credentials, artifacts: the tests prepare
what they would), any other action is an error.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bluegreen.ci import github

ACTIONS = {github.CHECKOUT, github.SETUP_PYTHON, github.AWS_CREDENTIALS, github.UPLOAD_ARTIFACT}
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # GitHub's `shell: bash`
_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
_PATH = re.compile(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*")


@dataclass
class Contexts:
    """What expressions can read."""

    github: dict[str, str]
    inputs: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: bool = False

    def lookup(self, path: str) -> str:
        node: Any = vars(self)
        for part in path.split("."):
            if not isinstance(node, dict):
                return ""
            node = node.get(part, "")
        return node if isinstance(node, str) else ""


_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|always\(\)|==|!=|\|\||&&|[A-Za-z_][\w.-]*)")


def _tokens(text: str) -> list[str]:
    found, at = [], 0
    while at < len(text.rstrip()):
        match = _TOKEN.match(text, at)
        if match is None:
            raise ValueError(f"expression form the runner does not know: {text!r}")
        found.append(match.group(1))
        at = match.end()
    return found


def _value(token: str, contexts: Contexts) -> str | bool:
    if token == "always()":
        return True
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    if _PATH.fullmatch(token):
        return contexts.lookup(token)
    raise ValueError(f"expression form the runner does not know: {token!r}")


def _comparison(tokens: list[str], contexts: Contexts) -> str | bool:
    """`a`, or `a == b` / `a != b`."""
    if len(tokens) == 1:
        return _value(tokens[0], contexts)
    if len(tokens) == 3 and tokens[1] in ("==", "!="):
        same = _value(tokens[0], contexts) == _value(tokens[2], contexts)
        return same if tokens[1] == "==" else not same
    raise ValueError(f"expression form the runner does not know: {' '.join(tokens)!r}")


def _split(tokens: list[str], operator: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == operator:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def evaluate(text: str, contexts: Contexts) -> str | bool:
    """`a || b`: the first truthy operand, else the last; `&&` binds tighter."""
    value: str | bool = ""
    for alternative in _split(_tokens(text), "||"):
        for part in _split(alternative, "&&"):
            value = _comparison(part, contexts)
            if not value:
                break
        if value:
            return value
    return value


def interpolate(text: str, contexts: Contexts) -> str:
    return _EXPRESSION.sub(lambda m: str(evaluate(m.group(1), contexts)), text)


def should_run(condition: str | None, contexts: Contexts) -> bool:
    """A step's or job's `if:` (bare or in `${{ }}`); without one, only while
    nothing failed, as GitHub's implicit `success()`."""
    if condition is None:
        return not contexts.failed
    bare = _EXPRESSION.fullmatch(condition.strip())
    text = bare.group(1) if bare else condition
    if "always()" not in text and contexts.failed:
        return False
    return bool(evaluate(text, contexts))


@dataclass
class Result:
    code: int
    outputs: dict[str, str]
    log: str
    ran: list[str]
    summary: str = ""


@dataclass
class Runner:
    """Runs jobs in `workspace` with `env` as the runner machine's environment."""

    workspace: Path
    env: dict[str, str]
    contexts: Contexts

    def job(self, workflow: dict[str, Any], name: str) -> Result | None:
        """The job's result, or None when its `if:` skips it."""
        job = workflow["jobs"][name]
        assert workflow["defaults"]["run"]["shell"] == "bash"
        self.contexts.env = {}
        self.contexts.env = self._env(workflow.get("env", {}), job.get("env", {}))
        self.contexts.steps, self.contexts.failed = {}, False
        if not should_run(job.get("if"), self.contexts):
            return None
        result = self.steps(job["steps"])
        outputs = {k: interpolate(v, self.contexts) for k, v in job.get("outputs", {}).items()}
        return Result(result.code, outputs, result.log, result.ran, result.summary)

    def steps(self, steps: list[dict[str, Any]]) -> Result:
        log, ran, code = [], [], 0
        env_file = self.workspace.parent / f"{self.workspace.name}.github_env"
        env_file.write_text("")
        self.summary_file.write_text("")
        for index, step in enumerate(steps):
            if "uses" in step:
                assert step["uses"] in ACTIONS, f"an action the runner cannot stand in for: {step}"
                continue
            if not should_run(step.get("if"), self.contexts):
                continue
            done = self._run(step, index, env_file)
            ran.append(step.get("name", step["run"]))
            log.append(done.stdout + done.stderr)
            if done.returncode != 0 and not code:
                code, self.contexts.failed = done.returncode, True
        return Result(code, {}, "".join(log), ran, self.summary_file.read_text())

    @property
    def summary_file(self) -> Path:
        return self.workspace.parent / f"{self.workspace.name}.step_summary"

    def _env(self, *layers: dict[str, str]) -> dict[str, str]:
        """Layers of `env:` over the env context, each value evaluated with
        the layers below it in `env` (as a step's env can read the job's)."""
        found = dict(self.contexts.env)
        saved = self.contexts.env
        for layer in layers:
            for key, value in layer.items():
                self.contexts.env = found
                found[key] = interpolate(str(value), self.contexts)
        self.contexts.env = saved
        return found

    def _run(
        self, step: dict[str, Any], index: int, env_file: Path
    ) -> subprocess.CompletedProcess[str]:
        output = self.workspace.parent / f"{self.workspace.name}.output.{index}"
        output.write_text("")
        script = self.workspace.parent / f"{self.workspace.name}.step.{index}.sh"
        script.write_text(interpolate(step["run"], self.contexts) + "\n")
        step_env = step.get("env", {})
        evaluated = self._env(step_env)
        env = {
            **self.env,
            **self.contexts.env,
            **_read_pairs(env_file),  # over the workflow's and job's env, under the step's
            **{name: evaluated[name] for name in step_env},
            "GITHUB_ENV": str(env_file),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.summary_file),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_SHA": self.contexts.github["sha"],
        }
        done = subprocess.run(
            [*BASH, str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if "id" in step:
            self.contexts.steps[step["id"]] = {"outputs": _read_pairs(output)}
        return done


def _read_pairs(path: Path) -> dict[str, str]:
    """NAME=value lines (GITHUB_ENV, GITHUB_OUTPUT); anything else is an error."""
    found = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        assert sep and name.isidentifier(), f"{path.name}: not NAME=value: {line!r}"
        found[name] = value
    return found


def composite(action: dict[str, Any], with_inputs: dict[str, str], runner: Runner) -> Result:
    """A `uses:` of the composite action: its inputs (given, else defaults),
    its steps, then its outputs."""
    inputs = {k: v.get("default", "") for k, v in action["inputs"].items()} | with_inputs
    assert set(with_inputs) <= set(action["inputs"]), "only declared inputs"
    runner.contexts.inputs, runner.contexts.steps, runner.contexts.failed = inputs, {}, False
    runner.contexts.env = {}
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash", "a composite's run steps name their shell"
    result = runner.steps(action["runs"]["steps"])
    outputs = {k: interpolate(v["value"], runner.contexts) for k, v in action["outputs"].items()}
    return Result(result.code, outputs, result.log, result.ran, result.summary)
