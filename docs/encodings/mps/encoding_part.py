"""Two-qubit gates and depth of the encoding part (before the barrier) of the transpiled mps2-L templates."""

from qiskit import QuantumCircuit

from qcnn_tl.backends.targets import fake_backend
from qcnn_tl.backends.transpile import transpile_for_target
from qcnn_tl.circuits import build_qcnn

for device in ("fake_brisbane", "fake_torino"):
    target = fake_backend(device).target
    for name in ("mps2-1", "mps2-2", "mps2-3"):
        t = build_qcnn("U_SU4", "zx", encoding=name)
        isa = transpile_for_target(
            t.circuit, t.observable, target=target, optimization_level=1, seed_transpiler=1234, layout_trials=4
        ).circuit
        cut = next(i for i, inst in enumerate(isa.data) if inst.operation.name == "barrier")
        part = QuantumCircuit(*isa.qregs)
        for inst in isa.data[:cut]:
            part.append(inst)
        two = sum(len(i.qubits) == 2 for i in part.data)
        swaps = two - 13 * int(name[-1])
        print(
            device,
            name,
            "encoding part: 2q gates",
            two,
            "depth",
            part.depth(),
            "2q depth",
            part.depth(lambda i: len(i.qubits) == 2),
            "extra 2q beyond the staircase",
            swaps,
            "| whole:",
            isa.num_nonlocal_gates(),
            isa.depth(),
            flush=True,
        )
