"""`bluegreen plan`: what a deploy would change, computed without changing anything.

The platform reads what runs now (`Platform.live`); this package compares
it with what the project's files say now and lays out the schedule. It is
pure: no platform, no network, no writes.
"""

from .report import Plan, build_plan

__all__ = ["Plan", "build_plan"]
