"""Noisy evaluation and noisy training, noisy engine vs Aer's density-matrix simulator, in one process.

U_SU4 + ZX on fake_brisbane (optimisation level 1), MNIST 0 vs 1 test split (2,115 samples, the real CNN
features; the CNNs are pre-trained into the cache on first use):

  (a) ⟨Z⟩ of every test sample, angle and amplitude encoding: the noisy engine on all of them; Aer's
      density-matrix ``EstimatorV2`` (exact mode) on a subset, scaled linearly to the split. The values of
      the subset are compared (max |Δ⟨Z⟩|).
  (b) One training step under noise (angle encoding, batch 50: loss and weight gradient): the noisy engine
      (encoded pool prepared once, as training does) vs the stock route — Aer's density-matrix estimator with
      the parameter-shift rule, one forward row and two shifted rows per parameterised gate occurrence per
      sample, timed on a subset of rows and scaled to the step's rows.

Prints the times and ratios; ``--json`` prints them as one JSON object. Single torch thread by default.
``--smoke`` replaces the test split by a few random feature vectors and times one sample or row of each stock
route (seconds, no dataset or CNN needed; what CI runs to keep the script working).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
from qiskit.circuit import Parameter

from qcnn_tl.backends.targets import fake_backend, noisy_target
from qcnn_tl.backends.transpile import IsaCircuit
from qcnn_tl.circuits import QCNNTemplate, build_qcnn
from qcnn_tl.cnn.task_data import task_data
from qcnn_tl.qnn.gradient import ShiftPlan
from qcnn_tl.qnn.noisy import DeviceNoise, NoisyQCNN, device_noise
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.loop import qcnn_loss

DEVICE = "fake_brisbane"
BATCH = 50
SMOKE_SAMPLES = BATCH


def features(encoding: str, data_dir: str | None, *, smoke: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The MNIST 0/1 test split's CNN features and labels; with ``smoke``, random ones of the same width."""
    if smoke:
        width = build_qcnn("U_SU4", "zx", encoding=encoding).num_features
        rng = np.random.default_rng(0)
        x = torch.as_tensor(rng.uniform(0, 1, size=(SMOKE_SAMPLES, width)))
        return x, torch.as_tensor(rng.integers(0, 2, SMOKE_SAMPLES))
    data = task_data(TrainConfig(encoding=encoding, task="0,1"), data_dir=data_dir, progress=False)
    return data.test_features, data.test_labels


def evaluation(
    encoding: str, data_dir: str | None, aer_samples: int, noise: DeviceNoise, *, smoke: bool = False
) -> dict[str, float]:
    x, _ = features(encoding, data_dir, smoke=smoke)
    template = build_qcnn("U_SU4", "zx", encoding=encoding)
    isa, estimator = noisy_target(template, DEVICE)
    weights = np.random.default_rng(0).normal(size=template.num_weights)
    start = time.perf_counter()
    model = NoisyQCNN(template, isa, noise, initial_weights=weights)
    with torch.no_grad():
        values = model(model.prepare(x)).numpy()
    ours = time.perf_counter() - start
    rows = template.parameter_rows(isa.circuit.parameters, template.input_values(x[:aer_samples].numpy()), weights)
    start = time.perf_counter()
    aer = estimator.run([(isa.circuit, isa.observable, rows)]).result()[0].data.evs
    aer_s = (time.perf_counter() - start) * len(x) / aer_samples
    return {"ours": ours, "aer": aer_s, "diff": float(np.abs(aer - values[:aer_samples]).max()), "n": len(x)}


def train_step(
    data_dir: str | None, aer_rows: int, repeats: int, noise: DeviceNoise, *, smoke: bool = False
) -> dict[str, float]:
    x, y = features("angle", data_dir, smoke=smoke)
    template = build_qcnn("U_SU4", "zx", encoding="angle")
    isa, estimator = noisy_target(template, DEVICE)
    weights = np.random.default_rng(0).normal(size=template.num_weights)
    model = NoisyQCNN(template, isa, noise, initial_weights=weights)
    batch = model.prepare(x[:BATCH])
    labels = y[:BATCH]

    def step() -> None:
        loss = qcnn_loss(model(batch), labels, loss="cross_entropy", reduction="sum")
        model.weight.grad = None
        loss.backward()

    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    plan = ShiftPlan(isa.circuit)
    occurrences = int(
        np.count_nonzero(np.any(plan.coefs[:, [plan.params.index(p) for p in _weights(isa, template)]], axis=1))
    )
    rows_per_step = BATCH * (1 + 2 * occurrences)
    rows = template.parameter_rows(isa.circuit.parameters, template.input_values(x[:aer_rows].numpy()), weights)
    start = time.perf_counter()
    estimator.run([(isa.circuit, isa.observable, rows)]).result()
    per_row = (time.perf_counter() - start) / aer_rows
    return {"ours": statistics.median(times), "stock": per_row * rows_per_step, "rows": rows_per_step}


def _weights(isa: IsaCircuit, template: QCNNTemplate) -> list[Parameter]:
    names = {p.name for p in template.weight_params}
    return [p for p in isa.circuit.parameters if p.name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--aer-angle-samples", type=int, default=40)
    parser.add_argument("--aer-amplitude-samples", type=int, default=4)
    parser.add_argument("--aer-rows", type=int, default=40, help="Aer rows timed for the stock training step")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-amplitude", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="random features, one stock sample/row (seconds)")
    args = parser.parse_args()
    if args.smoke:
        args.aer_angle_samples = args.aer_amplitude_samples = args.aer_rows = args.repeats = 1
    torch.set_num_threads(args.threads)
    noise = device_noise(fake_backend(DEVICE))
    angle = evaluation("angle", args.data_dir, args.aer_angle_samples, noise, smoke=args.smoke)
    amplitude = (
        None
        if args.skip_amplitude
        else evaluation("amplitude", args.data_dir, args.aer_amplitude_samples, noise, smoke=args.smoke)
    )
    step = train_step(args.data_dir, args.aer_rows, args.repeats, noise, smoke=args.smoke)
    report = {
        "device": DEVICE,
        "test_samples": angle["n"],
        "threads": args.threads,
        "angle_eval_s": angle["ours"],
        "aer_angle_eval_s": angle["aer"],
        "amplitude_eval_s": amplitude["ours"] if amplitude else None,
        "aer_amplitude_eval_s": amplitude["aer"] if amplitude else None,
        "max_abs_diff_vs_aer": max(angle["diff"], amplitude["diff"] if amplitude else 0.0),
        "noisy_train_step_s": step["ours"],
        "stock_train_step_s": step["stock"],
        "stock_rows_per_step": step["rows"],
    }
    if args.json:
        print(json.dumps(report))
        return
    samples = "random feature vectors (--smoke)" if args.smoke else "MNIST 0/1 test samples"
    print(f"noisy evaluation of the {angle['n']} {samples} on {DEVICE} (U_SU4 + ZX), {args.threads} thread(s)")
    print(
        f"  angle      noisy engine {angle['ours']:8.2f} s   Aer density matrix {angle['aer']:9.1f} s"
        f"   ratio {angle['aer'] / angle['ours']:7.1f} x"
    )
    if amplitude:
        print(
            f"  amplitude  noisy engine {amplitude['ours']:8.2f} s   Aer density matrix {amplitude['aer']:9.1f} s"
            f"   ratio {amplitude['aer'] / amplitude['ours']:7.1f} x"
        )
    print(f"  max |Δ⟨Z⟩| vs Aer on the timed subsets: {report['max_abs_diff_vs_aer']:.1e}")
    print(
        f"training step under noise (angle, batch {BATCH}): noisy engine {step['ours'] * 1e3:.1f} ms,"
        f" stock Aer + parameter shift {step['stock']:.0f} s ({step['rows']} rows),"
        f" ratio {step['stock'] / step['ours']:,.0f} x"
    )


if __name__ == "__main__":
    main()
