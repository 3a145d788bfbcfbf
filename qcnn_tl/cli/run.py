"""``qcnn-tl run``: the main job — U_SU4 + ZX, amplitude encoding, MNIST 0 vs 1, exact and Aer."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from qcnn_tl._io import write_json
from qcnn_tl.backends.targets import ideal_estimator, ideal_isa
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.cli.common import add_data_arguments, data_for, write_loss_curve
from qcnn_tl.qnn.aer import estimator_qnn
from qcnn_tl.qnn.hardware import exact_expectations
from qcnn_tl.qnn.readout import accuracy
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import run_training


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("run", help="main job: train U_SU4+ZX on MNIST 0/1 (exact), evaluate exact and Aer")
    p.add_argument("--steps", type=int, default=TrainConfig.steps)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--aer-samples", type=int, help="evaluate Aer on the first N test samples (default: all)")
    p.add_argument("--out", default="runs/main")
    add_data_arguments(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    config = TrainConfig(steps=args.steps, seed=args.seed)
    data = data_for(config, args)
    result = run_training(config, args.out, data=data, progress=not args.quiet)
    write_loss_curve(result, args.out)
    template = build_qcnn(config.ansatz, config.pooling, encoding=config.encoding)
    weights = np.asarray(result["weights"])
    features = data.test_features[: args.aer_samples]
    labels = data.test_labels[: args.aer_samples]
    ev_exact = exact_expectations(template, features.numpy(), weights)
    start = time.perf_counter()
    qnn = estimator_qnn(template, ideal_isa(template), ideal_estimator())
    inputs = template.input_values(features.numpy())
    ev_aer = np.concatenate([qnn.forward(inputs[i : i + 256], weights)[:, 0] for i in range(0, len(inputs), 256)])
    aer_s = time.perf_counter() - start
    acc_exact = accuracy(ev_exact, labels.numpy())
    acc_aer = accuracy(ev_aer, labels.numpy())
    max_diff = float(np.abs(ev_exact - ev_aer).max())
    rows = [
        ("exact (torch statevector)", acc_exact, result["wall_time_s"]),
        ("aer (EstimatorV2, exact mode)", acc_aer, aer_s),
    ]
    print(
        f"\nU_SU4 + ZX pooling, amplitude encoding, MNIST {config.task}: "
        f"{result['num_train']} train / {len(labels)} test"
    )
    print(f"{'engine':<32} {'test accuracy':>13} {'time (s)':>9}")
    for name, acc, secs in rows:
        print(f"{name:<32} {acc:>13.4f} {secs:>9.1f}")
    print(f"max |<Z>_exact - <Z>_aer| over the test samples: {max_diff:.2e}")
    result |= {
        "aer_test_accuracy": acc_aer,
        "exact_test_accuracy_on_aer_samples": acc_exact,
        "max_expectation_difference": max_diff,
        "aer_evaluate_s": aer_s,
        "aer_samples": len(labels),
    }
    write_json(Path(args.out) / "result.json", result)
    print(f"results: {Path(args.out) / 'result.json'}, loss curve: {Path(args.out) / 'loss.png'}")
    return 0
