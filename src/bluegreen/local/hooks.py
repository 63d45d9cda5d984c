"""Lifecycle hooks: the local command `bluegreen.toml` maps to an AppSpec hook.

A hook runs in the project directory through `shell.run_shell` (own process
group, timeout, bounded output tail) with the deployment's coordinates in
its environment.
"""

from __future__ import annotations


def hook_environment(
    deployment_id: str, event: str, revision: str, prod_url: str, test_url: str
) -> dict[str, str]:
    return {
        "BLUEGREEN_DEPLOYMENT_ID": deployment_id,
        "BLUEGREEN_LIFECYCLE_EVENT": event,
        "BLUEGREEN_REVISION": revision,
        "BLUEGREEN_PROD_URL": prod_url,
        "BLUEGREEN_TEST_URL": test_url,
    }
