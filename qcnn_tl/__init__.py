"""qcnn_tl: classical-to-quantum CNN transfer learning (Kim, Huh & Park 2023) on the Qiskit stack.

The workflow names are importable from here; they load lazily, so ``import qcnn_tl.circuits`` stays
free of torch.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("qcnn-tl")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"


_EXPORTS = {
    "ANSATZES": "qcnn_tl.circuits",
    "POOLINGS": "qcnn_tl.circuits",
    "ENCODINGS": "qcnn_tl.circuits",
    "PAPER_MODELS": "qcnn_tl.circuits",
    "QCNNTemplate": "qcnn_tl.circuits",
    "build_qcnn": "qcnn_tl.circuits",
    "qcnn_layout": "qcnn_tl.circuits",
    "amplitude_angles": "qcnn_tl.circuits",
    "Ansatz": "qcnn_tl.circuits",
    "Pooling": "qcnn_tl.circuits",
    "Encoding": "qcnn_tl.circuits",
    "register_ansatz": "qcnn_tl.circuits",
    "register_pooling": "qcnn_tl.circuits",
    "register_encoding": "qcnn_tl.circuits",
    "export_templates": "qcnn_tl.circuits.export",
    "load_images": "qcnn_tl.data.datasets",
    "parse_task": "qcnn_tl.data.tasks",
    "load_source": "qcnn_tl.data.sources",
    "source_features": "qcnn_tl.cnn.features",
    "BackboneSpec": "qcnn_tl.cnn.backbone",
    "load_backbone": "qcnn_tl.cnn.backbone",
    "FeatureMap": "qcnn_tl.cnn.reduction",
    "fit_feature_map": "qcnn_tl.cnn.reduction",
    "TaskData": "qcnn_tl.cnn.task_data",
    "FeatureCNN": "qcnn_tl.cnn.model",
    "PretrainConfig": "qcnn_tl.cnn.pretrain",
    "pretrain": "qcnn_tl.cnn.pretrain",
    "ensure_pretrained": "qcnn_tl.cnn.pretrain",
    "load_checkpoint": "qcnn_tl.cnn.checkpoint",
    "ExactEngine": "qcnn_tl.qnn.exact",
    "ExactQCNN": "qcnn_tl.qnn.exact_model",
    "NoisyEngine": "qcnn_tl.qnn.noisy",
    "NoisyQCNN": "qcnn_tl.qnn.noisy",
    "device_noise": "qcnn_tl.qnn.noisy",
    "estimator_qnn": "qcnn_tl.qnn.aer",
    "BatchedParamShiftGradient": "qcnn_tl.qnn.gradient",
    "EstimatorQCNN": "qcnn_tl.qnn.in_the_loop",
    "HybridQCNN": "qcnn_tl.qnn.hybrid",
    "JobStore": "qcnn_tl.backends.jobs",
    "evaluate_on_target": "qcnn_tl.qnn.hardware",
    "exact_expectations": "qcnn_tl.qnn.expectations",
    "accuracy": "qcnn_tl.qnn.readout",
    "predict": "qcnn_tl.qnn.readout",
    "TrainConfig": "qcnn_tl.training.config",
    "train_qcnn": "qcnn_tl.training.loop",
    "task_data": "qcnn_tl.cnn.task_data",
    "run_training": "qcnn_tl.training.experiment",
    "train_repetitions": "qcnn_tl.training.experiment",
    "C2CConfig": "qcnn_tl.c2c.training",
    "train_head": "qcnn_tl.c2c.training",
    "SweepGrid": "qcnn_tl.sweep.grid",
    "grid_from_dict": "qcnn_tl.sweep.grid",
    "run_sweep": "qcnn_tl.sweep.runner",
    "summarize": "qcnn_tl.reports.summary",
    "RunResult": "qcnn_tl.results",
    "compare_engines": "qcnn_tl.evaluation",
    "evaluate_model": "qcnn_tl.evaluation",
    "read_result": "qcnn_tl.sweep.grid",
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

if TYPE_CHECKING:  # the names as type checkers and IDEs see them; at run time they load lazily
    from qcnn_tl.backends.execution import execution_target
    from qcnn_tl.backends.jobs import JobStore
    from qcnn_tl.backends.profiles import RunProfile, load_profile
    from qcnn_tl.backends.transpile import transpile_for_target
    from qcnn_tl.c2c.training import C2CConfig, train_head
    from qcnn_tl.circuits import (
        ANSATZES,
        ENCODINGS,
        PAPER_MODELS,
        POOLINGS,
        Ansatz,
        Encoding,
        Pooling,
        QCNNTemplate,
        amplitude_angles,
        build_qcnn,
        qcnn_layout,
        register_ansatz,
        register_encoding,
        register_pooling,
    )
    from qcnn_tl.circuits.export import export_templates
    from qcnn_tl.cnn.backbone import BackboneSpec, load_backbone
    from qcnn_tl.cnn.checkpoint import load_checkpoint
    from qcnn_tl.cnn.features import source_features
    from qcnn_tl.cnn.model import FeatureCNN
    from qcnn_tl.cnn.pretrain import PretrainConfig, ensure_pretrained, pretrain
    from qcnn_tl.cnn.reduction import FeatureMap, fit_feature_map
    from qcnn_tl.cnn.task_data import TaskData, task_data
    from qcnn_tl.data.datasets import load_images
    from qcnn_tl.data.sources import load_source
    from qcnn_tl.data.tasks import parse_task
    from qcnn_tl.errors import QcnnTlError
    from qcnn_tl.evaluation import compare_engines, evaluate_model
    from qcnn_tl.qnn.aer import estimator_qnn
    from qcnn_tl.qnn.exact import ExactEngine
    from qcnn_tl.qnn.exact_model import ExactQCNN
    from qcnn_tl.qnn.expectations import exact_expectations
    from qcnn_tl.qnn.gradient import BatchedParamShiftGradient
    from qcnn_tl.qnn.hardware import evaluate_on_target
    from qcnn_tl.qnn.hybrid import HybridQCNN
    from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
    from qcnn_tl.qnn.noisy import NoisyEngine, NoisyQCNN, device_noise
    from qcnn_tl.qnn.readout import accuracy, predict
    from qcnn_tl.reports.drawing import draw_template
    from qcnn_tl.reports.plots import loss_curve
    from qcnn_tl.reports.summary import summarize
    from qcnn_tl.reports.transpile_report import plot_report, transpile_report
    from qcnn_tl.results import RunResult
    from qcnn_tl.sweep.grid import SweepGrid, grid_from_dict, read_result
    from qcnn_tl.sweep.runner import run_sweep
    from qcnn_tl.training.config import TrainConfig
    from qcnn_tl.training.experiment import run_training, train_repetitions
    from qcnn_tl.training.loop import train_qcnn

__all__ = [
    "ANSATZES",
    "ENCODINGS",
    "PAPER_MODELS",
    "POOLINGS",
    "Ansatz",
    "BackboneSpec",
    "BatchedParamShiftGradient",
    "C2CConfig",
    "Encoding",
    "EstimatorQCNN",
    "ExactEngine",
    "ExactQCNN",
    "FeatureCNN",
    "FeatureMap",
    "HybridQCNN",
    "JobStore",
    "NoisyEngine",
    "NoisyQCNN",
    "Pooling",
    "PretrainConfig",
    "QCNNTemplate",
    "QcnnTlError",
    "RunProfile",
    "RunResult",
    "SweepGrid",
    "TaskData",
    "TrainConfig",
    "accuracy",
    "amplitude_angles",
    "build_qcnn",
    "compare_engines",
    "device_noise",
    "draw_template",
    "ensure_pretrained",
    "estimator_qnn",
    "evaluate_model",
    "evaluate_on_target",
    "exact_expectations",
    "execution_target",
    "export_templates",
    "fit_feature_map",
    "grid_from_dict",
    "load_backbone",
    "load_checkpoint",
    "load_images",
    "load_profile",
    "load_source",
    "loss_curve",
    "parse_task",
    "plot_report",
    "predict",
    "pretrain",
    "qcnn_layout",
    "read_result",
    "register_ansatz",
    "register_encoding",
    "register_pooling",
    "run_sweep",
    "run_training",
    "source_features",
    "summarize",
    "task_data",
    "train_head",
    "train_qcnn",
    "train_repetitions",
    "transpile_for_target",
    "transpile_report",
]  # the names of _EXPORTS (tests/test_package.py keeps them equal)


def __getattr__(name: str) -> Any:
    """Imports an exported name on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'qcnn_tl' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
