"""Submitting estimator jobs with a run manifest on disk, so that a crash or Ctrl-C loses nothing.

A run splits its parameter rows into chunks, one PUB (one job) each, per *variant* (``unmitigated``,
``mitigated``). :func:`start_run` refuses a folder that is not empty, then writes the inputs (the ISA
circuit, the rows, and whatever the caller adds, such as labels) and, last, the manifest
(``manifest.json``) with a run id and the SHA-256 of every input file.

:func:`resume` finishes a run. On an IBM service (``fetch_job`` given) it first submits every chunk
that has no job — recording each job id in the manifest, atomically, as soon as it is returned — and
only then collects results, so that a ``Batch`` holds every job at once; jobs with an id are fetched,
never submitted again. Local jobs (no service) die with their process, so local chunks are submitted and
collected one at a time and a chunk left ``submitted`` by a dead process is run again. A job that fails
or is cancelled is marked ``failed`` with its reason; the next :func:`resume` submits it again. Each
result is written (``result_<k>.npy``) as soon as it is collected. Tokens are never written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, qpy
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl._io import atomic_write, pid_alive, write_json
from qcnn_tl.errors import QcnnTlError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
STATUSES = ("pending", "submitted", "done", "failed")
RunPubs = Callable[[list[tuple[QuantumCircuit, SparsePauliOp, np.ndarray]]], Any]


@dataclass
class Chunk:
    """One job: rows ``start:stop`` of the run, for one variant.

    Attributes:
        variant: Estimator setting (``unmitigated``, ``mitigated``).
        start: First row.
        stop: One past the last row.
        job_id: Id of the latest submission.
        status: ``pending``, ``submitted``, ``done`` or ``failed``.
        submissions: How many times the chunk was submitted.
        history: Earlier submissions that gave no result: ``{"job_id", "reason"}``.
        pid: Process that submitted a local job.
    """

    variant: str
    start: int
    stop: int
    job_id: str | None = None
    status: str = "pending"
    submissions: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    pid: int | None = None


@dataclass
class RunManifest:
    """What a run submitted and where its pieces are.

    Attributes:
        run_id: Unique id of the run.
        backend: Target name (``aer:fake_brisbane``, ``ibm:ibm_brisbane``).
        local: Whether jobs run in the submitting process (no service to fetch them from).
        options: Estimator options (shots, finalized mitigation options), never credentials.
        circuit_hash: SHA-256 of the submitted circuit's OpenQASM 3 text.
        hashes: SHA-256 of every input file of the run folder.
        observable: Submitted observable as Pauli labels and coefficients.
        chunks: The jobs.
        metadata: Anything the caller wants back (model, profile, …).
        created: Unix time of :func:`start_run`.
    """

    run_id: str
    backend: str
    local: bool
    options: dict[str, Any]
    circuit_hash: str
    hashes: dict[str, str]
    observable: list[tuple[str, float]]
    chunks: list[Chunk] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    def save(self, run_dir: str | os.PathLike[str]) -> None:
        """Atomically writes ``manifest.json``."""
        write_json(Path(run_dir) / MANIFEST, asdict(self))

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> RunManifest:
        """Reads and checks ``manifest.json``.

        Raises:
            QcnnTlError: If the folder holds no manifest, or a malformed one (one line naming the problem).
        """
        path = Path(run_dir) / MANIFEST
        damaged = "the run folder is damaged: start a new run with `qcnn-tl evaluate`"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise QcnnTlError(f"{run_dir} holds no run (no {MANIFEST}); is it a folder of `evaluate`?") from None
        except UnicodeDecodeError as exc:
            raise QcnnTlError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); {damaged}") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise QcnnTlError(f"{path} is not readable JSON ({exc}); {damaged}") from None
        if not isinstance(data, dict):
            raise QcnnTlError(f"{path} is not a JSON object; {damaged}")
        _check_keys(path, "manifest", data, cls, damaged)
        if not isinstance(data["chunks"], list) or not data["chunks"]:
            raise QcnnTlError(f"{path}: 'chunks' must be a non-empty list of jobs; {damaged}")
        chunks = []
        for k, entry in enumerate(data["chunks"]):
            if not isinstance(entry, dict):
                raise QcnnTlError(f"{path}: job {k} is not an object; {damaged}")
            _check_keys(path, f"job {k}", entry, Chunk, damaged)
            chunk = Chunk(**entry)
            if (
                not isinstance(chunk.start, int)
                or not isinstance(chunk.stop, int)
                or not 0 <= chunk.start < chunk.stop
                or chunk.status not in STATUSES
                or (chunk.status in ("submitted", "done") and not chunk.job_id)
            ):
                raise QcnnTlError(f"{path}: job {k} is incomplete or inconsistent ({entry}); {damaged}")
            chunks.append(chunk)
        data["chunks"] = chunks
        data["observable"] = [tuple(t) for t in data["observable"]]
        return cls(**data)

    @property
    def done(self) -> bool:
        """Whether every chunk has a result."""
        return all(c.status == "done" for c in self.chunks)

    @property
    def variants(self) -> list[str]:
        """Variants in order of first appearance."""
        return list(dict.fromkeys(c.variant for c in self.chunks))


def _check_keys(path: Path, what: str, data: dict, cls: type, damaged: str) -> None:
    names = {f.name for f in fields(cls)}
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    extra = sorted(set(data) - names)
    if extra:
        raise QcnnTlError(f"{path}: {what} has unknown key {extra[0]!r}; {damaged}")
    missing = sorted(required - set(data))
    if missing:
        raise QcnnTlError(f"{path}: {what} lacks {missing[0]!r}; {damaged}")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _observable_terms(observable: SparsePauliOp) -> list[tuple[str, float]]:
    return [(label, float(np.real(coeff))) for label, coeff in observable.to_list()]


class KeepOnInterrupt:
    """Waits for local job results so that a Ctrl-C loses none.

    The first Ctrl-C while a job runs waits on for its result (a local job finishes anyway; recording it spares
    recomputing it on resume); :meth:`raise_if_interrupted` re-raises it once the results are recorded. A second
    Ctrl-C abandons the wait at once.
    """

    def __init__(self) -> None:
        self.interrupted = False

    def result(self, job: Any) -> Any:
        """``job.result()``, kept through a first Ctrl-C."""
        try:
            return job.result()
        except KeyboardInterrupt:
            if self.interrupted:
                raise
            self.interrupted = True
            print(
                "interrupted: waiting for the running job to finish so that its result is kept "
                "(Ctrl-C again to abandon it)",
                file=sys.stderr,
            )
            return job.result()

    def raise_if_interrupted(self) -> None:
        """Re-raises the Ctrl-C that :meth:`result` held back."""
        if self.interrupted:
            raise KeyboardInterrupt


def check_run_dir_free(run_dir: str | os.PathLike[str]) -> None:
    """Raises if ``run_dir`` exists and is not empty (nothing is written).

    Raises:
        QcnnTlError: Naming the run it holds, if any.
    """
    folder = Path(run_dir)
    if folder.is_file():
        raise QcnnTlError(f"--run-dir {folder} is a file, not a folder")
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    if (folder / MANIFEST).is_file():
        try:
            run_id = json.loads((folder / MANIFEST).read_text()).get("run_id", "?")
        except (OSError, ValueError, AttributeError):  # unreadable, not UTF-8, not JSON, not an object
            run_id = "?"
        raise QcnnTlError(
            f"{folder} already holds run {run_id}; finish it with `qcnn-tl jobs fetch {folder}` or choose another "
            "--run-dir (nothing was written)"
        )
    raise QcnnTlError(f"{folder} is not empty; choose an empty or new --run-dir (nothing was written)")


def start_run(
    run_dir: str | os.PathLike[str],
    circuit: QuantumCircuit,
    observable: SparsePauliOp,
    rows: np.ndarray,
    *,
    backend: str,
    options: dict[str, Any],
    circuit_hash: str,
    variants: tuple[str, ...] = ("unmitigated",),
    local: bool = True,
    rows_per_job: int = 500,
    files: Mapping[str, Callable[[Any], None]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> RunManifest:
    """Writes the inputs and the manifest of a new run (submits nothing).

    Args:
        run_dir: A new or empty folder.
        circuit: The circuit to submit.
        observable: Its observable.
        rows: Parameter rows ``(N, P)`` in ``circuit.parameters`` order.
        backend: Target name.
        options: Settings to record.
        circuit_hash: Hash of ``circuit`` to record.
        variants: One chunk series per variant.
        local: Whether jobs run in this process.
        rows_per_job: Rows per PUB.
        files: Extra input files, by name, each written by ``write(handle)`` and hashed.
        metadata: Anything the caller wants back.

    Raises:
        ValueError: If ``rows`` is empty or ``rows_per_job`` < 1.
        QcnnTlError: If ``run_dir`` is not empty (checked before anything is written).
    """
    if len(rows) == 0:
        raise ValueError("a run needs at least one parameter row; got 0")
    if rows_per_job < 1:
        raise ValueError(f"rows_per_job must be a positive integer; got {rows_per_job!r}")
    check_run_dir_free(run_dir)
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[Any], None]] = dict(files or {})
    writers["rows.npy"] = lambda h: np.save(h, rows)
    writers["circuit.qpy"] = lambda h: qpy.dump(circuit, h)
    hashes = {}
    for name, write in writers.items():
        atomic_write(folder / name, write)
        hashes[name] = file_sha256(folder / name)
    chunks = [
        Chunk(variant, s, min(s + rows_per_job, len(rows)))
        for variant in variants
        for s in range(0, len(rows), rows_per_job)
    ]
    manifest = RunManifest(
        run_id=f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}",
        backend=backend,
        local=local,
        options=options,
        circuit_hash=circuit_hash,
        hashes=hashes,
        observable=_observable_terms(observable),
        chunks=chunks,
        metadata=metadata or {},
    )
    manifest.save(folder)
    return manifest


def verify_run(run_dir: str | os.PathLike[str], manifest: RunManifest, *, repair: bool = False) -> None:
    """Checks a run folder's inputs against the manifest's hashes, and that done jobs have results.

    Args:
        run_dir: The run folder.
        manifest: Its manifest.
        repair: Reset a done job whose result file is missing so that :func:`resume` fetches (IBM) or
            recomputes (local) it, instead of raising.

    Raises:
        QcnnTlError: One line naming what is missing or altered and how to recover.
    """
    folder = Path(run_dir)
    for name, digest in manifest.hashes.items():
        path = folder / name
        if not path.is_file():
            raise QcnnTlError(
                f"{folder} is missing {name}, written when run {manifest.run_id} started; it cannot be rebuilt: "
                "start a new run with `qcnn-tl evaluate`"
            )
        if file_sha256(path) != digest:
            raise QcnnTlError(
                f"{path} does not match run {manifest.run_id}'s manifest (overwritten by another run?); "
                "start a new run with `qcnn-tl evaluate`"
            )
    changed = False
    for index, chunk in enumerate(manifest.chunks):
        if chunk.status == "done" and not (folder / f"result_{index}.npy").is_file():
            if not repair:
                raise QcnnTlError(
                    f"{folder}: job {index} is done but result_{index}.npy is missing; "
                    f"`qcnn-tl jobs fetch {folder}` fetches it again (IBM) or recomputes it (local)"
                )
            chunk.history.append({"job_id": chunk.job_id, "reason": f"result_{index}.npy was missing"})
            chunk.status = "pending" if manifest.local else "submitted"
            changed = True
    if changed:
        manifest.save(folder)


def chunk_state(manifest: RunManifest, chunk: Chunk) -> str:
    """What ``jobs status`` shows: a local ``submitted`` job is ``running`` or ``lost`` with its process."""
    if chunk.status == "submitted" and manifest.local:
        return "running" if pid_alive(chunk.pid) else "lost"
    return chunk.status


def load_results(run_dir: str | os.PathLike[str], manifest: RunManifest) -> dict[str, np.ndarray]:
    """Expectation values per variant, in row order (every chunk must be done)."""
    folder = Path(run_dir)
    out: dict[str, list[np.ndarray]] = {}
    for index, chunk in enumerate(manifest.chunks):
        out.setdefault(chunk.variant, []).append(np.load(folder / f"result_{index}.npy"))
    return {variant: np.concatenate(parts) for variant, parts in out.items()}


def resume(
    run_dir: str | os.PathLike[str],
    run_pubs: Mapping[str, RunPubs] | RunPubs,
    *,
    fetch_job: Callable[[str], Any] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Submits or collects every chunk that has no result yet, then returns all expectation values.

    Args:
        run_dir: The run folder.
        run_pubs: Per variant, a function that submits a list of PUBs as one job and returns the job
            (``estimator.run(pubs)``; each chunk is one PUB); one function serves every variant.
        fetch_job: Gets a job by id from the service (IBM); ``None``: local jobs.
        after_submit: Called with the chunk index after each submission is recorded (tests use it to
            interrupt a run).

    Returns:
        Expectation values per variant, in row order.

    Raises:
        QcnnTlError: If the run folder is damaged, or some jobs failed (they are resubmitted by the
            next call).
    """
    folder = Path(run_dir)
    manifest = RunManifest.load(folder)
    verify_run(folder, manifest, repair=True)
    pubs = run_pubs if isinstance(run_pubs, Mapping) else dict.fromkeys(manifest.variants, run_pubs)
    unknown = [v for v in manifest.variants if v not in pubs]
    if unknown:
        raise QcnnTlError(f"{folder}: this target cannot run the run's variant(s) {unknown}")
    rows = np.load(folder / "rows.npy")
    with (folder / "circuit.qpy").open("rb") as handle:
        circuit = qpy.load(handle)[0]
    observable = SparsePauliOp.from_list(manifest.observable)

    def submit(index: int) -> Any:
        chunk = manifest.chunks[index]
        job = pubs[chunk.variant]([(circuit, observable, rows[chunk.start : chunk.stop])])
        chunk.job_id, chunk.status = str(job.job_id()), "submitted"
        chunk.submissions += 1
        chunk.pid = os.getpid() if manifest.local else None
        manifest.save(folder)
        if after_submit is not None:
            after_submit(index)
        return job

    keep = KeepOnInterrupt()  # a local job's result outlives a Ctrl-C; a device's job is fetched again later

    def collect(index: int, job: Any) -> None:
        chunk = manifest.chunks[index]
        try:
            result = keep.result(job) if manifest.local else job.result()
            evs = np.asarray(result[0].data.evs, dtype=float)
        except Exception as exc:
            chunk.history.append({"job_id": chunk.job_id, "reason": f"{type(exc).__name__}: {exc}"[:500]})
            chunk.status = "failed"
        else:
            atomic_write(folder / f"result_{index}.npy", lambda h: np.save(h, evs))
            chunk.status = "done"
        manifest.save(folder)

    pending = [i for i, c in enumerate(manifest.chunks) if c.status != "done"]
    if manifest.local:
        for index in pending:
            chunk = manifest.chunks[index]
            if chunk.status == "submitted":
                reason = f"local job lost with its process (pid {chunk.pid})"
                chunk.history.append({"job_id": chunk.job_id, "reason": reason})
            collect(index, submit(index))
            keep.raise_if_interrupted()
    else:
        if fetch_job is None:
            raise QcnnTlError(f"{folder} was submitted to {manifest.backend}; fetching its jobs needs that service")
        jobs = {i: submit(i) for i in pending if manifest.chunks[i].status != "submitted"}
        for index in pending:
            chunk = manifest.chunks[index]
            if index not in jobs:
                try:
                    jobs[index] = fetch_job(str(chunk.job_id))
                except Exception as exc:
                    raise QcnnTlError(
                        f"could not fetch job {chunk.job_id} of {folder} ({type(exc).__name__}: {exc}); "
                        "retry `qcnn-tl jobs fetch` later"
                    ) from None
            collect(index, jobs[index])
    failed = [(i, c) for i, c in enumerate(manifest.chunks) if c.status == "failed"]
    if failed:
        reasons = "; ".join(f"job {i}: {c.history[-1]['reason']}" for i, c in failed[:3])
        raise QcnnTlError(
            f"{len(failed)} of {len(manifest.chunks)} jobs failed ({reasons}); "
            f"`qcnn-tl jobs fetch {folder}` resubmits them"
        )
    return load_results(folder, manifest)
