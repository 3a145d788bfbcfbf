"""Evaluating a trained QCNN on an execution target, through a resumable run folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from qcnn_tl.backends.execution import ExecutionTarget
from qcnn_tl.backends.jobs import resume, start_run
from qcnn_tl.backends.transpile import circuit_hash
from qcnn_tl.circuits.qcnn import QCNNTemplate
from qcnn_tl.qnn.exact import ExactEngine


def binding_rows(
    template: QCNNTemplate, circuit_parameters: Any, features: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Parameter rows for ``circuit_parameters`` (the ISA circuit's order): inputs per sample, weights shared."""
    inputs = template.input_values(features)
    values = np.concatenate([inputs, np.broadcast_to(weights, (len(inputs), len(weights)))], axis=1)
    column = {p.name: i for i, p in enumerate((*template.input_params, *template.weight_params))}
    return values[:, [column[p.name] for p in circuit_parameters]]


def exact_expectations(template: QCNNTemplate, features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ideal ⟨Z⟩ per sample from the exact engine."""
    engine = ExactEngine.from_template(template)
    with torch.no_grad():
        return engine(template.input_values(features), torch.as_tensor(weights)).numpy()


def evaluate_on_target(
    template: QCNNTemplate,
    weights: np.ndarray,
    features: np.ndarray,
    target: ExecutionTarget,
    run_dir: str | os.PathLike[str],
    *,
    rows_per_job: int = 250,
    metadata: dict[str, Any] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> np.ndarray:
    """⟨Z⟩ per sample on ``target``; the run folder records every job so the run can be resumed.

    Returns:
        Expectation values ``(N,)`` in sample order.
    """
    rows = binding_rows(template, target.isa.circuit.parameters, features, weights)
    start_run(
        run_dir,
        target.isa.circuit,
        target.isa.observable,
        rows,
        backend=target.name,
        options=target.options,
        circuit_hash=circuit_hash(target.isa.circuit),
        rows_per_job=rows_per_job,
        metadata=metadata,
    )
    return resume(run_dir, target.run_pub, fetch_job=target.fetch_job, after_submit=after_submit)


def accuracy(expectations: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples where label 1 is predicted iff ⟨Z⟩ ≤ 0 agrees with ``labels``."""
    return float(np.mean((np.asarray(expectations) <= 0).astype(int) == np.asarray(labels)))
