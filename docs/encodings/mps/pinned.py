"""mps2-1 + U_SU4 + ZX with the layout pinned to the device line 0-1-...-7 (site j on physical qubit j)."""

import itertools

from qcnn_tl.backends.targets import fake_backend
from qcnn_tl.backends.transpile import transpile_for_target
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.circuits.encoding.mps import LINE_8

t = build_qcnn("U_SU4", "zx", encoding="mps2-1")
for device in ("fake_brisbane", "fake_torino"):
    b = fake_backend(device)
    edges = set(map(tuple, b.coupling_map.get_edges()))
    path = list(range(8))
    assert all((a, c) in edges or (c, a) in edges for a, c in itertools.pairwise(path)), path
    layout = [path[LINE_8.index(v)] for v in range(8)]
    for seed in (1234, 1, 2, 3):
        isa = transpile_for_target(
            t.circuit, t.observable, target=b.target, optimization_level=1, seed_transpiler=seed, initial_layout=layout
        ).circuit
        cut = next(i for i, inst in enumerate(isa.data) if inst.operation.name == "barrier")
        print(
            device,
            "pinned",
            layout,
            "seed",
            seed,
            "whole",
            isa.num_nonlocal_gates(),
            "depth",
            isa.depth(),
            "encoding",
            sum(len(i.qubits) == 2 for i in isa.data[:cut]),
            flush=True,
        )
