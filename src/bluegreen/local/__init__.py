"""The local control plane: daemon, controller, store, admin API, platform client.

The daemon drives the engine for one project (`controller.py`) through a
narrow port onto the task runner and the load balancer (`service.py`),
records every input in SQLite (`store.py`) so a deployment can be replayed
after a crash (`recovery.py`), and answers the CLI over an HTTP admin API
(`api.py`) that `LocalPlatform` (`local_platform.py`) calls.

It may import every package below it: `engine`, `spec`, `lb`, `tasks`.
"""
