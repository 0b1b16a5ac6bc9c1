"""The table ``--workers`` share to spread connections evenly (docs/decisions.md V24)."""

from __future__ import annotations

from mock_server.serve.balance import Balance


def test_a_worker_is_busier_only_than_a_worker_that_accepts() -> None:
    table = Balance.shared(3)
    first, second, third = (Balance(table, n) for n in range(3))
    assert not first.busier(5)  # the others have not started: nobody to leave it to
    second.publish(2)
    assert first.busier(3)
    assert not first.busier(2)  # as loaded as the least loaded: takes it
    third.publish(0)
    assert first.busier(1)
    third.leave()  # stopped: its empty place is not counted
    assert not first.busier(2)
    assert second.busier(3) is False  # its own count is not compared with itself
    first.publish(1)
    assert second.busier(2)


def test_the_table_is_shared_with_forked_workers() -> None:
    import os

    table = Balance.shared(2)
    pid = os.fork()
    if pid == 0:  # the child publishes, the parent reads
        Balance(table, 1).publish(7)
        os._exit(0)
    os.waitpid(pid, 0)
    assert Balance(table, 0).busier(8)
    assert not Balance(table, 0).busier(7)
