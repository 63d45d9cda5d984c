"""Fuzz the request path for N minutes: hypothesis draws request bytes
(`tests/lb/request_strategies`) and each must keep the property of
`tests/lb/request_check` (refused with nothing at the target, or forwarded
as exactly what the proxy read, each client answered its own). `make test`
runs a bounded version (`tests/lb/test_request_fuzz.py`); this keeps
drawing, in rounds of fresh seeds, until the time is up, and prints every
failing example hypothesis shrank to.

    python benchmarks/fuzz_requests.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Flaky

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lb.request_check import Rig
from tests.lb.request_strategies import request_bytes

ROUND = 2000  # examples per round: hypothesis stops a round at its first failure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.minutes * 60
    counts = {"examples": 0, "forwarded": 0, "rounds": 0}
    failures: list[str] = []
    with Rig() as rig:

        @settings(
            max_examples=ROUND, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(data=request_bytes())
        def one(data: bytes) -> None:
            if time.monotonic() > deadline:
                return
            before = len(rig.target.records)
            problems = rig.check(data)
            counts["examples"] += 1
            counts["forwarded"] += len(rig.target.records) - before - 1 > 0
            assert not problems, f"{data!r}: {problems}"

        while time.monotonic() < deadline:
            counts["rounds"] += 1
            try:
                one()
            except (AssertionError, Flaky) as exc:
                failures.append(str(exc))
                print("FAIL", exc, flush=True)
    print(
        f"{counts['examples']} examples in {counts['rounds']} rounds over {args.minutes:g} min, "
        f"{counts['forwarded']} with requests forwarded; {len(failures)} broke the property"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
