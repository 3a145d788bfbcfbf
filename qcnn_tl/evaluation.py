"""Evaluating a trained model on a backend through a resumable run folder (what ``qcnn-tl evaluate`` does).

A run folder holds everything needed to finish or re-read the run without the original files: the
model (``model.json``: config and weights), the labels, the ideal ⟨Z⟩ of the exact engine, the submitted
circuit and parameter rows, the manifest (run id, SHA-256 of each of those files, every job id) and
one ``result_<k>.npz`` per finished job. :func:`evaluate_model` starts a run, :func:`resume_evaluation`
finishes one (``qcnn-tl jobs fetch``), :func:`run_status` reads one (``qcnn-tl jobs status``) and
:func:`price_evaluation` prices one without submitting anything (``qcnn-tl evaluate --dry-run``).
:func:`compare_engines` checks the exact engine against Aer on a trained model (``qcnn-tl run``).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qcnn_tl._io import create_exclusive, write_json
from qcnn_tl.backends.execution import ExecutionTarget, execution_target
from qcnn_tl.backends.jobs import (
    MANIFEST,
    Entry,
    RunManifest,
    check_run_dir_free,
    entry_state,
    load_results,
    resume,
    verify_run,
)
from qcnn_tl.backends.pricing import RunPrice, price_run
from qcnn_tl.backends.profiles import RunProfile, profile_from_dict
from qcnn_tl.circuits import QCNNTemplate, build_qcnn
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.expectations import exact_expectations, expectations
from qcnn_tl.qnn.hardware import default_rows_per_job, run_on_target
from qcnn_tl.qnn.readout import accuracy
from qcnn_tl.results import EngineComparison, RunResult
from qcnn_tl.training.config import TrainConfig

MODEL_FILE = "model.json"
SUMMARY_FILE = "evaluation.json"
EXPECTATIONS_FILE = "expectations.csv"


@dataclass(frozen=True)
class EvaluationSummary:
    """Ideal vs target accuracies and expectation values of one run.

    Attributes:
        run_id: The run's id.
        backend: Target name.
        samples: Number of test samples.
        ideal_accuracy: Accuracy of the exact engine.
        accuracies: Accuracy per variant (``unmitigated``, ``mitigated``).
        mean_abs_shift: Mean ``|⟨Z⟩_variant − ⟨Z⟩_ideal|`` per variant.
        primary: The variant a single answer comes from.
        options: Settings of the run (finalized estimator options included).
        job_ids: Latest job id of every chunk.
        model: Where the model came from.
    """

    run_id: str
    backend: str
    samples: int
    ideal_accuracy: float
    accuracies: dict[str, float]
    mean_abs_shift: dict[str, float]
    primary: str
    options: dict[str, Any]
    job_ids: list[str | None]
    model: str | None

    @property
    def target_accuracy(self) -> float:
        """Accuracy of the primary variant."""
        return self.accuracies[self.primary]

    def to_json(self) -> dict[str, Any]:
        """Plain data (with ``target_accuracy``)."""
        return asdict(self) | {"target_accuracy": self.target_accuracy}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EvaluationSummary:
        """Reads :meth:`to_json`'s output."""
        return cls(**{k: v for k, v in data.items() if k != "target_accuracy"})


def check_samples(samples: int, available: int) -> int:
    """The number of samples to evaluate (at most ``available``).

    Raises:
        ValueError: If ``samples`` is not a positive integer.
    """
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise ValueError(f"--samples must be a positive integer; got {samples!r}")
    return min(samples, available)


def default_run_dir(backend: str, root: str | os.PathLike[str] = "runs") -> Path:
    """A new folder per run: ``runs/eval-<backend>-<YYYYmmdd-HHMMSS>`` (a suffix if it exists)."""
    stem = f"eval-{backend.replace(':', '_')}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, k = Path(root) / stem, 1
    while path.exists():
        k += 1
        path = Path(root) / f"{stem}-{k}"
    return path


def check_binary(model: RunResult[TrainConfig], command: str = "qcnn-tl evaluate") -> None:
    """Refuses a k-class model (:math:`k > 2`) where only binary models are evaluated.

    Raises:
        ValueError: Naming the model's task and its number of classes.
    """
    k = model.config.num_classes
    if k > 2:
        raise ValueError(
            f"the model's task {model.config.task!r} has {k} classes; {command} takes binary models in this version "
            "(k-class models are evaluated by train, on the exact and noisy engines)"
        )


def _template(config: TrainConfig) -> QCNNTemplate:
    return build_qcnn(config.ansatz, config.pooling, encoding=config.encoding, num_classes=config.num_classes)


def _weights(model: RunResult[TrainConfig]) -> np.ndarray:
    if model.weights is None:
        raise QcnnTlError(f"the model {model.model.name} has no weights")
    return np.asarray(model.weights, dtype=float)


def compare_engines(
    model: RunResult[TrainConfig], features: np.ndarray, labels: np.ndarray, *, batch: int = 256
) -> EngineComparison:
    """The trained QCNN evaluated by the exact engine and by Aer, on the same samples (``qcnn-tl run``).

    Aer is qiskit-machine-learning's ``EstimatorQNN`` on Aer's ``EstimatorV2`` in exact mode (precision 0) over
    the template lowered for ideal Aer: an independent check of the engine's expectation values.

    Args:
        model: A trained QCNN.
        features: Test features ``(N, F)``.
        labels: Their labels ``(N,)``.
        batch: Samples per ``EstimatorQNN.forward`` call.
    """
    from qcnn_tl.backends.targets import ideal_estimator, ideal_isa
    from qcnn_tl.qnn.aer import estimator_qnn

    template = _template(model.config)
    weights = _weights(model)
    exact = exact_expectations(template, features, weights)
    start = time.perf_counter()
    qnn = estimator_qnn(template, ideal_isa(template), ideal_estimator())
    inputs = template.input_values(features)
    aer = np.concatenate([qnn.forward(inputs[i : i + batch], weights)[:, 0] for i in range(0, len(inputs), batch)])
    return EngineComparison(
        samples=len(labels),
        exact_accuracy=accuracy(exact, labels),
        aer_accuracy=accuracy(aer, labels),
        max_difference=float(np.abs(exact - aer).max()),
        aer_s=time.perf_counter() - start,
    )


def evaluate_model(
    model: RunResult[TrainConfig],
    features: np.ndarray,
    labels: np.ndarray,
    profile: RunProfile,
    run_dir: str | os.PathLike[str],
    *,
    model_source: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    rows_per_job: int | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> EvaluationSummary:
    """Evaluates ``model`` on ``profile``'s backend in a new run folder.

    Args:
        model: A result of ``train``/``run`` (its settings and weights are used).
        features: Test features ``(N, F)``.
        labels: Their labels ``(N,)``.
        profile: Backend, shots and mitigation.
        run_dir: A new or empty folder (checked before anything is written).
        model_source: Where the model came from (recorded).
        cache_dir: Cache folder (transpiled circuits under ``<cache_dir>/isa``).
        rows_per_job: Rows per PUB.
        after_submit: Called after each submission (tests).

    Returns:
        The summary (also written as ``evaluation.json`` and ``expectations.csv``).
    """
    check_binary(model)
    check_run_dir_free(run_dir)
    template = _template(model.config)
    weights = _weights(model)
    target = execution_target(template, profile, cache_dir=cache_dir)
    ideal = exact_expectations(template, features, weights)
    model_text = json.dumps(model.to_json(), indent=2).encode()
    files: dict[str, Callable[[Any], None]] = {
        MODEL_FILE: lambda h: h.write(model_text),
        "labels.npy": lambda h: np.save(h, np.asarray(labels)),
        "ideal.npy": lambda h: np.save(h, ideal),
    }
    with target:
        metadata = {"model": model_source, "profile": profile.to_dict(), "primary": target.primary}
        run_on_target(
            template,
            weights,
            features,
            target,
            run_dir,
            rows_per_job=rows_per_job,
            metadata=metadata,
            files=files,
            after_submit=after_submit,
        )
    return finish(run_dir)


def evaluate_with_engine(
    model: RunResult[TrainConfig],
    features: np.ndarray,
    labels: np.ndarray,
    profile: RunProfile,
    run_dir: str | os.PathLike[str],
    *,
    model_source: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
) -> EvaluationSummary:
    """Evaluates ``model`` on an Aer target with qcnn_tl's own engines, in this process (seconds, no jobs).

    For ``aer:<fake>`` the noisy engine runs the same ISA circuit the Aer path would submit, exactly under the
    device's noise model, in two variants: ``noisy`` (no readout error: what Aer's ``EstimatorV2`` and a Runtime
    estimator with TREX report) and ``noisy+readout`` (a measuring estimator without readout mitigation). With
    ``profile.shots_per_circuit`` > 0 each variant is also sampled with that many shots (``…/shots``, seeded).
    For ``aer`` the exact engine is the target itself. See ``docs/noise.md``.

    Raises:
        ValueError: If the profile's backend is not an Aer target.
    """
    from qcnn_tl.qnn.noisy import NoisyQCNN, device_noise, sample_expectation

    kind, _, device = profile.backend.partition(":")
    if kind != "aer":
        raise ValueError(f"the engines simulate aer and aer:<fake> targets; got {profile.backend!r} (use Aer jobs)")
    check_binary(model)
    folder = claim_run_dir(run_dir, json.dumps(model.to_json(), indent=2).encode())
    template = _template(model.config)
    weights = _weights(model)
    ideal = exact_expectations(template, features, weights)
    values: dict[str, np.ndarray] = {}
    options: dict[str, Any] = {"engine": "qcnn_tl exact engine", "shots": profile.shots_per_circuit, "seed": seed}
    if device:
        target = execution_target(template, profile, cache_dir=cache_dir)
        noise = device_noise(_fake(device))
        encoded = None  # the encoding part is the same for both variants (readout error acts on the observable)
        for variant, readout in (("noisy", False), ("noisy+readout", True)):
            engine = NoisyQCNN(template, target.isa, noise, readout_error=readout, initial_weights=weights)
            if encoded is None:
                encoded = engine.prepare(features)
            values[variant] = expectations(engine, encoded)[0].numpy()
        options = target.options | {"engine": "qcnn_tl noisy engine (exact under the Aer noise model)", "seed": seed}
    else:
        values["exact"] = ideal
    if profile.shots_per_circuit:
        for variant in list(values):
            sampled = sample_expectation(torch.as_tensor(values[variant]), profile.shots_per_circuit, seed=seed)
            values[f"{variant}/shots"] = sampled.numpy()
    np.save(folder / "labels.npy", np.asarray(labels))
    np.save(folder / "ideal.npy", ideal)
    summary = _summary(
        run_id=uuid.uuid4().hex,
        backend=profile.backend,
        labels=np.asarray(labels),
        ideal=ideal,
        values=values,
        primary=next(iter(values)),
        options=options | {"profile": profile.to_dict()},
        job_ids=[],
        model=model_source,
    )
    _write_summary(folder, summary, np.asarray(labels), ideal, values)
    return summary


def claim_run_dir(run_dir: str | os.PathLike[str], model_json: bytes) -> Path:
    """Makes ``run_dir`` this run's before any work: checks it is free, then creates its ``model.json`` exclusively.

    Two runs started into one new folder at the same moment cannot both claim it: the second is refused.

    Raises:
        QcnnTlError: If the folder holds another run or files, or another run claimed it first.
    """
    check_run_dir_free(run_dir)
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if not create_exclusive(folder / MODEL_FILE, model_json):
        raise QcnnTlError(f"--run-dir {folder} was claimed by another run started at the same time; choose another")
    return folder


def _fake(device: str) -> Any:
    from qcnn_tl.backends.targets import fake_backend

    return fake_backend(device)


def _target_for_run(run_dir: Path, manifest: RunManifest, cache_dir: str | os.PathLike[str] | None) -> ExecutionTarget:
    model = RunResult.read(run_dir / MODEL_FILE, TrainConfig, "the run's model")
    return execution_target(_template(model.config), _run_profile(run_dir, manifest), cache_dir=cache_dir)


def _run_profile(run_dir: Path, manifest: RunManifest) -> RunProfile:
    """The run's stored profile, checked against the backend the manifest names.

    Raises:
        QcnnTlError: If the manifest's ``backend`` is not the stored profile's (an edited manifest).
    """
    stored = manifest.metadata.get("profile")
    if not isinstance(stored, dict) and not manifest.hashes:  # a store with no inputs of its own: a training's
        raise QcnnTlError(
            f"{run_dir} holds the job store of a training run with an estimator in the loop, not an evaluation run; "
            "run the same `qcnn-tl train` command again to resume it"
        )
    if not isinstance(stored, dict):
        raise QcnnTlError(f"{run_dir / MANIFEST}: metadata lacks the run's profile; the run folder is damaged")
    profile = profile_from_dict(stored, source=f"{run_dir / MANIFEST} profile")
    if profile.backend != manifest.backend:
        raise QcnnTlError(
            f"{run_dir / MANIFEST} names backend {manifest.backend!r} but the run was submitted to {profile.backend!r} "
            f"(its stored options); restore backend {profile.backend!r} or start a new run with `qcnn-tl evaluate`"
        )
    return profile


def engine_summary(run_dir: str | os.PathLike[str]) -> EvaluationSummary | None:
    """The summary of a run that ``evaluate`` computed in process with the engines (no jobs), else ``None``.

    Such a folder holds ``evaluation.json`` and no ``manifest.json``.

    Raises:
        QcnnTlError: If its ``evaluation.json`` is unreadable (naming the file).
    """
    folder = Path(run_dir)
    path = folder / SUMMARY_FILE
    if (folder / MANIFEST).exists() or not path.is_file():
        return None
    try:
        return EvaluationSummary.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise QcnnTlError(f"{path} is not an evaluation summary ({type(exc).__name__}: {exc})") from None


def resume_evaluation(
    run_dir: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
) -> EvaluationSummary:
    """Collects a run's missing results (fetching IBM jobs, resubmitting failed or lost ones) and summarises it.

    Raises:
        QcnnTlError: If the run folder is damaged (one line saying what is missing and how to recover).
    """
    folder = Path(run_dir)
    manifest = RunManifest.load(folder)
    _run_profile(folder, manifest)
    verify_run(folder, manifest, results=False)  # a done job's missing result is fetched or recomputed
    if not manifest.done or any(not (folder / e.result_file).is_file() for e in manifest.entries):
        with _target_for_run(folder, manifest, cache_dir) as target:
            resume(folder, target.run_pubs(), fetch_job=target.fetch_job)
    return finish(folder)


def finish(run_dir: str | os.PathLike[str]) -> EvaluationSummary:
    """Computes and writes ``evaluation.json`` and ``expectations.csv`` from a completed run."""
    folder = Path(run_dir)
    manifest = RunManifest.load(folder)
    verify_run(folder, manifest)
    values = load_results(folder, manifest)
    labels = np.load(folder / "labels.npy")
    ideal = np.load(folder / "ideal.npy")
    primary = manifest.metadata.get("primary", manifest.variants[0])
    summary = _summary(
        run_id=manifest.run_id,
        backend=manifest.backend,
        labels=labels,
        ideal=ideal,
        values=values,
        primary=primary,
        options=manifest.options,
        job_ids=[e.job_ids[-1] if e.job_ids else None for e in manifest.entries],
        model=manifest.metadata.get("model"),
    )
    _write_summary(folder, summary, labels, ideal, values)
    return summary


def _summary(
    *, labels: np.ndarray, ideal: np.ndarray, values: Mapping[str, np.ndarray], **fields: Any
) -> EvaluationSummary:
    return EvaluationSummary(
        samples=len(labels),
        ideal_accuracy=accuracy(ideal, labels),
        accuracies={v: accuracy(evs, labels) for v, evs in values.items()},
        mean_abs_shift={v: float(np.mean(np.abs(evs - ideal))) for v, evs in values.items()},
        **fields,
    )


def _write_summary(
    folder: Path, summary: EvaluationSummary, labels: np.ndarray, ideal: np.ndarray, values: Mapping[str, np.ndarray]
) -> None:
    """Writes ``evaluation.json`` and ``expectations.csv``."""
    write_json(folder / SUMMARY_FILE, summary.to_json())
    columns = ["label", "ideal", *values]
    lines = [",".join(["sample", *columns])]
    for i in range(len(labels)):
        cells = [str(int(labels[i])), f"{ideal[i]:.6f}", *(f"{values[v][i]:.6f}" for v in values)]
        lines.append(",".join([str(i), *cells]))
    (folder / EXPECTATIONS_FILE).write_text("\n".join(lines) + "\n")


def format_summary(summary: EvaluationSummary, run_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Ideal, unmitigated and mitigated accuracy and ⟨Z⟩ side by side, as printed lines."""
    lines = [f"{'':<36} {'accuracy':>9} {'mean |dZ|':>10}   ({summary.samples} test samples)"]
    lines.append(f"{'ideal (exact engine)':<36} {summary.ideal_accuracy:>9.4f} {'-':>10}")
    for variant, acc in summary.accuracies.items():
        label = f"{summary.backend} {variant}"
        lines.append(f"{label:<36} {acc:>9.4f} {summary.mean_abs_shift[variant]:>10.4f}")
    if run_dir is not None:
        folder = Path(run_dir)
        table = (folder / EXPECTATIONS_FILE).read_text().splitlines()
        lines.append("")
        lines.append("<Z> of the first samples (all in expectations.csv):")
        header = table[0].split(",")
        lines.append("  ".join(f"{h:>11}" for h in header))
        lines.extend("  ".join(f"{c:>11}" for c in row.split(",")) for row in table[1:6])
    if summary.backend.startswith(("aer:", "ibm-local:")):
        lines.append("note: fake-device noise snapshots are milder than current real devices")
    return lines


@dataclass(frozen=True)
class JobLine:
    """One line of ``jobs status``."""

    index: int
    variant: str
    rows: tuple[int, int]
    state: str
    job_id: str | None
    submissions: int


def run_status(run_dir: str | os.PathLike[str]) -> tuple[RunManifest, list[JobLine]]:
    """The manifest and each job's state; a local job whose process died shows as ``lost``.

    Raises:
        QcnnTlError: If the run folder is damaged (one line saying what is missing and how to recover).
    """
    folder = Path(run_dir)
    manifest = RunManifest.load(folder)
    _run_profile(folder, manifest)
    verify_run(folder, manifest)
    jobs = [
        JobLine(k, e.variant, _rows(e), entry_state(manifest, e), e.job_ids[-1] if e.job_ids else None, e.submissions)
        for k, e in enumerate(manifest.entries)
    ]
    return manifest, jobs


def _rows(entry: Entry) -> tuple[int, int]:
    """The first and last row of an evaluation run's entry."""
    if entry.rows is None:
        raise QcnnTlError(f"entry {entry.key} is a training step, not a chunk of an evaluation run")
    return entry.rows[0], entry.rows[1] - 1


def price_evaluation(
    model: RunResult[TrainConfig],
    features: np.ndarray,
    profile: RunProfile,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    rows_per_job: int | None = None,
) -> RunPrice:
    """Prices an evaluation without submitting anything or creating an estimator (``--dry-run``)."""
    check_binary(model)
    template = _template(model.config)
    weights = _weights(model)
    target = execution_target(template, profile, cache_dir=cache_dir)
    rows = template.parameter_rows(target.circuit.parameters, template.input_values(features), weights)
    return price_run(target, rows, rows_per_job=rows_per_job or default_rows_per_job(target))


def format_price(price: RunPrice) -> list[str]:
    """The dry-run report, as printed lines."""
    fidelity = "n/a" if price.estimated_fidelity is None else f"{price.estimated_fidelity:.3g}"
    default = "n/a" if price.default_layout_fidelity is None else f"{price.default_layout_fidelity:.3g}"
    lines = [
        f"dry run on {price.backend}: {price.rows} samples, nothing submitted",
        f"ISA circuit: depth {price.isa_depth}, {price.two_qubit_gates} two-qubit gates, layout {list(price.layout)}",
        f"estimated circuit fidelity {fidelity} (first transpiler seed's layout: {default})",
    ]
    if price.circuit_seconds is not None:
        lines.append(f"one execution (gates + readout): {price.circuit_seconds * 1e6:.1f} us")
    lines.append(f"{'variant':<12} {'jobs':>5} {'rows/job':>9} {'shots/row':>10} {'shots':>12} {'device time':>12}")
    for v in price.variants:
        rows = f"{max(v.pub_rows)}" if len(set(v.pub_rows)) == 1 else f"<={max(v.pub_rows)}"
        seconds = "n/a" if v.device_seconds is None else f"{v.device_seconds:.1f} s"
        lines.append(
            f"{v.variant:<12} {v.jobs:>5} {rows:>9} {v.shots_per_row:>10.0f} {v.total_shots:>12} {seconds:>12}"
        )
        lines.append(f"{'':<12} ({v.note})")
    total = "n/a" if price.device_seconds is None else f"{price.device_seconds:.1f} s"
    lines.append(
        f"total: {price.total_shots} shots, about {total} of device time "
        f"(gate and readout durations of the target, {price.rep_delay_s * 1e6:.0f} us between shots)"
    )
    return lines
