"""Local sweep workers: a Ctrl-C to the process group while a worker starts up is left to the driver."""

from __future__ import annotations

import os
import signal
from multiprocessing.queues import Queue

import pytest

from qcnn_tl.sweep.worker import LocalWorkerContext, init_local_worker


def _start_and_report(queue: Queue) -> None:
    init_local_worker(os.getppid())
    queue.put(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_a_ctrl_c_while_a_local_worker_starts_up_is_ignored():
    context = LocalWorkerContext()
    queue = context.Queue()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    process = context.Process(target=_start_and_report, args=(queue,))
    process.start()
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before  # the driver's own mask is unchanged
    os.kill(process.pid, signal.SIGINT)  # the worker is still importing: it must neither die nor print
    process.join(timeout=300)
    assert process.exitcode == 0  # not killed by the Ctrl-C (a traceback, exit code 1, or -SIGINT)
    assert queue.get(timeout=10) is True
