"""Running one sweep unit in a worker process (local pool or Dask), with per-process caches.

A worker keeps each task's features and each encoding's prepared training pool in memory between units:
preparing an amplitude-encoded pool (≈ 12,000 states) costs about as much as training ten models, and it
does not depend on the ansatz or pooling, only on the encoding circuit and the features.

Workers of the local pool are :class:`LocalWorker` processes started with :func:`init_local_worker`: they leave
Ctrl-C to the driver from birth (a Ctrl-C to the whole process group while a worker is still importing must not
print its traceback), and they end when the driver ends, however it ends (a killed driver must not leave ≈ 1 GB
processes behind).
"""

from __future__ import annotations

import ctypes
import multiprocessing.context
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch

from qcnn_tl.c2c.training import C2CConfig, train_head
from qcnn_tl.circuits import build_qcnn, restore_blocks
from qcnn_tl.cnn.reduction import map_kind
from qcnn_tl.cnn.task_data import DataSpec, TaskData, task_data
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.results import RunResult
from qcnn_tl.sweep.grid import Unit
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import train_repetitions

_DATA: dict[tuple[Any, ...], TaskData] = {}
_PREPARED: dict[tuple[Any, ...], tuple[torch.Tensor, torch.Tensor]] = {}


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _kill_with_parent() -> bool:
    """Asks Linux to SIGKILL this process when its parent ends; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)


class LocalWorker(multiprocessing.context.SpawnProcess):
    """A spawned worker that starts with SIGINT blocked, so that a Ctrl-C cannot interrupt its start-up.

    A new process inherits the signal mask of the thread that starts it, through ``exec``; the worker keeps
    SIGINT blocked while it imports the package and until :func:`init_local_worker` ignores it.
    """

    def start(self) -> None:
        """Starts the process with SIGINT blocked in it (the driver's own mask is restored at once)."""
        if not hasattr(signal, "pthread_sigmask"):  # no POSIX signal masks (Windows)
            super().start()
            return
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super().start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class LocalWorkerContext(multiprocessing.context.SpawnContext):
    """The *spawn* start method with :class:`LocalWorker` processes (the local pool's ``mp_context``)."""

    Process = LocalWorker


def init_local_worker(parent_pid: int) -> None:
    """Initializer of the local pool's workers: ignore Ctrl-C, and end when the driver ``parent_pid`` ends.

    The SIGINT that :class:`LocalWorker` blocked during start-up is ignored from here on (and unblocked, so
    that processes the worker starts get the usual mask). On Linux the kernel kills the worker when the driver
    ends (``PR_SET_PDEATHSIG``); elsewhere a daemon thread checks the parent pid every half second.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if not _kill_with_parent():
        threading.Thread(target=_watch_parent, args=(parent_pid, 0.5), name="watch-driver", daemon=True).start()
    if os.getppid() != parent_pid:  # the driver ended before the watch began
        os._exit(1)


def data_key(config: DataSpec) -> tuple[Any, ...]:
    """What names a task's features: the data, the task, the backbone and the map to the encoding's width."""
    source = (config.dataset, config.task, config.backbone, config.feature_reduction, map_kind(config.encoding))
    return (*source, config.num_features, config.cnn_epochs, config.cnn_seed)


def _data(config: DataSpec, unit: Unit) -> tuple[tuple[Any, ...], TaskData]:
    key = (*data_key(config), unit.data_dir, unit.cache_dir)
    if key not in _DATA:
        _DATA[key] = task_data(config, data_dir=unit.data_dir, cache_dir=unit.cache_dir, progress=False)
    return key, _DATA[key]


def _prepared(key: tuple[Any, ...], config: TrainConfig, data: TaskData) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact engine's encoded train and test states of ``data``, computed once per encoding."""
    full_key = (*key, config.encoding)
    if full_key not in _PREPARED:
        encoder = ExactQCNN(build_qcnn(config.ansatz, config.pooling, encoding=config.encoding))
        _PREPARED[full_key] = (encoder.prepare(data.train_features), encoder.prepare(data.test_features))
    return _PREPARED[full_key]


def run_unit(unit: Unit, out_dir: str | None = None) -> list[RunResult[Any]]:
    """Trains and evaluates every repetition of ``unit``; returns one result per seed.

    QCNN runs record the test accuracy on the whole test split and the loss history, not the accuracy on
    the training pool (``train_accuracy`` is ``None``). Runs single-threaded: the pool's processes are
    the parallelism. A run with an estimator in the loop keeps its checkpoint and job journal under
    ``out_dir`` (the sweep folder), beside its result file. The user's own blocks of the model come with the
    unit and are registered first.
    """
    torch.set_num_threads(1)
    restore_blocks(unit.blocks)  # a spawned or Dask worker has only the built-ins
    key, data = _data(unit.config, unit)
    if isinstance(unit.config, C2CConfig):
        return [train_head(C2CConfig(**unit.config_for(seed)), data) for seed in unit.seeds]
    # the shared encoded pool is the exact engine's; the noisy engine encodes on the circuit of each device
    prepared = _prepared(key, unit.config, data) if unit.config.engine == "exact" else None
    devices, scales = unit.noisy_evaluation
    checkpoint = None
    if unit.config.engine == "estimator" and out_dir is not None:
        [seed] = unit.seeds
        checkpoint = Path(out_dir) / unit.result_path(seed).with_suffix("") / "checkpoint.pt"
    return train_repetitions(
        unit.config,
        unit.seeds,
        data=data,
        prepared=prepared,
        checkpoint=checkpoint,
        train_accuracy=False,
        noisy_evaluation=devices,
        noise_scales=scales,
        progress=False,
    )
