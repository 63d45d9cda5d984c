"""The task runner: task sets of a revision, run by a driver.

The runner decides what runs and when (desired count, restarts with
backoff, stop on termination); a driver knows how to run one task, as a
process group on this machine or as a Docker container. Drivers share one
interface (`driver.py`); which one a project uses is picked in
`drivers.py`.

It may import `bluegreen.spec`, `bluegreen.images` and the state directory;
never `lb`, `local`, `aws`, `ci` or `cli` (a test enforces it).
"""
