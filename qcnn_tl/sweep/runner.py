"""Running a sweep: skip finished runs, spread the rest over a local process pool or a Dask cluster.

Both back ends are a :class:`concurrent.futures.Executor` (``ProcessPoolExecutor`` with the *spawn* start
method, or ``distributed.Client.get_executor()``), so the driver code is the same. The driver prepares
every task's data first (pre-training the CNN and extracting features once, not in every worker), then
writes each finished run to its own JSON file, atomically, as soon as its unit returns: an interrupted
sweep loses only the units in flight, and a re-run skips every run whose file exists.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from qcnn_tl._io import write_json
from qcnn_tl._paths import default_cache_dir
from qcnn_tl.data.datasets import resolve_data_dir
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.sweep.grid import SweepGrid, Unit
from qcnn_tl.sweep.worker import data_key, run_unit
from qcnn_tl.training.experiment import task_data

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What a sweep did.

    Attributes:
        total: Runs in the grid.
        skipped: Runs already finished before this call.
        completed: Runs finished by this call.
        failures: ``(unit, error)`` lines of units that raised.
    """

    total: int
    skipped: int = 0
    completed: int = 0
    failures: list[str] = field(default_factory=list)


def pending_units(grid: SweepGrid, out_dir: Path, *, data_dir: str | None, cache_dir: str | None) -> list[Unit]:
    """The grid's units restricted to the seeds that have no result file yet.

    Raises:
        QcnnTlError: If a result file exists but records another configuration.
    """
    pending = []
    for unit in grid.units(data_dir=data_dir, cache_dir=cache_dir):
        missing = []
        for seed in unit.seeds:
            path = out_dir / unit.result_path(seed)
            if not path.is_file():
                missing.append(seed)
                continue
            recorded = json.loads(path.read_text()).get("config")
            if recorded != unit.config_for(seed):
                raise QcnnTlError(f"{path} holds a run of another configuration; use another --out")
        if missing:
            pending.append(unit.with_seeds(tuple(missing)))
    return pending


@contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[Executor]:
    if scheduler is None:
        count = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
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
        workers: Local worker processes (default: one per CPU core); ignored with ``scheduler``.
        scheduler: Address of a Dask distributed scheduler (``tcp://host:8786``); its workers must see
            the same data and cache folders (shared file system).
        data_dir: Dataset root (default: ``$QCNN_TL_DATA`` or the user cache).
        download: Let torchvision download missing datasets (in the driver, before any unit runs).
        cache_dir: CNN checkpoint and feature cache.
        progress: Show a progress bar over runs.

    Returns:
        Counts of skipped, completed and failed runs.

    Raises:
        QcnnTlError: If ``out_dir`` holds results of another configuration, or the scheduler is unreachable.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_root = str(resolve_data_dir(data_dir).resolve())
    cache_root = str(Path(cache_dir or default_cache_dir()).resolve())
    write_json(out / "sweep.json", grid.to_dict())
    pending = pending_units(grid, out, data_dir=data_root, cache_dir=cache_root)
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
    bar = tqdm(total=report.total, initial=report.skipped, desc="sweep", unit="run", disable=not progress)
    with _executor(workers, scheduler) as executor:
        futures: dict[Future[list[dict[str, Any]]], Unit] = {executor.submit(run_unit, u): u for u in pending}
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
                    write_json(out / unit.result_path(seed), result)
                report.completed += len(results)
                bar.update(len(results))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            bar.close()
    if report.failures:
        write_json(out / "failures.json", report.failures)
    return report
