"""Layout by error: scoring on the target's errors, several seeds, pinned layouts, cut devices."""

from __future__ import annotations

import numpy as np
import pytest

from qcnn_tl.backends.cost import circuit_duration, estimated_fidelity, readout_qubits
from qcnn_tl.backends.local_device import cut_to_circuit
from qcnn_tl.backends.targets import fake_backend, ideal_estimator
from qcnn_tl.backends.transpile import transpile_for_target
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.qnn.expectations import exact_expectations


@pytest.fixture(scope="module")
def template():
    return build_qcnn("U_TTN", "zx", encoding="angle")


def test_best_of_seeds_is_at_least_the_default(template):
    target = fake_backend("fake_brisbane").target
    isa = transpile_for_target(template.circuit, template.observable, target=target, layout_trials=6)
    assert isa.estimated_fidelity >= isa.default_fidelity
    first = transpile_for_target(template.circuit, template.observable, target=target)
    assert first.estimated_fidelity == pytest.approx(isa.default_fidelity)
    assert isa.estimated_fidelity == pytest.approx(
        estimated_fidelity(isa.circuit, target, readout_qubits(isa.observable))
    )


def test_pinned_layout_is_honoured(template, rng):
    target = fake_backend("fake_torino").target
    pinned = (10, 11, 12, 13, 14, 15, 16, 17)
    isa = transpile_for_target(template.circuit, template.observable, target=target, initial_layout=pinned)
    assert tuple(isa.circuit.layout.initial_index_layout()[:8]) == pinned  # where each circuit qubit starts
    assert isa.layout == tuple(isa.circuit.layout.final_index_layout())  # where routing left it (observable)
    features, weights = rng.normal(size=(3, 8)), rng.normal(size=template.num_weights)
    rows = template.parameter_rows(isa.circuit.parameters, template.input_values(features), weights)
    evs = ideal_estimator().run([(isa.circuit, isa.observable, rows)]).result()[0].data.evs
    np.testing.assert_allclose(evs, exact_expectations(template, features, weights), atol=1e-9)


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ((1, 2, 3), r"initial_layout must give one physical qubit per circuit qubit \(8\); got 3"),
        ((0, 1, 2, 3, 4, 5, 6, -1), r"initial_layout qubits must be integers in 0\.\.126; got \[-1\]"),
        ((0, 1, 2, 3, 4, 5, 6, 6), r"initial_layout names physical qubits more than once: \[6\]"),
    ],
)
def test_bad_pinned_layouts(template, layout, message):
    with pytest.raises(ValueError, match=message):
        transpile_for_target(
            template.circuit, template.observable, target=fake_backend("fake_brisbane").target, initial_layout=layout
        )


def test_cut_device_keeps_errors_and_state(template, rng):
    backend = fake_backend("fake_brisbane")
    isa = transpile_for_target(template.circuit, template.observable, target=backend.target)
    cut = cut_to_circuit(backend, isa.circuit, isa.observable)
    assert cut.circuit.num_qubits == len(cut.physical_qubits) == 8
    assert set(cut.physical_qubits) == set(isa.layout)
    a, b = cut.physical_qubits[:2]
    for (p, q), props in backend.target["ecr"].items():
        if p in cut.physical_qubits and q in cut.physical_qubits:
            i, j = cut.physical_qubits.index(p), cut.physical_qubits.index(q)
            assert cut.backend.target["ecr"][(i, j)].error == props.error
    assert cut.backend.target["measure"][(0,)].error == backend.target["measure"][(a,)].error
    assert cut.backend.target.qubit_properties[1].t1 == backend.target.qubit_properties[b].t1
    assert estimated_fidelity(cut.circuit, cut.backend.target, readout_qubits(cut.observable)) == pytest.approx(
        isa.estimated_fidelity
    )
    assert circuit_duration(cut.circuit, cut.backend.target) == pytest.approx(
        circuit_duration(isa.circuit, backend.target)
    )
    features, weights = rng.normal(size=(3, 8)), rng.normal(size=template.num_weights)
    rows = template.parameter_rows(cut.circuit.parameters, template.input_values(features), weights)
    evs = ideal_estimator().run([(cut.circuit, cut.observable, rows)]).result()[0].data.evs
    np.testing.assert_allclose(evs, exact_expectations(template, features, weights), atol=1e-9)
