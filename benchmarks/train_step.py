"""Time one training step (loss + weight gradient, batch 50, U_SU4 + ZX, amplitude encoding).

Compares, in one process:
  * exact     — qcnn_tl's torch statevector engine (the whole batch at once); also per run when the
                paper's 10 repetitions train together as replicas (what ``qcnn-tl sweep`` does);
  * reference — the stock qiskit-machine-learning route: one EstimatorQNN per sample with the
                amplitudes loaded by ``initialize``, Aer EstimatorV2, TorchConnector, default
                parameter-shift gradient. It takes minutes per step, so it is timed on
                ``--reference-samples`` samples and scaled linearly to the batch;
  * aer       — qcnn_tl's estimator module on ideal Aer (ISA template, every parameter-shift row of a
                circuit in one PUB), timed on
                ``--aer-samples`` samples and scaled likewise.
Prints the times and the speedup exact vs reference; ``--json`` prints them as JSON. ``--smoke`` times one
repeat and one sample of each slow route (seconds; what CI runs to keep the script working).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit_aer.primitives import EstimatorV2
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.neural_networks import EstimatorQNN

from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.profiles import RunProfile
from qcnn_tl.circuits import build_qcnn, trainable_circuit
from qcnn_tl.qnn.exact_model import ExactQCNN
from qcnn_tl.qnn.in_the_loop import EstimatorQCNN
from qcnn_tl.training.loop import qcnn_loss

BATCH = 50
REPLICAS = 10


def exact_step_seconds(
    features: np.ndarray,
    labels: torch.Tensor,
    weights: np.ndarray,
    repeats: int,
    *,
    replicas: int | None = None,
    warmup: int = 20,
    steps: int = 10,
) -> float:
    """Median time of one step; with ``replicas``, of one step of that many repetitions trained together
    (as ``qcnn-tl sweep`` trains the paper's 10 repetitions, each on its own batch), divided by their number."""
    template = build_qcnn("U_SU4", "zx")
    if replicas is None:
        model = ExactQCNN(template, initial_weights=weights)
        states = model.prepare(features)
    else:
        model = ExactQCNN(template, initial_weights=np.tile(weights, (replicas, 1)), replicas=replicas)
        more = np.random.default_rng(1).normal(size=((replicas - 1) * BATCH, features.shape[1]))
        states = model.prepare(np.concatenate([features, more])).view(replicas, BATCH, -1)
    labels_in = labels if replicas is None else labels.repeat(replicas, 1)

    def step() -> None:
        loss = qcnn_loss(model(states), labels_in, loss="cross_entropy", reduction="sum").sum()
        model.weight.grad = None
        loss.backward()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times) / (replicas or 1)


def reference_step_seconds(features: np.ndarray, labels: torch.Tensor, weights: np.ndarray, samples: int) -> float:
    body, weight_params = trainable_circuit("U_SU4", "zx")
    observable = build_qcnn("U_SU4", "zx").observable
    order = [int(format(k, "08b")[::-1], 2) for k in range(256)]
    start = time.perf_counter()
    for x, y in zip(features[:samples], labels[:samples], strict=True):
        amplitudes = np.zeros(256)
        amplitudes[order] = x / np.linalg.norm(x)
        qc = QuantumCircuit(8)
        qc.initialize(amplitudes, range(8))
        qc.compose(body, inplace=True)
        qnn = EstimatorQNN(
            circuit=qc,
            estimator=EstimatorV2(),
            observables=observable,
            input_params=[],
            weight_params=list(weight_params),
            default_precision=0.0,
        )
        model = TorchConnector(qnn, initial_weights=weights)
        loss = qcnn_loss(model(torch.empty(0))[0], y[None], loss="cross_entropy", reduction="sum")
        loss.backward()
    return (time.perf_counter() - start) / samples * BATCH


def aer_step_seconds(features: np.ndarray, labels: torch.Tensor, weights: np.ndarray, samples: int) -> float:
    template = build_qcnn("U_SU4", "zx")
    target = execution_target(template, RunProfile(backend="aer", shots=0))
    model = EstimatorQCNN(template, target, gradient="param-shift", initial_weights=weights)
    prepared = model.prepare(features[:samples])
    start = time.perf_counter()
    loss = qcnn_loss(model(prepared), labels[:samples], loss="cross_entropy", reduction="sum")
    loss.backward()
    return (time.perf_counter() - start) / samples * BATCH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference-samples", type=int, default=2)
    parser.add_argument("--aer-samples", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="one repeat, one sample per slow route (seconds)")
    args = parser.parse_args()
    warmup, steps = (1, 1) if args.smoke else (20, 10)
    if args.smoke:
        args.repeats, args.reference_samples, args.aer_samples = 1, 1, 1
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(BATCH, 256))
    labels = torch.tensor(rng.integers(0, 2, BATCH))
    weights = rng.normal(size=51)
    exact = exact_step_seconds(features, labels, weights, args.repeats, warmup=warmup, steps=steps)
    per_run = exact_step_seconds(features, labels, weights, args.repeats, replicas=REPLICAS, warmup=warmup, steps=steps)
    aer = aer_step_seconds(features, labels, weights, args.aer_samples)
    reference = reference_step_seconds(features, labels, weights, args.reference_samples)
    result = {
        "exact_step_s": exact,
        "reference_step_s": reference,
        "speedup": reference / exact,
        "exact_step_per_run_with_replicas_s": per_run,
        "speedup_with_replicas": reference / per_run,
        "replicas": REPLICAS,
        "aer_step_s": aer,
        "reference_samples_timed": args.reference_samples,
        "aer_samples_timed": args.aer_samples,
        "threads": args.threads,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"one training step, batch {BATCH}, U_SU4 + ZX, amplitude encoding, {args.threads} torch threads")
    print(f"  exact engine           {exact * 1e3:10.2f} ms  (median of {args.repeats} x {steps} steps)")
    print(
        f"  exact, {REPLICAS} replicas   {per_run * 1e3:10.2f} ms  per run and step "
        f"({REPLICAS} repetitions trained together)"
    )
    print(f"  qcnn_tl Aer engine     {aer:10.2f} s   (timed on {args.aer_samples} samples, scaled to {BATCH})")
    print(
        f"  stock QML route        {reference:10.2f} s   (timed on {args.reference_samples} samples, scaled to {BATCH})"
    )
    print(f"  speedup exact vs stock {reference / exact:10.0f} x")
    print(f"  speedup exact with {REPLICAS} replicas vs stock {reference / per_run:8.0f} x (per run)")
    print(f"  speedup Aer engine vs stock {reference / aer:5.1f} x")


if __name__ == "__main__":
    main()
