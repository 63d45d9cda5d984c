"""`make demo`: validate the example app and render what would be deployed.

For now this shows the spec side end to end through the real `bluegreen`
command: validate the three files, render the task definition for an
image, and render the CodeDeploy revision (AppSpec content + SHA-256) for a
task definition ARN. The local-platform demo replaces it with a real
blue/green deployment.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP = Path(__file__).parent / "flask-app"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/flask-app:abc1234"
ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/flask-app:1"

STEPS = [
    ("validate the example's bluegreen.toml, taskdef.json and appspec.yaml", ["validate"]),
    ("render the task definition for an image", ["render", "--image", IMAGE]),
    (
        "render the CodeDeploy revision for the registered task definition",
        ["render", "--what", "revision", "--task-definition-arn", ARN],
    ),
]


def main() -> int:
    for title, args in STEPS:
        command = [sys.executable, "-m", "bluegreen.cli", *args, str(APP)]
        print(f"\n== {title}\n$ bluegreen {' '.join(args)} {APP}", flush=True)
        result = subprocess.run(command, check=False)
        if result.returncode != 0:
            return result.returncode
    print("\ndemo: validated and rendered the example app (no deployment run yet).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
