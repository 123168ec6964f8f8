"""Group commit for appends that callers wait on: rows that arrive while a
write is in flight go into the next write together.

A storm of receipt callbacks (issue 4: 2,000 a second) is a storm of
one-row INSERTs, each its own transaction: every one costs a statement's
parse, plan and commit in PostgreSQL and a round trip in the web thread.
Here the first caller of a batch writes it; callers that come while it is
writing wait, and the first of them writes all of theirs in one statement as
soon as the write before is committed.  Nobody waits for a timer: a caller
alone is written at once, and under load a write carries whatever came
during the previous one.  Each caller returns only after its rows are
committed (the gateway gets its 200 after the receipt is durable, as
before), and if the write fails every caller of that batch gets the error.

Per process: threads of one web worker share a writer; each worker process
has its own.
"""
from __future__ import annotations

import threading
from typing import Callable, Sequence


class GroupWriteError(RuntimeError):
    """The write that carried this caller's rows failed (the cause is chained)."""


class _Batch:
    __slots__ = ("rows", "led", "done", "error")

    def __init__(self):
        self.rows: list = []
        self.led = False
        self.done = False
        self.error: BaseException | None = None


class GroupWriter:
    def __init__(self, write: Callable[[list], None]):
        self._write = write
        self._cond = threading.Condition()
        self._filling: _Batch | None = None  # the batch later callers join
        self._writing = False

    def add(self, rows: Sequence) -> bool:
        """Write `rows` (with whatever other callers bring meanwhile); returns once they are committed.
        True for the caller that wrote the batch."""
        with self._cond:
            batch = self._filling
            if batch is None:
                batch = self._filling = _Batch()
            batch.rows.extend(rows)
            if batch.led:
                while not batch.done:
                    self._cond.wait()
                if batch.error is not None:
                    raise GroupWriteError("the batch holding these rows was not written") from batch.error
                return False
            batch.led = True
            while self._writing:  # one write at a time; the batch fills while the one before commits
                self._cond.wait()
            self._filling, self._writing = None, True
        try:
            self._write(batch.rows)
        except BaseException as exc:
            batch.error = exc
            raise
        finally:
            with self._cond:
                self._writing, batch.done = False, True
                self._cond.notify_all()
        return True
