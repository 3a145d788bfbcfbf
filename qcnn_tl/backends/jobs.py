"""Submitting estimator jobs with a run manifest on disk, so that a crash or Ctrl-C loses nothing.

A run splits its parameter rows into chunks, one PUB (one job) each. The manifest (``manifest.json``)
and the rows (``rows.npy``) are written before anything is submitted; each job id is recorded as soon
as the job is submitted, and each result (``result_<k>.npy``) as soon as it is collected. :func:`resume`
collects what is missing: jobs with an id are fetched from the service when one is given (real IBM
hardware), and chunks without a result are (re)submitted otherwise. Tokens are never written.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, qpy
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl._io import atomic_write, write_json
from qcnn_tl.errors import QcnnTlError

MANIFEST = "manifest.json"


@dataclass
class Chunk:
    """One job: rows ``start:stop`` of the run."""

    start: int
    stop: int
    job_id: str | None = None
    status: str = "pending"


@dataclass
class RunManifest:
    """What a run submitted and where its pieces are.

    Attributes:
        backend: Target name (``aer:fake_brisbane``, ``ibm:ibm_brisbane``).
        options: Estimator options (shots, resilience level, precision), never credentials.
        circuit_hash: SHA-256 of the ISA circuit's QPY.
        observable: Mapped observable as Pauli labels and coefficients.
        chunks: The jobs.
        metadata: Anything the caller wants back (labels file, model, …).
    """

    backend: str
    options: dict[str, Any]
    circuit_hash: str
    observable: list[tuple[str, float]]
    chunks: list[Chunk] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    def save(self, run_dir: Path) -> None:
        """Atomically writes ``manifest.json``."""
        write_json(run_dir / MANIFEST, asdict(self))

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> RunManifest:
        """Reads ``manifest.json``.

        Raises:
            QcnnTlError: If the folder holds no readable manifest.
        """
        path = Path(run_dir) / MANIFEST
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise QcnnTlError(f"no readable run manifest at {path}: {exc}") from exc
        data["chunks"] = [Chunk(**c) for c in data["chunks"]]
        data["observable"] = [tuple(t) for t in data["observable"]]
        return cls(**data)

    @property
    def done(self) -> bool:
        """Whether every chunk has a result."""
        return all(c.status == "done" for c in self.chunks)


def _observable_terms(observable: SparsePauliOp) -> list[tuple[str, float]]:
    return [(label, float(np.real(coeff))) for label, coeff in observable.to_list()]


def start_run(
    run_dir: str | os.PathLike[str],
    circuit: QuantumCircuit,
    observable: SparsePauliOp,
    rows: np.ndarray,
    *,
    backend: str,
    options: dict[str, Any],
    circuit_hash: str,
    rows_per_job: int = 500,
    metadata: dict[str, Any] | None = None,
) -> RunManifest:
    """Writes the manifest, the ISA circuit and the rows of a new run (submits nothing).

    Raises:
        QcnnTlError: If ``run_dir`` already holds a run.
    """
    folder = Path(run_dir)
    if (folder / MANIFEST).exists():
        raise QcnnTlError(f"{folder} already holds a run; use `qcnn-tl jobs fetch {folder}` or another --run-dir")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "rows.npy", lambda h: np.save(h, rows))
    atomic_write(folder / "circuit.qpy", lambda h: qpy.dump(circuit, h))
    chunks = [Chunk(s, min(s + rows_per_job, len(rows))) for s in range(0, len(rows), rows_per_job)]
    manifest = RunManifest(backend, options, circuit_hash, _observable_terms(observable), chunks, metadata or {})
    manifest.save(folder)
    return manifest


def resume(
    run_dir: str | os.PathLike[str],
    run_pub: Callable[[QuantumCircuit, SparsePauliOp, np.ndarray], Any],
    *,
    fetch_job: Callable[[str], Any] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Submits or collects every chunk that has no result yet, then returns all expectation values.

    Args:
        run_dir: The run folder.
        run_pub: Submits one PUB and returns its job (``estimator.run([pub])``).
        fetch_job: Gets a job by id from the service (real hardware); ``None`` resubmits instead.
        after_submit: Called with the chunk index after each submission is recorded (tests use it to
            interrupt a run).

    Returns:
        Expectation values for all rows, in order.
    """
    folder = Path(run_dir)
    manifest = RunManifest.load(folder)
    rows = np.load(folder / "rows.npy")
    with (folder / "circuit.qpy").open("rb") as handle:
        circuit = qpy.load(handle)[0]
    observable = SparsePauliOp.from_list(manifest.observable)
    for index, chunk in enumerate(manifest.chunks):
        if chunk.status == "done":
            continue
        job = fetch_job(chunk.job_id) if chunk.job_id and fetch_job is not None else None
        if job is None:
            job = run_pub(circuit, observable, rows[chunk.start : chunk.stop])
            chunk.job_id, chunk.status = str(job.job_id()), "submitted"
            manifest.save(folder)
            if after_submit is not None:
                after_submit(index)
        evs = np.asarray(job.result()[0].data.evs, dtype=float)
        atomic_write(folder / f"result_{index}.npy", lambda h, evs=evs: np.save(h, evs))
        chunk.status = "done"
        manifest.save(folder)
    return np.concatenate([np.load(folder / f"result_{i}.npy") for i in range(len(manifest.chunks))])
