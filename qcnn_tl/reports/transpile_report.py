r"""Transpile reports: what each QCNN template costs on a device.

For every (device, model, encoding, optimisation level) the template is transpiled once and measured:
depth, two-qubit depth, two-qubit gate count (and those of the encoding part, before the template's barrier,
the routing it needs included), every gate count, the chosen layout, and an estimated circuit fidelity from
the target's reported errors,

.. math:: F \approx \prod_{g} (1 - \varepsilon_g) \times (1 - \varepsilon_\text{readout}),

over the ISA gates :math:`g` (``rz`` is virtual, error 0) and the readout qubit's measurement error.
This is a rough product-of-errors estimate (no crosstalk, decoherence during idling, or leakage).
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from qiskit import QuantumCircuit

from qcnn_tl.backends.targets import fake_backend
from qcnn_tl.backends.transpile import transpile_for_target
from qcnn_tl.circuits import PAPER_MODELS, build_qcnn

DEFAULT_DEVICES = ("fake_brisbane", "fake_torino", "fake_sherbrooke", "fake_kyiv")


def transpile_report(
    devices: Sequence[str] = DEFAULT_DEVICES,
    *,
    models: Sequence[tuple[str, str]] = PAPER_MODELS,
    encodings: Sequence[str] = ("amplitude", "angle"),
    optimization_levels: Sequence[int] = (1,),
    seed_transpiler: int = 1234,
    layout_trials: int = 1,
    initial_layout: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """One row per (device, model, encoding, level).

    ``estimated_fidelity`` is that of the layout kept (the best of ``layout_trials`` transpiler seeds,
    or the pinned ``initial_layout``); ``default_fidelity`` that of the first seed's layout, what the
    preset pass manager picks alone.

    Raises:
        ValueError: On an unknown device, model name or level, or an invalid ``initial_layout``.
    """
    templates = {(a, p, e): build_qcnn(a, p, encoding=e) for e in encodings for a, p in models}
    rows = []
    for device in devices:
        target = fake_backend(device).target
        for (ansatz, pooling, encoding), template in templates.items():
            for level in optimization_levels:
                start = time.perf_counter()
                isa = transpile_for_target(
                    template.circuit,
                    template.observable,
                    target=target,
                    optimization_level=level,
                    seed_transpiler=seed_transpiler,
                    layout_trials=layout_trials,
                    initial_layout=initial_layout,
                )
                circuit = isa.circuit
                readout = isa.layout[template.observable.paulis[0].z.tolist().index(True)]
                rows.append(
                    {
                        "backend": device,
                        "ansatz": ansatz,
                        "pooling": pooling,
                        "encoding": encoding,
                        "optimization_level": level,
                        "num_weights": template.num_weights,
                        "depth": circuit.depth(),
                        "two_qubit_depth": circuit.depth(filter_function=lambda i: i.operation.num_qubits == 2),
                        "two_qubit_gates": sum(1 for i in circuit.data if i.operation.num_qubits == 2),
                        **_encoding_part(circuit),
                        "gate_counts": dict(circuit.count_ops()),
                        "layout": list(isa.layout),
                        "readout_physical_qubit": readout,
                        "estimated_fidelity": isa.estimated_fidelity,
                        "default_fidelity": isa.default_fidelity,
                        "seed_transpiler": isa.seed_transpiler,
                        "transpile_s": time.perf_counter() - start,
                    }
                )
    return rows


def _encoding_part(circuit: QuantumCircuit) -> dict[str, int]:
    """Two-qubit gates and depth of the encoding part: what comes before the template's barrier, routing included."""
    cut = next((i for i, inst in enumerate(circuit.data) if inst.operation.name == "barrier"), len(circuit.data))
    part = circuit.copy_empty_like()
    for inst in circuit.data[:cut]:
        part.append(inst)
    return {
        "encoding_two_qubit_gates": sum(1 for i in part.data if i.operation.num_qubits == 2),
        "encoding_depth": part.depth(),
    }


def encoding_cost(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Plain sentences: mean two-qubit gates, depth and estimated fidelity of each encoding per device."""
    lines = []
    for device in dict.fromkeys(r["backend"] for r in rows):
        for encoding in dict.fromkeys(r["encoding"] for r in rows):
            sel = [r for r in rows if r["backend"] == device and r["encoding"] == encoding]
            if sel:
                gates, depth, fidelity = (sum(r[k] for r in sel) / len(sel) for k in _COST_KEYS)
                lines.append(
                    f"{device}: {encoding} encoding averages {gates:.0f} two-qubit gates and depth {depth:.0f} "
                    f"(estimated fidelity {fidelity:.2g})"
                )
    return lines


_COST_KEYS = ("two_qubit_gates", "depth", "estimated_fidelity")


def write_csv(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Writes the rows as CSV (gate counts and layout as compact strings)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fields = list(rows[0])
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            flat = dict(row)
            flat["gate_counts"] = " ".join(f"{k}:{v}" for k, v in row["gate_counts"].items())
            flat["layout"] = " ".join(map(str, row["layout"]))
            writer.writerow(flat)
    return out


def plot_report(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Bar chart of two-qubit gate counts per model, one panel per encoding, one bar group per device."""
    encodings = list(dict.fromkeys(r["encoding"] for r in rows))
    devices = list(dict.fromkeys(r["backend"] for r in rows))
    fig = Figure(figsize=(12, 3.2 * len(encodings)))
    axes = fig.subplots(len(encodings), 1, squeeze=False)
    for ax, encoding in zip(axes[:, 0], encodings, strict=True):
        models = list(dict.fromkeys(f"{r['ansatz']}/{r['pooling']}" for r in rows if r["encoding"] == encoding))
        width = 0.8 / len(devices)
        for k, device in enumerate(devices):
            values = {
                f"{r['ansatz']}/{r['pooling']}": r["two_qubit_gates"]
                for r in rows
                if r["encoding"] == encoding and r["backend"] == device
            }
            ax.bar([i + k * width for i in range(len(models))], [values.get(m, 0) for m in models], width, label=device)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(models))], models, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("two-qubit gates")
        ax.set_title(f"{encoding} encoding")
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    return out
