"""`validate` warns about AppSpec hook functions that AWSCodeDeployRoleForECS
may not invoke (names not starting CodeDeployHook_), and still exits 0: a
custom service role may allow them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import Result


def with_hooks(app_dir: Path, *hooks: str) -> Path:
    appspec = app_dir / "appspec.yaml"
    lines = "".join(f"  - {hook}\n" for hook in hooks)
    appspec.write_text(appspec.read_text() + "Hooks:\n" + lines)
    return app_dir


def test_a_hook_not_named_codedeployhook_is_warned_about(
    app_dir: Path, run_cli: Callable[..., Result]
) -> None:
    project = with_hooks(
        app_dir,
        'AfterInstall: "web-smoke"',
        'BeforeAllowTraffic: "arn:aws:lambda:us-east-1:123456789012:function:gate:live"',
    )
    result = run_cli("validate", str(project))
    assert result.exit_code == 0
    assert result.stdout.startswith("ok:")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert "Hooks.AfterInstall: 'web-smoke'" in warnings[0]
    assert "AWSCodeDeployRoleForECS" in warnings[0]
    assert "Hooks.BeforeAllowTraffic" in warnings[1]


@pytest.mark.parametrize(
    "name",
    [
        "CodeDeployHook_web_smoke",
        "CodeDeployHook_web_smoke:live",
        "arn:aws:lambda:us-east-1:123456789012:function:CodeDeployHook_web_smoke",
        "123456789012:function:CodeDeployHook_web_smoke",
    ],
)
def test_codedeployhook_names_in_every_form_pass_quietly(
    app_dir: Path, run_cli: Callable[..., Result], name: str
) -> None:
    result = run_cli("validate", str(with_hooks(app_dir, f'AfterInstall: "{name}"')))
    assert result.exit_code == 0
    assert "warning" not in result.stderr
