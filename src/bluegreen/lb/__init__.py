"""The data plane: listeners, proxying, target groups, health checks, metrics.

This package owns the bytes of production traffic: an HTTP/1.1 load
balancer with ALB's semantics (weighted forward actions, target groups with
health checks, deregistration delay) and the counters that alarms read. It
knows nothing of tasks, deployments or AWS: whoever runs it registers
targets and sets weights through `LoadBalancer`'s verbs.

It may import `bluegreen.spec` (the health-check settings) and the standard
library; never `tasks`, `local`, `aws`, `ci` or `cli` (a test enforces it).
"""
