"""Group commit: callers that arrive during a write share the next one, each returns once its rows are written."""
import threading
import time

import pytest

from messaging.services.groupcommit import GroupWriteError, GroupWriter


class Store:
    """A write function whose first write can be held open, as a slow COMMIT would be."""

    def __init__(self, fail_on=None):
        self.writes: list[list] = []
        self.hold = threading.Event()
        self.started = threading.Event()
        self.fail_on = fail_on

    def __call__(self, rows):
        if not self.writes and not self.started.is_set():
            self.started.set()
            assert self.hold.wait(5)
        if self.fail_on is not None and self.fail_on in rows:
            raise ValueError("disk full")
        self.writes.append(list(rows))


def run(writer, rows, out):
    try:
        out[rows[0]] = writer.add(rows)
    except Exception as exc:  # noqa: BLE001 - the test looks at what each caller got
        out[rows[0]] = exc


def during_a_held_write(writer, store, out):
    """"a" writes and is held; b, c and d come meanwhile.  Returns once they wait, with every thread."""
    first = threading.Thread(target=run, args=(writer, ["a"], out))
    first.start()
    assert store.started.wait(5)
    later = [threading.Thread(target=run, args=(writer, [name], out)) for name in "bcd"]
    for t in later:
        t.start()
    waiting_on(writer, 3)
    return [first, *later]


def waiting_on(writer, count):
    """Until `count` more callers wait in the batch that is filling."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        batch = writer._filling
        if batch is not None and len(batch.rows) >= count:
            return
        time.sleep(0.005)
    raise AssertionError("callers never joined the batch")


def test_a_caller_alone_is_written_at_once():
    store = Store()
    store.started.set()  # nothing to hold
    writer = GroupWriter(store)
    assert writer.add(["a"]) is True
    assert writer.add(["b", "c"]) is True
    assert store.writes == [["a"], ["b", "c"]]


def test_callers_during_a_write_share_the_next_one():
    store = Store()
    writer = GroupWriter(store)
    out = {}
    threads = during_a_held_write(writer, store, out)
    assert "b" not in out and "c" not in out  # nobody returns before their rows are written
    store.hold.set()
    for t in threads:
        t.join(5)
    assert store.writes[0] == ["a"]
    assert len(store.writes) == 2 and sorted(store.writes[1]) == ["b", "c", "d"]
    assert out["a"] is True and sorted(v for k, v in out.items() if k != "a") == [False, False, True]


def test_a_failed_write_fails_every_caller_in_it_and_no_one_after():
    store = Store(fail_on="c")
    writer = GroupWriter(store)
    out = {}
    threads = during_a_held_write(writer, store, out)
    store.hold.set()
    for t in threads:
        t.join(5)
    failed = [out[k] for k in "bcd"]
    assert sum(isinstance(e, ValueError) for e in failed) == 1  # the caller that wrote sees the cause
    followers = [e for e in failed if isinstance(e, GroupWriteError)]
    assert len(followers) == 2 and all(isinstance(e.__cause__, ValueError) for e in followers)
    assert writer.add(["e"]) is True
    assert store.writes == [["a"], ["e"]]


def test_rows_are_written_once_under_many_threads():
    store = Store()
    store.started.set()
    writer = GroupWriter(lambda rows: (time.sleep(0.002), store.writes.append(list(rows))))
    out = {}
    threads = [threading.Thread(target=run, args=(writer, [i], out)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    written = [row for batch in store.writes for row in batch]
    assert sorted(written) == list(range(200))
    assert len(store.writes) < 200  # some shared a write
    assert sum(out.values()) == len(store.writes)


@pytest.mark.parametrize("rows", [[], ["x"]])
def test_the_writer_is_free_after_each_write(rows):
    store = Store()
    store.started.set()
    writer = GroupWriter(store)
    writer.add(rows)
    assert writer._filling is None and not writer._writing
