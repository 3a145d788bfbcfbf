"""Evaluating a trained QCNN on an execution target, through a resumable run folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from qcnn_tl.backends.execution import ExecutionTarget
from qcnn_tl.backends.jobs import check_run_dir_free, resume, start_run
from qcnn_tl.backends.transpile import circuit_hash
from qcnn_tl.circuits.qcnn import QCNNTemplate


def default_rows_per_job(target: ExecutionTarget) -> int:
    """Rows per PUB: 250 on a service; 50 for local jobs, so that Ctrl-C waits for at most one small job."""
    return 50 if target.local else 250


def run_on_target(
    template: QCNNTemplate,
    weights: np.ndarray,
    features: np.ndarray,
    target: ExecutionTarget,
    run_dir: str | os.PathLike[str],
    *,
    rows_per_job: int | None = None,
    metadata: dict[str, Any] | None = None,
    files: Mapping[str, Callable[[Any], None]] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """⟨Z⟩ per sample and variant on ``target``; the run folder records every job so the run can be resumed.

    Args:
        template: The model's template.
        weights: Trained weights.
        features: Samples ``(N, F)``.
        target: Where to run.
        run_dir: A new or empty folder.
        rows_per_job: Rows per PUB (default: :func:`default_rows_per_job`).
        metadata: Recorded in the manifest.
        files: Extra input files written (and hashed) before the manifest.
        after_submit: Called with the chunk index after each submission (tests).

    Returns:
        Expectation values ``(N,)`` per variant, in sample order.
    """
    check_run_dir_free(run_dir)
    rows = template.parameter_rows(target.circuit.parameters, template.input_values(features), weights)
    start_run(
        run_dir,
        target.circuit,
        target.observable,
        rows,
        backend=target.name,
        options=target.options,
        circuit_hash=circuit_hash(target.circuit),
        variants=tuple(target.variants),
        local=target.local,
        rows_per_job=rows_per_job or default_rows_per_job(target),
        files=files,
        metadata=metadata,
    )
    return resume(run_dir, target.run_pubs(), fetch_job=target.fetch_job, after_submit=after_submit)


def evaluate_on_target(
    template: QCNNTemplate,
    weights: np.ndarray,
    features: np.ndarray,
    target: ExecutionTarget,
    run_dir: str | os.PathLike[str],
    *,
    rows_per_job: int | None = None,
    metadata: dict[str, Any] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> np.ndarray:
    """⟨Z⟩ per sample on ``target`` (its mitigated variant when it has one); see :func:`run_on_target`.

    Returns:
        Expectation values ``(N,)`` in sample order.
    """
    values = run_on_target(
        template,
        weights,
        features,
        target,
        run_dir,
        rows_per_job=rows_per_job,
        metadata=metadata,
        after_submit=after_submit,
    )
    return values[target.primary]
