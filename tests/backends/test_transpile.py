from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from qcnn_tl.backends.targets import fake_backend, ideal_estimator, noisy_target
from qcnn_tl.backends.transpile import lower_parameterized_gates, transpile_for_target
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.qnn.expectations import exact_expectations


@pytest.mark.parametrize(("ansatz", "pooling"), [("U_SU4", "zx"), ("U_6", "generalized"), ("ansatz_10", "none")])
def test_lowering_keeps_the_state(ansatz, pooling, rng):
    template = build_qcnn(ansatz, pooling, encoding="angle")
    lowered = lower_parameterized_gates(template.circuit)
    assert {i.operation.name for i in lowered.data if i.operation.params and i.operation.is_parameterized()} <= {"rz"}
    values = rng.normal(size=len(template.circuit.parameters))
    a = Statevector(lowered.assign_parameters(values)).data
    b = Statevector(template.circuit.assign_parameters(values)).data
    assert abs(abs(np.vdot(a, b)) - 1) < 1e-12


@pytest.mark.parametrize(("device", "level"), [("fake_brisbane", 3), ("fake_torino", 1)])
def test_isa_circuit_with_mapped_observable_matches_exact(device, level, rng):
    template = build_qcnn("U_SU4", "zx", encoding="angle")
    isa = transpile_for_target(
        template.circuit, template.observable, target=fake_backend(device).target, optimization_level=level
    )
    assert isa.circuit.num_qubits == fake_backend(device).num_qubits
    assert set(isa.circuit.count_ops()) - {"barrier"} <= set(fake_backend(device).target.operation_names)
    features, weights = rng.normal(size=(4, 8)), rng.normal(size=template.num_weights)
    rows = template.parameter_rows(isa.circuit.parameters, template.input_values(features), weights)
    evs = ideal_estimator().run([(isa.circuit, isa.observable, rows)]).result()[0].data.evs
    np.testing.assert_allclose(evs, exact_expectations(template, features, weights), atol=1e-9)


def test_noisy_emulation_differs_from_ideal(rng):
    template = build_qcnn("U_SU4", "zx", encoding="angle")
    isa, estimator = noisy_target(template, "fake_brisbane")
    features, weights = rng.normal(size=(4, 8)), rng.normal(size=template.num_weights)
    rows = template.parameter_rows(isa.circuit.parameters, template.input_values(features), weights)
    noisy = estimator.run([(isa.circuit, isa.observable, rows)]).result()[0].data.evs
    ideal = exact_expectations(template, features, weights)
    assert np.max(np.abs(noisy - ideal)) > 1e-3
    assert np.all(np.abs(noisy) <= np.abs(ideal) + 0.05)  # depolarising noise shrinks <Z> towards 0


def test_snapshots_rebuild_the_same_device(tmp_path):
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    from qcnn_tl.backends.snapshots import snapshot_backend, write_snapshot
    from qcnn_tl.errors import QcnnTlError

    write_snapshot(FakeTorino, tmp_path)
    rebuilt = snapshot_backend("fake_torino", tmp_path)
    original = FakeTorino()
    assert rebuilt.num_qubits == original.num_qubits
    assert rebuilt.target["cz"][(0, 1)].error == original.target["cz"][(0, 1)].error
    with pytest.raises(QcnnTlError, match=r"no noise-model snapshot of fake_brisbane .*: fake_torino.*refresh"):
        snapshot_backend("fake_brisbane", tmp_path)
    props = next((tmp_path / "fake_torino").glob("props_*.json"))
    props.write_text(props.read_text().replace("0", "1", 1))
    with pytest.raises(QcnnTlError, match="does not match its recorded hash"):
        snapshot_backend("fake_torino", tmp_path)
    props.unlink()
    with pytest.raises(QcnnTlError, match=f"lacks {props.name}"):
        snapshot_backend("fake_torino", tmp_path)


def test_every_fake_device_comes_from_a_shipped_snapshot():
    from qcnn_tl.backends.snapshots import list_snapshots, snapshot_dir
    from qcnn_tl.errors import QcnnTlError

    assert {m["device"] for m in list_snapshots()} >= {"fake_brisbane", "fake_torino", "fake_sherbrooke", "fake_kyiv"}
    assert fake_backend("fake_torino").dirname == str(snapshot_dir() / "fake_torino")
    with pytest.raises(QcnnTlError, match="no noise-model snapshot of fake_osaka"):
        fake_backend("fake_osaka")


def test_isa_circuits_are_cached_on_disk(tmp_path, rng):
    from qcnn_tl.backends import transpile as module

    target = fake_backend("fake_torino").target
    module._MEMORY.clear()
    first = transpile_for_target(*_template_parts(), target=target, cache_dir=tmp_path)
    assert len(list((tmp_path / "isa").glob("*.qpy"))) == 1
    module._MEMORY.clear()
    template = build_qcnn("U_TTN", "zx", encoding="angle")  # fresh Parameter objects
    again = transpile_for_target(template.circuit, template.observable, target=target, cache_dir=tmp_path)
    assert again.layout == first.layout and again.observable == first.observable
    assert set(again.circuit.parameters) == set(template.circuit.parameters)
    features, weights = rng.normal(size=(2, 8)), rng.normal(size=template.num_weights)
    rows = template.parameter_rows(again.circuit.parameters, template.input_values(features), weights)
    evs = ideal_estimator().run([(again.circuit, again.observable, rows)]).result()[0].data.evs
    np.testing.assert_allclose(evs, exact_expectations(template, features, weights), atol=1e-9)


def _template_parts():
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    return template.circuit, template.observable


def test_truncated_cache_entry_is_rebuilt_with_a_warning(tmp_path):
    from qcnn_tl.backends import transpile as module

    target = fake_backend("fake_torino").target
    module._MEMORY.clear()
    first = transpile_for_target(*_template_parts(), target=target, cache_dir=tmp_path)
    (entry,) = (tmp_path / "isa").glob("*.qpy")
    entry.write_bytes(entry.read_bytes()[:100])
    module._MEMORY.clear()
    with pytest.warns(UserWarning, match="unreadable .*rebuilding it"):
        again = transpile_for_target(*_template_parts(), target=target, cache_dir=tmp_path)
    assert again.layout == first.layout
    module._MEMORY.clear()
    transpile_for_target(*_template_parts(), target=target, cache_dir=tmp_path)  # rebuilt file reads cleanly


def test_execution_target_honours_cache_dir(tmp_path):
    from qcnn_tl.backends import transpile as module
    from qcnn_tl.backends.execution import execution_target
    from qcnn_tl.backends.profiles import RunProfile

    module._MEMORY.clear()
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    execution_target(template, RunProfile(backend="aer:fake_torino"), cache_dir=tmp_path / "mine")
    assert len(list((tmp_path / "mine" / "isa").glob("*.qpy"))) == 1


def test_memory_cache_hit_uses_the_callers_parameters():
    """An equal template built again has new Parameter objects; the cached ISA circuit must bind with them."""
    first = build_qcnn("U_TTN", "zx", encoding="angle")
    second = build_qcnn("U_TTN", "zx", encoding="angle")
    isa_first, _ = noisy_target(first, "fake_torino")
    isa_second, _ = noisy_target(second, "fake_torino")
    assert set(isa_first.circuit.parameters) <= set(first.circuit.parameters)
    assert set(isa_second.circuit.parameters) <= set(second.circuit.parameters)
    assert isa_second.circuit.num_parameters == isa_first.circuit.num_parameters
