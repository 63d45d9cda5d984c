"""The blue/green lifecycle as a sans-IO state machine.

Nothing under engine/ performs I/O or reads a clock: no sockets, no
subprocesses, no threads, no sleeping. Inputs come in (including time, via
`tick(now)`), actions go out, and a driver on each platform performs them.
That is what lets a deployment be rebuilt after a crash by replaying its
recorded inputs, lets tests run the whole lifecycle in milliseconds with a
fake clock, and lets every platform speak the same event vocabulary
(`engine.events`).
"""
