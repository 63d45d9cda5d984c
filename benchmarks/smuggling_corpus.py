"""The whole smuggling corpus through the load balancer: every case of
`tests/lb/smuggling_cases.full_corpus` (http-garden's trophies, smuggler's
every byte in every place, seeded mutations: about 25,000) checked for the
property of `tests/lb/request_check`. `make test` runs a few hundred of
them (`tests/lb/test_smuggling_corpus.py`); this runs them all, in a few
minutes, and prints each failure with its bytes.

    python benchmarks/smuggling_corpus.py [--mutated 20000] [--seed 15]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lb.request_check import Rig
from tests.lb.smuggling_cases import full_corpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutated", type=int, default=20000, help="seeded mutations to add")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    started = time.monotonic()
    outcomes: Counter[str] = Counter()
    failed = 0
    with Rig() as rig:
        for name, data in full_corpus(args.mutated, args.seed):
            before = len(rig.target.records)
            problems = rig.check(data)
            reached = len(rig.target.records) - before - 1  # the barrier's is the last
            outcomes["forwarded" if reached else "refused"] += 1
            if problems:
                failed += 1
                print(f"FAIL {name} {data!r}", *problems, sep="\n  ", flush=True)
    total = sum(outcomes.values())
    print(
        f"{total} cases in {time.monotonic() - started:.0f} s: {outcomes['refused']} refused "
        f"with nothing at the target, {outcomes['forwarded']} with requests forwarded; "
        f"{failed} broke the property"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
