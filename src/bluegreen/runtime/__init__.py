"""The runtime: the local platform's data plane as a process of its own.

It holds what ECS and an ALB hold on AWS: the listeners, the target groups
with their health checks and counters, and the task runner whose tasks are
its children. The controller (engine, store, admin API, hooks) drives it
over a Unix socket (`server.py` answers, `client.py` asks), so production
traffic keeps flowing with the last weights, targets and health checks
while the controller is dead, as an ALB serves while CodeDeploy restarts.
"""
