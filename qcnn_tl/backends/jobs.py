"""One store for everything submitted to an estimator: evaluation runs and training steps, resumable.

A store is a folder whose manifest (``manifest.json``) names the setting every result in it was measured under —
the target, the SHA-256 of the submitted circuit, the observables and the estimator options (shots and
mitigation included) — and holds one *entry* per submission: a list of PUBs sent to one estimator variant as one
or more jobs, under a key the caller chooses (an evaluation run's chunk index; a training step's hash of its inputs
and weights). :meth:`JobStore.open` refuses a folder of another setting, so a resumed run can never replay results
measured with another backend, shot count, circuit or mitigation.

:meth:`JobStore.run` is the one path that submits, records and fetches. An entry's job ids are written
(atomically) as soon as they are returned, and its expectation values (``result_<key>.npz``, one array per PUB) as
soon as they are collected; an entry with results is read back, never submitted again. On an IBM service
(``fetch_job`` given) every entry without jobs is submitted before any result is read, so that a ``Batch`` holds
them all, and an entry whose jobs were submitted is fetched by id. Local jobs die with their process, so local
entries are submitted and collected one at a time, and an entry left ``submitted`` by a dead process is run again;
a first Ctrl-C while a local job runs waits for its result and records it (:class:`KeepOnInterrupt`). A job that
fails or is cancelled marks its entry ``failed`` with the reason; the next run submits it again.

An evaluation run (:func:`start_run`, :func:`resume`) also stores the submitted circuit, its parameter rows and
the caller's files (labels, …) with their SHA-256, so that ``qcnn-tl jobs fetch`` finishes it from the folder
alone. Tokens are never written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
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
FORMAT = 2
"""Version of the manifest format (1: evaluation runs only, before training steps shared the store)."""
STATUSES = ("pending", "submitted", "done", "failed")
CALIBRATION_OPTIONS = ("estimated_fidelity", "default_layout_fidelity")
"""Recorded options that report the device's calibration rather than a setting (not part of a store's identity)."""
Pub = tuple[QuantumCircuit, Any, np.ndarray]
RunPubs = Callable[[Sequence[Pub]], Any]


@dataclass
class Entry:
    """One submission: a list of PUBs for one variant, sent as one or more jobs.

    Attributes:
        key: The caller's key (file-safe).
        variant: Estimator setting (``unmitigated``, ``mitigated``).
        rows: ``[start, stop]`` of an evaluation run's parameter rows; ``None`` for a training step.
        job_ids: Ids of the latest submission's jobs.
        status: ``pending``, ``submitted``, ``done`` or ``failed``.
        submissions: How many times the entry was submitted.
        history: Earlier submissions that gave no result: ``{"job_ids", "reason"}``.
        pid: Process that submitted a local job.
    """

    key: str
    variant: str
    rows: list[int] | None = None
    job_ids: list[str] = field(default_factory=list)
    status: str = "pending"
    submissions: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    pid: int | None = None

    @property
    def result_file(self) -> str:
        """The name of the entry's result file."""
        return f"result_{self.key}.npz"


@dataclass
class RunManifest:
    """The setting a store's results were measured under, and its entries.

    Attributes:
        run_id: Unique id of the store.
        backend: Target name (``aer:fake_brisbane``, ``ibm:ibm_brisbane``).
        local: Whether jobs run in the submitting process (no service to fetch them from).
        options: Estimator options (shots, finalized mitigation options), never credentials.
        circuit_hash: SHA-256 of the submitted circuit's OpenQASM 3 text.
        observables: The submitted observables, each as Pauli labels and coefficients.
        entries: The submissions.
        hashes: SHA-256 of every input file of an evaluation run.
        metadata: Anything the caller wants back (model, profile, …).
        created: Unix time the store was created.
        format: :data:`FORMAT`.
    """

    run_id: str
    backend: str
    local: bool
    options: dict[str, Any]
    circuit_hash: str
    observables: list[list[tuple[str, float]]]
    entries: list[Entry] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    format: int = FORMAT

    def save(self, folder: str | os.PathLike[str]) -> None:
        """Atomically writes ``manifest.json``."""
        write_json(Path(folder) / MANIFEST, asdict(self))

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> RunManifest:
        """Reads and checks ``manifest.json``.

        Raises:
            QcnnTlError: If the folder holds no manifest, or a malformed one (one line naming the problem).
        """
        path = Path(folder) / MANIFEST
        damaged = "the folder is damaged: start a new run"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise QcnnTlError(f"{folder} holds no run (no {MANIFEST}); is it a folder of `evaluate`?") from None
        except UnicodeDecodeError as exc:
            raise QcnnTlError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); {damaged}") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise QcnnTlError(f"{path} is not readable JSON ({exc}); {damaged}") from None
        if not isinstance(data, dict):
            raise QcnnTlError(f"{path} is not a JSON object; {damaged}")
        if "format" not in data and "chunks" in data:
            raise QcnnTlError(
                f"{path} was written by an older qcnn_tl (manifest format 1); finish the run with that version, "
                "or start a new run"
            )
        _check_keys(path, "manifest", data, cls, damaged)
        if data["format"] != FORMAT:
            raise QcnnTlError(f"{path}: manifest format {data['format']!r} is not {FORMAT}; {damaged}")
        if not isinstance(data["entries"], list):
            raise QcnnTlError(f"{path}: 'entries' must be a list of submissions; {damaged}")
        entries = []
        for k, item in enumerate(data["entries"]):
            if not isinstance(item, dict):
                raise QcnnTlError(f"{path}: job {k} is not an object; {damaged}")
            _check_keys(path, f"job {k}", item, Entry, damaged)
            entry = Entry(**item)
            rows = entry.rows
            if (
                not isinstance(entry.key, str)
                or not entry.key
                or not isinstance(entry.job_ids, list)
                or entry.status not in STATUSES
                or (entry.status in ("submitted", "done") and not entry.job_ids)
                or not (
                    rows is None
                    or (isinstance(rows, list) and len(rows) == 2 and all(isinstance(r, int) for r in rows))
                )
            ):
                raise QcnnTlError(f"{path}: job {k} is incomplete or inconsistent ({item}); {damaged}")
            entries.append(entry)
        data["entries"] = entries
        data["observables"] = [[tuple(t) for t in terms] for terms in data["observables"]]
        return cls(**data)

    @property
    def done(self) -> bool:
        """Whether every entry has a result."""
        return all(e.status == "done" for e in self.entries)

    @property
    def variants(self) -> list[str]:
        """Variants in order of first appearance."""
        return list(dict.fromkeys(e.variant for e in self.entries))

    def identity(self) -> dict[str, Any]:
        """What the store's results depend on: target, circuit, observables and each estimator option.

        The options that describe the device's calibration at transpilation (:data:`CALIBRATION_OPTIONS`) are left
        out: they change from day to day while the setting stays the same.
        """
        setting = {"backend": self.backend, "circuit_hash": self.circuit_hash, "observables": self.observables}
        options = {f"options.{k}": v for k, v in self.options.items() if k not in CALIBRATION_OPTIONS}
        return _plain(setting | options)


def _plain(data: Any) -> Any:
    """``data`` as it reads back from JSON (tuples as lists), so that settings compare equal across a restart."""
    return json.loads(json.dumps(data))


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


def observable_terms(observable: SparsePauliOp) -> list[tuple[str, float]]:
    """An observable as Pauli labels and real coefficients (JSON data)."""
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


class JobStore:
    """A folder of estimator submissions under one setting (:class:`RunManifest`), and the path that fills it.

    Args:
        folder: Where the store lives; ``None`` keeps nothing beyond each :meth:`run` (nothing to resume).
        manifest: Its manifest.
    """

    def __init__(self, folder: str | os.PathLike[str] | None, manifest: RunManifest) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.manifest = manifest
        self._memory: dict[str, list[np.ndarray]] = {}

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> JobStore:
        """The store in ``folder`` (its manifest read and checked)."""
        return cls(folder, RunManifest.load(folder))

    @classmethod
    def open(
        cls,
        folder: str | os.PathLike[str] | None,
        *,
        backend: str,
        local: bool,
        options: dict[str, Any],
        circuit_hash: str,
        observables: Sequence[SparsePauliOp],
    ) -> JobStore:
        """The store of this setting in ``folder``: the one there, or a new one (written with its first entry).

        Raises:
            QcnnTlError: If the folder holds a store of another setting (naming what differs), or files but no
                manifest.
        """
        manifest = RunManifest(
            run_id=_new_run_id(),
            backend=backend,
            local=local,
            options=options,
            circuit_hash=circuit_hash,
            observables=[observable_terms(o) for o in observables],
        )
        if folder is None:
            return cls(None, manifest)
        path = Path(folder)
        if path.is_dir() and not (path / MANIFEST).is_file() and any(path.iterdir()):
            raise QcnnTlError(
                f"{path} holds files but no {MANIFEST} (an older qcnn_tl wrote it, or something else did), so the "
                "setting its results were measured under is unknown; delete the folder to measure them again"
            )
        if not (path / MANIFEST).is_file():
            return cls(path, manifest)
        stored = RunManifest.load(path)
        recorded, now = stored.identity(), manifest.identity()
        differ = [k for k in sorted(set(recorded) | set(now)) if recorded.get(k) != now.get(k)]
        if differ:
            changes = "; ".join(
                f"{k}: {_short(recorded.get(k))} in the store, {_short(now.get(k))} now" for k in differ
            )
            raise QcnnTlError(
                f"{path} was measured under other settings ({changes}); resume with the store's settings, or use "
                "a new folder"
            )
        return cls(path, stored)

    def __len__(self) -> int:
        return len(self.manifest.entries)

    def save(self) -> None:
        """Writes the manifest (nothing without a folder)."""
        if self.folder is not None:
            self.manifest.save(self.folder)

    def results(self, entry: Entry) -> list[np.ndarray] | None:
        """The entry's expectation values, one array per PUB, if they were collected."""
        if self.folder is None:
            return self._memory.get(entry.key)
        path = self.folder / entry.result_file
        if entry.status != "done" or not path.is_file():
            return None
        try:
            with np.load(path) as data:
                return [data[f"arr_{i}"] for i in range(len(data.files))]
        except (OSError, ValueError, KeyError) as exc:
            raise QcnnTlError(f"{path} is unreadable ({exc}); delete it to submit that entry again") from None

    def _record(self, entry: Entry, evs: list[np.ndarray]) -> None:
        if self.folder is None:
            self._memory[entry.key] = evs
            return
        atomic_write(self.folder / entry.result_file, lambda h: np.savez(h, *evs))  # arr_0, arr_1, … per PUB

    def run(
        self,
        pubs: Mapping[str, Sequence[Pub]],
        *,
        submit: Mapping[str, RunPubs],
        fetch_job: Callable[[str], Any] | None = None,
        variant: str | None = None,
        pubs_per_job: int = 1,
        after_submit: Callable[[int], None] | None = None,
        retry: str = "run the same command again to resume",
    ) -> dict[str, list[np.ndarray]]:
        """Expectation values of every entry of ``pubs``: read back, fetched, or submitted (the one path).

        Args:
            pubs: Per entry key, the PUBs it submits (built again on every call; only the missing are sent).
            submit: Per variant, a function that submits PUBs as one job and returns it (``estimator.run``).
            fetch_job: Gets a job by id from the service (IBM); ``None``: local jobs.
            variant: The variant of keys the store has no entry for yet (they are added).
            pubs_per_job: Most PUBs per job.
            after_submit: Called with the entry's index after each submission is recorded (tests).
            retry: What the error of a failed job says to do.

        Returns:
            Per key, one array of expectation values per PUB.

        Raises:
            QcnnTlError: If a job failed (after every other entry was collected) or cannot be fetched.
        """
        index = {e.key: i for i, e in enumerate(self.manifest.entries)}
        for key in pubs:
            if key not in index:
                if variant is None:
                    raise ValueError(f"the store has no entry {key!r} and no variant was given for new entries")
                index[key] = len(self.manifest.entries)
                self.manifest.entries.append(Entry(key, variant))
        entries = [self.manifest.entries[index[key]] for key in pubs]
        local = fetch_job is None
        for entry in entries:
            if entry.status == "done" and self.results(entry) is None:
                entry.history.append({"job_ids": entry.job_ids, "reason": f"{entry.result_file} was missing"})
                entry.status = "pending" if local else "submitted"
        unknown = sorted({e.variant for e in entries if e.status != "done"} - set(submit))
        if unknown:
            raise QcnnTlError(f"{self.folder}: this target cannot run the variant(s) {unknown}")
        keep = KeepOnInterrupt()  # a local job's result outlives a Ctrl-C; a device's job is fetched again later

        def send(entry: Entry) -> list[Any]:
            if entry.job_ids:
                reason = (
                    f"local job lost with its process (pid {entry.pid})"
                    if entry.status == "submitted"
                    else "submission interrupted before all its jobs were sent"
                )
                if entry.status != "failed":
                    entry.history.append({"job_ids": entry.job_ids, "reason": reason})
            entry.job_ids, entry.status = [], "pending"
            entry_pubs = list(pubs[entry.key])
            jobs = []
            for start in range(0, len(entry_pubs), pubs_per_job):
                jobs.append(submit[entry.variant](entry_pubs[start : start + pubs_per_job]))
                entry.job_ids.append(str(jobs[-1].job_id()))
                self.save()  # each job id as soon as it is returned
            entry.status, entry.submissions = "submitted", entry.submissions + 1
            entry.pid = os.getpid() if local else None
            self.save()
            if after_submit is not None:
                after_submit(index[entry.key])
            return jobs

        def fetch(entry: Entry) -> list[Any]:
            assert fetch_job is not None
            try:
                return [fetch_job(job_id) for job_id in entry.job_ids]
            except Exception as exc:
                raise QcnnTlError(
                    f"could not fetch the jobs {entry.job_ids} of {self.folder} ({type(exc).__name__}: {exc}); "
                    "retry later"
                ) from None

        def collect(entry: Entry, jobs: list[Any]) -> None:
            try:
                evs = [np.asarray(pub.data.evs, dtype=float) for job in jobs for pub in _wait(keep, job, local)]
            except Exception as exc:
                log.warning("job of entry %s failed: %s: %s", entry.key, type(exc).__name__, exc)
                entry.history.append({"job_ids": entry.job_ids, "reason": f"{type(exc).__name__}: {exc}"[:500]})
                entry.status = "failed"
            else:
                self._record(entry, evs)
                entry.status = "done"
            self.save()

        todo = [e for e in entries if e.status != "done"]
        if local:
            for entry in todo:
                collect(entry, send(entry))
                keep.raise_if_interrupted()
        else:
            sent = {e.key: send(e) for e in todo if e.status != "submitted"}
            for entry in todo:
                collect(entry, sent[entry.key] if entry.key in sent else fetch(entry))
        failed = [e for e in entries if e.status == "failed"]
        if failed:
            reasons = "; ".join(f"job {index[e.key]}: {e.history[-1]['reason']}" for e in failed[:3])
            raise QcnnTlError(f"{len(failed)} of {len(entries)} jobs failed ({reasons}); {retry}")
        out = {}
        for entry in entries:
            found = self.results(entry)
            assert found is not None  # every entry is done
            out[entry.key] = found
        if self.folder is None:  # nothing to resume from: keep nothing
            self._memory.clear()
            self.manifest.entries.clear()
        return out


def _wait(keep: KeepOnInterrupt, job: Any, local: bool) -> Any:
    return keep.result(job) if local else job.result()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _new_run_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"


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
    """Writes the inputs and the manifest of a new evaluation run: one pending entry per chunk and variant.

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
        rows_per_job: Rows per PUB (one PUB per job).
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
    store = JobStore.open(
        run_dir,
        backend=backend,
        local=local,
        options=options,
        circuit_hash=circuit_hash,
        observables=[observable],
    )
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[Any], None]] = dict(files or {})
    writers["rows.npy"] = lambda h: np.save(h, rows)
    writers["circuit.qpy"] = lambda h: qpy.dump(circuit, h)
    for name, write in writers.items():
        atomic_write(folder / name, write)
        store.manifest.hashes[name] = file_sha256(folder / name)
    starts = range(0, len(rows), rows_per_job)
    store.manifest.entries = [
        Entry(str(k), variant, [s, min(s + rows_per_job, len(rows))])
        for k, (variant, s) in enumerate((v, s) for v in variants for s in starts)
    ]
    store.manifest.metadata = metadata or {}
    store.save()
    return store.manifest


def verify_run(run_dir: str | os.PathLike[str], manifest: RunManifest, *, results: bool = True) -> None:
    """Checks an evaluation run's inputs against the manifest's hashes, and (``results``) that done jobs have results.

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
    for index, entry in enumerate(manifest.entries if results else []):
        if entry.status == "done" and not (folder / entry.result_file).is_file():
            raise QcnnTlError(
                f"{folder}: job {index} is done but {entry.result_file} is missing; "
                f"`qcnn-tl jobs fetch {folder}` fetches it again (IBM) or recomputes it (local)"
            )


def entry_state(manifest: RunManifest, entry: Entry) -> str:
    """What ``jobs status`` shows: a local ``submitted`` job is ``running`` or ``lost`` with its process."""
    if entry.status == "submitted" and manifest.local:
        return "running" if pid_alive(entry.pid) else "lost"
    return entry.status


def load_results(run_dir: str | os.PathLike[str], manifest: RunManifest) -> dict[str, np.ndarray]:
    """An evaluation run's expectation values per variant, in row order (every entry must be done)."""
    store = JobStore(run_dir, manifest)
    out: dict[str, list[np.ndarray]] = {}
    for entry in manifest.entries:
        found = store.results(entry)
        if found is None:
            raise QcnnTlError(f"{run_dir}: job {entry.key} has no result yet; `qcnn-tl jobs fetch {run_dir}`")
        out.setdefault(entry.variant, []).extend(np.ravel(a) for a in found)
    return {variant: np.concatenate(parts) for variant, parts in out.items()}


def resume(
    run_dir: str | os.PathLike[str],
    run_pubs: Mapping[str, RunPubs] | RunPubs,
    *,
    fetch_job: Callable[[str], Any] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Submits or collects every chunk of an evaluation run that has no result yet, then returns all values.

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
    store = JobStore.load(folder)
    manifest = store.manifest
    verify_run(folder, manifest, results=False)  # a done job's missing result is fetched or recomputed below
    submit = run_pubs if isinstance(run_pubs, Mapping) else dict.fromkeys(manifest.variants, run_pubs)
    if not manifest.local and fetch_job is None:
        raise QcnnTlError(f"{folder} was submitted to {manifest.backend}; fetching its jobs needs that service")
    rows = np.load(folder / "rows.npy")
    with (folder / "circuit.qpy").open("rb") as handle:
        circuit = qpy.load(handle)[0]
    observable = SparsePauliOp.from_list(manifest.observables[0])
    pubs: dict[str, list[Pub]] = {}
    for entry in manifest.entries:
        assert entry.rows is not None  # every entry of an evaluation run is a chunk of its rows
        pubs[entry.key] = [(circuit, observable, rows[entry.rows[0] : entry.rows[1]])]
    store.run(
        pubs,
        submit=submit,
        fetch_job=fetch_job,
        after_submit=after_submit,
        retry=f"`qcnn-tl jobs fetch {folder}` resubmits them",
    )
    return load_results(folder, manifest)
