"""Transpiler seeds 1..20 (one layout trial each): two-qubit gates of mps2-1 + U_SU4 + ZX and SWAPs in its encoding."""

from qcnn_tl.backends.targets import fake_backend
from qcnn_tl.backends.transpile import transpile_for_target
from qcnn_tl.circuits import build_qcnn

t = build_qcnn("U_SU4", "zx", encoding="mps2-1")
for device in ("fake_brisbane", "fake_torino"):
    target = fake_backend(device).target
    rows = []
    for seed in range(1, 21):
        isa = transpile_for_target(
            t.circuit, t.observable, target=target, optimization_level=1, seed_transpiler=seed
        ).circuit
        cut = next(i for i, inst in enumerate(isa.data) if inst.operation.name == "barrier")
        rows.append((isa.num_nonlocal_gates(), sum(len(i.qubits) == 2 for i in isa.data[:cut])))
    print(
        device,
        "whole 2q min/median/max",
        min(r[0] for r in rows),
        sorted(r[0] for r in rows)[10],
        max(r[0] for r in rows),
        "| seeds with no SWAP in the encoding:",
        sum(r[1] == 13 for r in rows),
        "/ 20",
        flush=True,
    )
