"""How long a revision's snapshot takes, and what it costs on disk, for a 50 MB app.

    python benchmarks/snapshot.py [--megabytes 50] [--files 2000] [--write]

Three cases, each the median of `--rounds`: the first snapshot of a tree
(every file hashed and copied), the same tree again (the index says nothing
changed: a walk and a stat per file), and after one file was edited (that
file hashed again, the whole tree copied once, since a snapshot is a whole
tree). Disk is what `du` counts for one snapshot against the tree itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sections import publish

from bluegreen.tasks import snapshot as snapshots
from bluegreen.tasks.snapshot import SnapshotStore


def make_tree(root: Path, megabytes: int, files: int) -> None:
    size = megabytes * 1024 * 1024 // files
    for index in range(files):
        folder = root / f"pkg{index % 40}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module{index}.py").write_bytes(os.urandom(size))


def timed(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def du_kib(path: Path) -> int:
    return int(subprocess.check_output(["du", "-sk", str(path)]).split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="put the result into BENCHMARKS.md")
    args = parser.parse_args()
    snapshots.RACY_NS = 0  # the tree was just written; trust the index as a later deploy would
    first, same, edited, copy = [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "app"
        make_tree(tree, args.megabytes, args.files)
        for round_ in range(args.rounds):
            store = SnapshotStore(Path(scratch) / f"snapshots{round_}")
            first.append(timed(store.take, tree))
            same.append(timed(store.take, tree))
            (tree / "pkg0" / "module0.py").write_bytes(os.urandom(1024))
            edited.append(timed(store.take, tree))
            disk = du_kib(store.root) // 2  # two snapshots in the store now
            shutil.rmtree(store.root)
            plain = Path(scratch) / "cp"
            copy.append(timed(subprocess.run, ["cp", "-a", str(tree), str(plain)]))
            shutil.rmtree(plain)
        tree_kib = du_kib(tree)
    rows = [
        ("first snapshot (hash + copy)", first),
        ("unchanged tree (index hit)", same),
        ("one file edited (rehash one, copy all)", edited),
        ("`cp -a` of the same tree, for scale", copy),
    ]
    lines = [
        "## Revision snapshots (process driver)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; command: "
        f"`python benchmarks/snapshot.py {' '.join(sys.argv[1:])}`.",
        f"Tree: {args.megabytes} MB in {args.files} files; median of {args.rounds} rounds.",
        "",
        "| case | median | slowest |",
        "|---|---:|---:|",
        *[
            f"| {name} | {statistics.median(t) * 1000:.0f} ms | {max(t) * 1000:.0f} ms |"
            for name, t in rows
        ],
        "",
        f"Disk: one snapshot takes {disk / 1024:.1f} MiB for a tree of {tree_kib / 1024:.1f} MiB.",
    ]
    publish("\n".join(lines), args.write)


if __name__ == "__main__":
    main()
