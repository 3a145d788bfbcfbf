"""qcnn_tl: classical-to-quantum CNN transfer learning (Kim, Huh & Park 2023) on the Qiskit stack.

The workflow names are importable from here; they load lazily, so ``import qcnn_tl.circuits`` stays
free of torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ANSATZES": "qcnn_tl.circuits",
    "POOLINGS": "qcnn_tl.circuits",
    "ENCODINGS": "qcnn_tl.circuits",
    "PAPER_MODELS": "qcnn_tl.circuits",
    "QCNNTemplate": "qcnn_tl.circuits",
    "build_qcnn": "qcnn_tl.circuits",
    "qcnn_layout": "qcnn_tl.circuits",
    "amplitude_angles": "qcnn_tl.circuits",
    "export_templates": "qcnn_tl.circuits.export",
    "load_images": "qcnn_tl.data.datasets",
    "parse_task": "qcnn_tl.data.tasks",
    "cached_features": "qcnn_tl.data.features",
    "FeatureCNN": "qcnn_tl.cnn.model",
    "PretrainConfig": "qcnn_tl.cnn.pretrain",
    "pretrain": "qcnn_tl.cnn.pretrain",
    "ensure_pretrained": "qcnn_tl.cnn.pretrain",
    "load_checkpoint": "qcnn_tl.cnn.checkpoint",
    "ExactEngine": "qcnn_tl.qnn.exact",
    "ExactQCNN": "qcnn_tl.qnn.exact_model",
    "AerQCNN": "qcnn_tl.qnn.aer",
    "HybridQCNN": "qcnn_tl.qnn.hybrid",
    "evaluate_on_target": "qcnn_tl.qnn.hardware",
    "exact_expectations": "qcnn_tl.qnn.hardware",
    "accuracy": "qcnn_tl.qnn.hardware",
    "TrainConfig": "qcnn_tl.training.config",
    "train_qcnn": "qcnn_tl.training.loop",
    "task_data": "qcnn_tl.training.experiment",
    "run_training": "qcnn_tl.training.experiment",
    "train_repetitions": "qcnn_tl.training.experiment",
    "C2CConfig": "qcnn_tl.c2c.training",
    "train_head": "qcnn_tl.c2c.training",
    "SweepGrid": "qcnn_tl.sweep.grid",
    "grid_from_dict": "qcnn_tl.sweep.grid",
    "run_sweep": "qcnn_tl.sweep.runner",
    "summarize": "qcnn_tl.reports.summary",
    "RunProfile": "qcnn_tl.backends.profiles",
    "load_profile": "qcnn_tl.backends.profiles",
    "execution_target": "qcnn_tl.backends.execution",
    "transpile_for_target": "qcnn_tl.backends.transpile",
    "transpile_report": "qcnn_tl.reports.transpile_report",
    "plot_report": "qcnn_tl.reports.transpile_report",
    "draw_template": "qcnn_tl.reports.drawing",
    "loss_curve": "qcnn_tl.reports.plots",
    "QcnnTlError": "qcnn_tl.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Imports an exported name on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'qcnn_tl' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
