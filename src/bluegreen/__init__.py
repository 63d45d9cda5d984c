"""bluegreen: zero-downtime blue/green deployments of containerized web apps.

The same three files (taskdef.json, appspec.yaml, bluegreen.toml) drive a
local deployment on one machine, an AWS CodeDeploy deployment on ECS Fargate
and an ECS-native one; see docs/architecture.md for how the parts fit.
"""

__version__ = "0.1.0"
