"""What a deploy job checks before anything deploys (`bluegreen ci preflight`).

Without a test listener URL nothing checks green on AWS before production
traffic moves, and the deployment waits in Ready for a `continue` that no
pipeline sends; without a production URL the verify job fails after the
deployment is done. Both are settings, so the job says at once which
variable to set (exit 2) rather than waiting for an hour or failing late.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..spec.config import BluegreenConfig
from .gitlab import AWS_PLATFORMS


def problems(config: BluegreenConfig, platform: str, env: Mapping[str, str]) -> list[str]:
    """Every missing setting, each with the variable that fixes it."""
    found = []
    if platform in AWS_PLATFORMS and config.aws.test_listener_url is None:
        found.append(
            "no test listener URL, so nothing would check green before production traffic "
            "moves and the deployment would wait in Ready: set the CI/CD variable TEST_LB_DNS "
            "to the test listener (the stack output TestListenerUrl, e.g. "
            "my-alb-123.us-east-1.elb.amazonaws.com:8080), or aws.test_listener_url in "
            "bluegreen.toml"
        )
    prod_url = env.get("BLUEGREEN_PROD_URL", "")
    if not prod_url.startswith(("http://", "https://")):
        found.append(
            f"BLUEGREEN_PROD_URL is {prod_url!r}: set the CI/CD variable BLUEGREEN_PROD_URL "
            "to the production listener's URL (http://host[:port]), which verify checks"
        )
    return found
