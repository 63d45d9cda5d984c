"""A steady client on the emulated production listener: one request after
another, counting what answered and what failed, until told to stop."""

from __future__ import annotations

import threading
from collections import Counter
from types import TracebackType

import httpx


class SteadyClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[str] = []
        self.failures: list[str] = []
        self.sequence: list[str] = []
        """Every outcome in the order it came: an answer's text or a failure."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SteadyClient:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                try:
                    answer = client.get(self.url)
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    self.sequence.append(self.failures[-1])
                    continue
                if answer.status_code != 200:
                    self.failures.append(f"{answer.status_code} {answer.text[:80]}")
                    self.sequence.append(self.failures[-1])
                else:
                    self.answers.append(answer.text.strip())
                    self.sequence.append(self.answers[-1])

    def shares(self, start: int = 0) -> Counter[str]:
        return Counter(self.answers[start:])


def canary_window(answers: list[str], old: str = "v1", new: str = "v2") -> list[str]:
    """The answers from the first `new` to the last `old`: while both served."""
    first_new = answers.index(new)
    last_old = len(answers) - 1 - answers[::-1].index(old)
    return answers[first_new : last_old + 1]
