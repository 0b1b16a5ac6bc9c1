"""How ``--workers N`` spreads connections evenly over its processes (docs/decisions.md V24).

On one shared listening socket the kernel wakes every worker for a new connection and the first
to call ``accept`` wins; an event loop then accepts everything waiting. A load generator that
opens its 8 connections at once found them all, or 7 of them, in one worker, and the second
core idle. So each worker publishes how many connections it holds in a table the parent shares
with all of them (memory mapped before the fork), and a worker that holds more than the least
loaded one lets a new connection wait :data:`DEFER_SECONDS` for the others before it takes it.
A worker that stopped or has not started yet counts as absent; one killed outright is marked
absent by the parent when it reaps it.
"""

from __future__ import annotations

from multiprocessing.sharedctypes import RawArray
from typing import Any

ABSENT = 1 << 62  # a worker not accepting (starting, stopped, or dead)
DEFER_SECONDS = 0.01  # how long a busier worker leaves a new connection to the others


class Balance:
    """One worker's place in the shared table of connection counts.

    Args:
        table: the shared counts, one per worker (:meth:`shared`).
        slot: this worker's place in it.
    """

    def __init__(self, table: Any, slot: int) -> None:
        self.table = table
        self.slot = slot

    @staticmethod
    def shared(workers: int) -> Any:
        """A table for ``workers`` processes, every one absent (create it before forking)."""
        table = RawArray("q", workers)
        for slot in range(workers):
            table[slot] = ABSENT
        return table

    def publish(self, count: int) -> None:
        """This worker now holds ``count`` connections."""
        self.table[self.slot] = count

    def leave(self) -> None:
        """This worker accepts no more: the others stop leaving connections to it."""
        self.table[self.slot] = ABSENT

    def busier(self, count: int) -> bool:
        """Whether another worker that accepts holds fewer connections than ``count``."""
        others = (self.table[n] for n in range(len(self.table)) if n != self.slot)
        return any(held < count for held in others)  # ABSENT is never below a count
