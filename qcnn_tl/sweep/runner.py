"""Running a sweep: skip finished runs, spread the rest over a local process pool or a Dask cluster.

Both back ends are a :class:`concurrent.futures.Executor` (``ProcessPoolExecutor`` with the *spawn* start
method, or ``distributed.Client.get_executor()``), so the driver code is the same. The driver prepares
every task's data first (pre-training the CNN and extracting features once, not in every worker), then
writes each finished run to its own JSON file, atomically, as soon as its unit returns: a re-run skips
every run whose file exists.

Stopping: on Ctrl-C the driver stops at once. It kills the local workers, so the units in flight are
lost, and returns a report that says what was kept; every run finished before is on disk. Local workers
leave Ctrl-C to the driver from the moment they start (:class:`~qcnn_tl.sweep.worker.LocalWorker`), so a Ctrl-C to
the whole process group prints nothing of theirs, and they end when the driver is killed (see
:func:`~qcnn_tl.sweep.worker.init_local_worker`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qcnn_tl._io import write_json
from qcnn_tl._paths import default_cache_dir
from qcnn_tl._progress import progress_bar
from qcnn_tl._validate import is_positive_int
from qcnn_tl.cnn.task_data import task_data
from qcnn_tl.data.datasets import resolve_data_dir
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.results import RunResult
from qcnn_tl.sweep.grid import SweepGrid, Unit, read_result
from qcnn_tl.sweep.worker import LocalWorkerContext, data_key, init_local_worker, run_unit

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What a sweep did.

    Attributes:
        total: Runs in the grid.
        skipped: Runs already finished before this call.
        completed: Runs finished (and written) by this call.
        failures: ``(unit, error)`` lines of units that raised.
        interrupted: Whether Ctrl-C stopped the sweep; the runs not written are left for a re-run.
    """

    total: int
    skipped: int = 0
    completed: int = 0
    failures: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def remaining(self) -> int:
        """Runs of the grid without a result file (failed, interrupted or never started)."""
        return self.total - self.skipped - self.completed


def pending_units(grid: SweepGrid, out_dir: Path, *, data_dir: str | None, cache_dir: str | None) -> list[Unit]:
    """The grid's units restricted to the seeds that have no result file yet.

    Raises:
        QcnnTlError: If a result file exists but records another configuration, or is not a run result.
    """
    pending = []
    for unit in grid.units(data_dir=data_dir, cache_dir=cache_dir):
        missing = []
        for seed in unit.seeds:
            path = out_dir / unit.result_path(seed)
            if not path.is_file():
                missing.append(seed)
                continue
            recorded = read_result(path).config.to_dict()
            if recorded != unit.config_for(seed):
                raise QcnnTlError(f"{path} holds a run of another configuration; use another --out")
        if missing:
            pending.append(unit.with_seeds(tuple(missing)))
    return pending


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # concurrent.futures offers no public way to stop running workers before Python 3.14.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


@contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[Executor]:
    """The local pool or the Dask executor; leaving it by an exception stops the local workers at once."""
    if scheduler is None:
        pool = ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1,
            mp_context=LocalWorkerContext(),
            initializer=init_local_worker,
            initargs=(os.getpid(),),
        )
        try:
            yield pool
        except BaseException:
            _kill_workers(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise QcnnTlError("--scheduler needs dask[distributed]: pip install 'dask[distributed]'") from exc
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise QcnnTlError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    try:
        with client.get_executor() as executor:
            yield executor
    finally:
        client.close()


def run_sweep(
    grid: SweepGrid,
    out_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> SweepReport:
    """Runs every unfinished run of ``grid``, writing ``out_dir/runs/.../seed<k>.json`` per run.

    Args:
        grid: What to run.
        out_dir: Sweep folder; holds ``sweep.json`` (the grid) and one result file per run.
        workers: Local worker processes (default, None: one per CPU core); ignored with ``scheduler``.
        scheduler: Address of a Dask distributed scheduler (``tcp://host:8786``); its workers must see
            the same data and cache folders (shared file system).
        data_dir: Dataset root (default: ``$QCNN_TL_DATA`` or the user cache).
        download: Let torchvision download missing datasets (in the driver, before any unit runs).
        cache_dir: CNN checkpoint and feature cache.
        progress: Show a progress bar over runs.

    Returns:
        Counts of skipped, completed and failed runs; ``interrupted`` if Ctrl-C stopped the units (the
        runs finished until then are written, the units in flight are dropped).

    Raises:
        ValueError: If ``workers`` is not None or a positive integer.
        QcnnTlError: If ``out_dir`` holds results of another configuration, or the scheduler is unreachable.
    """
    if workers is not None and not is_positive_int(workers):
        raise ValueError(f"workers must be a positive integer (or None: one per CPU core); got {workers!r}")
    out = Path(out_dir)
    data_root = str(resolve_data_dir(data_dir).resolve())
    cache_root = str(Path(cache_dir or default_cache_dir()).resolve())
    pending = pending_units(grid, out, data_dir=data_root, cache_dir=cache_root)
    write_json(out / "sweep.json", grid.to_dict())  # only now: a refused sweep leaves the folder's grid as it was
    report = SweepReport(total=grid.num_runs)
    report.skipped = report.total - sum(len(u.seeds) for u in pending)
    if not pending:
        return report
    seen: set[tuple[Any, ...]] = set()
    for unit in pending:  # pre-train CNNs and extract features once, here, not in every worker
        key = data_key(unit.config)
        if key not in seen:
            seen.add(key)
            task_data(unit.config, data_dir=data_root, download=download, cache_dir=cache_root, progress=progress)
    bar = progress_bar(total=report.total, initial=report.skipped, desc="sweep", unit="run", disable=not progress)
    try:
        with _executor(workers, scheduler) as executor:
            futures: dict[Future[list[RunResult[Any]]], Unit] = {
                executor.submit(run_unit, u, str(out)): u for u in pending
            }
            try:
                for future in as_completed(futures):
                    unit = futures[future]
                    try:
                        results = future.result()
                    except Exception as exc:  # one failing unit must not stop the others
                        report.failures.append(f"{unit.describe()}: {type(exc).__name__}: {exc}")
                        log.error("unit failed: %s", report.failures[-1])
                        continue
                    for seed, result in zip(unit.seeds, results, strict=True):
                        result.write(out / unit.result_path(seed))
                        report.completed += 1
                        bar.update(1)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        bar.close()
    if report.failures:
        write_json(out / "failures.json", report.failures)
    return report
