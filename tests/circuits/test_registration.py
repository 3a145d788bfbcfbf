"""Users' own blocks: registration, their circuits against gates written out, storing and restoring them."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from qiskit.circuit import Gate, Parameter, ParameterVector, QuantumCircuit
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Operator, Statevector

from qcnn_tl.circuits import (
    ANSATZES,
    ENCODINGS,
    POOLINGS,
    Ansatz,
    BlockDefinition,
    Encoding,
    Pooling,
    block_definitions,
    build_qcnn,
    register_ansatz,
    register_encoding,
    register_pooling,
    restore_blocks,
    trainable_circuit,
)
from tests.circuits.test_ansatz import CZ, on_a, on_b, pooling_reference, product, rx, ry, rz

pytestmark = pytest.mark.usefixtures("registries")


def ry_rz_cz_ry() -> QuantumCircuit:
    """The test's own convolution block: RY(t0) a, RZ(t1) b, CZ, RY(t2) a, RY(t3) b."""
    return ry_rz_cz_ry_of(ParameterVector("t", 4))


def ry_rz_cz_ry_of(t) -> QuantumCircuit:
    """The same block as a function of its weights."""
    qc = QuantumCircuit(2)
    qc.ry(t[0], 0)
    qc.rz(t[1], 1)
    qc.cz(0, 1)
    qc.ry(t[2], 0)
    qc.ry(t[3], 1)
    return qc


def ry_rz_cz_ry_reference(t):
    return product(on_a(ry(t[0])), on_b(rz(t[1])), CZ, on_a(ry(t[2])), on_b(ry(t[3])))


def zx_pooling_circuit() -> QuantumCircuit:
    """The paper's ZX pooling written by hand as the user's own: CRZ, X on the control, CRX."""
    p = ParameterVector("p", 2)
    qc = QuantumCircuit(2)
    qc.crz(p[0], 0, 1)
    qc.x(0)
    qc.crx(p[1], 0, 1)
    return qc


def rx_encoding(num_qubits: int = 8) -> QuantumCircuit:
    x = ParameterVector("x", num_qubits)
    qc = QuantumCircuit(num_qubits)
    for q in range(num_qubits):
        qc.rx(x[q], q)
    return qc


def statevector_ev(template, inputs, weights) -> float:
    values = dict(zip((*template.input_params, *template.weight_params), [*inputs, *weights], strict=True))
    return Statevector(template.circuit.assign_parameters(values)).expectation_value(template.observable).real


class TestAnsatz:
    def test_block_matches_written_out_gates(self, rng):
        ansatz = register_ansatz("ryrz_cz", ry_rz_cz_ry())
        assert ansatz.num_params == 4 and ANSATZES["ryrz_cz"] is ansatz
        for _ in range(3):
            t = rng.uniform(-np.pi, np.pi, 4)
            np.testing.assert_allclose(Operator(ansatz.circuit(list(t))).data, ry_rz_cz_ry_reference(t), atol=1e-12)

    def test_weights_follow_circuit_parameters_order(self):
        b, a = Parameter("b"), Parameter("a")
        qc = QuantumCircuit(2)
        qc.ry(b, 0)
        qc.rx(a, 1)
        ansatz = Ansatz.from_circuit("named", qc)
        np.testing.assert_allclose(Operator(ansatz.circuit([0.3, 1.1])).data, on_b(rx(0.3)) @ on_a(ry(1.1)), atol=1e-12)

    def test_function_block_is_the_same_block(self, rng):
        from_function = register_ansatz("ryrz_fn", ry_rz_cz_ry_of, num_params=4)
        t = rng.uniform(-np.pi, np.pi, 4)
        np.testing.assert_allclose(Operator(from_function.circuit(list(t))).data, ry_rz_cz_ry_reference(t), atol=1e-12)
        assert from_function.build == Ansatz.from_circuit("other", ry_rz_cz_ry()).build

    def test_custom_and_matrix_gates_are_unrolled_to_standard_gates(self, rng):
        t = ParameterVector("t", 2)
        inner = QuantumCircuit(2, name="my_gate")
        inner.rxx(t[0], 0, 1)
        inner.ry(t[1], 0)
        fixed = UnitaryGate(np.kron(ry(0.4), rx(-1.2)))
        qc = QuantumCircuit(2)
        qc.append(inner.to_gate(), [1, 0])
        qc.append(fixed, [0, 1])
        ansatz = register_ansatz("custom_gates", qc)
        names = {inst.operation.name for inst in ansatz.circuit([0.1, 0.2]).data}
        assert names <= {"rxx", "ry", "u", "cx", "u3", "rz", "sx", "x", "global_phase"}, names
        values = rng.uniform(-np.pi, np.pi, 2)
        expected = Operator(qc.assign_parameters(values))
        assert Operator(ansatz.circuit(list(values))).equiv(expected, atol=1e-10)

    def test_an_entry_built_with_custom_gates_gives_a_template_of_standard_gates(self, rng):
        class MyRzx(Gate):
            def __init__(self, theta):
                super().__init__("my_rzx", 2, [theta])

            def _define(self):
                qc = QuantumCircuit(2)
                qc.rzx(self.params[0], 0, 1)
                self.definition = qc

        def build(qc, w, a, b):
            qc.append(MyRzx(w[0]), [a, b])

        template = build_qcnn(Ansatz("raw", 1, build), "zx", encoding="angle")
        assert {inst.operation.name for inst in template.circuit.data} == {"ry", "rzx", "crz", "crx", "x", "barrier"}
        assert template.circuit.num_parameters == 8 + 3 + 6
        x, w = rng.normal(size=8), rng.normal(size=template.num_weights)
        reference = build_qcnn(Ansatz("by_hand", 1, lambda qc, w, a, b: qc.rzx(w[0], a, b)), "zx", encoding="angle")
        assert statevector_ev(template, x, w) == pytest.approx(statevector_ev(reference, x, w), abs=1e-12)

    def test_template_matches_statevector_of_the_gates_written_out(self, rng):
        """The registered block in a whole template against the same block as a hand-written build function."""
        register_ansatz("ryrz_cz", ry_rz_cz_ry())

        def by_hand(qc, t, a, b):
            qc.ry(t[0], a)
            qc.rz(t[1], b)
            qc.cz(a, b)
            qc.ry(t[2], a)
            qc.ry(t[3], b)

        ours = build_qcnn("ryrz_cz", "zx", encoding="angle")
        reference = build_qcnn(Ansatz("by_hand", 4, by_hand), "zx", encoding="angle")
        assert ours.num_weights == reference.num_weights == 3 * 4 + 3 * 2
        assert (ours.ansatz, ours.name) == ("ryrz_cz", "angle_ryrz_cz_zx")
        for _ in range(3):
            x, w = rng.normal(size=8), rng.normal(size=ours.num_weights)
            assert statevector_ev(ours, x, w) == pytest.approx(statevector_ev(reference, x, w), abs=1e-12)

    def test_reregistering_the_same_block_is_a_no_op(self):
        first = register_ansatz("ryrz_cz", ry_rz_cz_ry())
        assert register_ansatz("ryrz_cz", ry_rz_cz_ry()) is first
        encoding = register_encoding("rx8", rx_encoding())
        assert register_encoding("rx8", rx_encoding()) is encoding
        pooling = register_pooling("my_zx", zx_pooling_circuit())
        assert register_pooling("my_zx", zx_pooling_circuit()) is pooling

    def test_builtins_are_unchanged_and_kept(self):
        assert list(ANSATZES)[:11] == [
            *("Con_Z", "U_TTN", "U_9", "U_15", "U_13", "U_14", "U_SO4", "U_5", "U_6", "U_SU4", "ansatz_10")
        ]
        with pytest.raises(ValueError, match=r"^ansatz name must not be a built-in's; got 'U_SU4'"):
            register_ansatz("U_SU4", ry_rz_cz_ry())
        with pytest.raises(ValueError, match=r"^ansatz must not take the name of a different registered ansatz"):
            build_qcnn(Ansatz.from_circuit("U_SU4", ry_rz_cz_ry()), "zx")


class TestBadBlocks:
    @pytest.mark.parametrize(
        ("block", "kwargs", "message"),
        [
            (QuantumCircuit(3), {}, r"^block must act on 2 qubits; got a circuit on 3$"),
            ("cz", {}, r"^block must be a QuantumCircuit on 2 qubits or a function θ -> QuantumCircuit; got str$"),
            (ry_rz_cz_ry(), {"num_params": 3}, r"^num_params must be left out or equal the block's 4 parameters"),
            (
                lambda t: ry_rz_cz_ry(),
                {"num_params": 4},
                r"^block\(θ\) must use exactly the 4 parameters θ it is given",
            ),
            (lambda t: QuantumCircuit(2), {}, r"^num_params must be a positive integer for a function block; got None"),
            (lambda t: "qc", {"num_params": 1}, r"^block\(θ\) must return a QuantumCircuit; got str$"),
        ],
    )
    def test_bad_block_is_one_line(self, block, kwargs, message):
        with pytest.raises((ValueError, TypeError), match=message):
            register_ansatz("bad", block, **kwargs)
        assert "bad" not in ANSATZES

    def test_non_unitary_instructions_are_refused(self):
        measured = QuantumCircuit(2, 1)
        measured.measure(0, 0)
        with pytest.raises(ValueError, match=r"^block must hold quantum gates only; got 1 classical bits$"):
            register_ansatz("bad", measured)
        reset = QuantumCircuit(2)
        reset.reset(0)
        with pytest.raises(ValueError, match=r"^block must hold unitary gates only; got 'reset'$"):
            register_pooling("bad", reset)

    def test_symbols_other_than_parameters_are_refused(self):
        from qiskit.circuit.classical import expr, types

        qc = QuantumCircuit(2, inputs=[expr.Var.new("flag", types.Bool())])
        qc.ry(Parameter("a"), 0)
        with pytest.raises(ValueError, match=r"^block must have no symbols but its parameters; got .* \['flag'\]$"):
            register_ansatz("bad", qc)

    def test_gate_without_definition_or_matrix_is_named(self):
        qc = QuantumCircuit(2)
        qc.append(Gate("opaque", 2, [Parameter("a")]), [0, 1])
        with pytest.raises(ValueError, match=r"^block must hold gates with a definition or a matrix; got 'opaque'"):
            register_ansatz("bad", qc)

    def test_names_must_be_plain_and_free(self):
        with pytest.raises(ValueError, match=r"^ansatz name must start with a letter .*; got 'a/b'$"):
            register_ansatz("a/b", ry_rz_cz_ry())
        register_ansatz("mine", ry_rz_cz_ry())
        with pytest.raises(ValueError, match=r"^ansatz 'mine' is already registered with a different definition"):
            register_ansatz("mine", zx_pooling_circuit())

    def test_entry_and_block_together_are_refused(self):
        with pytest.raises(TypeError, match=r"^register_ansatz takes an Ansatz alone"):
            register_ansatz(Ansatz.from_circuit("x", ry_rz_cz_ry()), ry_rz_cz_ry())
        with pytest.raises(TypeError, match=r"needs the ansatz's circuit \(or function\) too"):
            register_ansatz("x")


class TestPooling:
    def test_own_zx_pooling_is_the_builtin(self, rng):
        pooling = register_pooling("my_zx", zx_pooling_circuit(), label="ZX by hand")
        assert (POOLINGS["my_zx"].label, pooling.num_params) == ("ZX by hand", 2)
        t = rng.uniform(-np.pi, np.pi, 2)
        np.testing.assert_allclose(Operator(pooling.circuit(list(t))).data, pooling_reference("zx", t), atol=1e-12)
        ours, builtin = build_qcnn("U_SU4", "my_zx", encoding="angle"), build_qcnn("U_SU4", "zx", encoding="angle")
        x, w = rng.normal(size=8), rng.normal(size=builtin.num_weights)
        assert statevector_ev(ours, x, w) == pytest.approx(statevector_ev(builtin, x, w), abs=1e-12)

    def test_pooling_without_circuit_is_refused(self):
        with pytest.raises(ValueError, match=r"^pooling must have a build \(a circuit\); got 'nothing'"):
            register_pooling(Pooling("nothing", 0, None, "no pooling"))


class TestEncoding:
    def test_own_encoding_in_a_template(self, rng):
        encoding = register_encoding("rx8", rx_encoding())
        template = build_qcnn("U_TTN", "zx", encoding="rx8")
        assert (encoding.num_features(8), template.num_features, template.encoding) == (8, 8, "rx8")
        features = rng.normal(size=(2, 8))
        np.testing.assert_array_equal(template.input_values(features), features)
        trainable, weight_params = trainable_circuit("U_TTN", "zx")
        w = rng.normal(size=len(weight_params))
        by_hand = QuantumCircuit(8)
        for q in range(8):
            by_hand.rx(features[0, q], q)
        by_hand.compose(trainable.assign_parameters(dict(zip(weight_params, w, strict=True))), inplace=True)
        expected = Statevector(by_hand).expectation_value(template.observable).real
        assert statevector_ev(template, features[0], w) == pytest.approx(expected, abs=1e-12)

    def test_input_values_function_and_width(self, rng):
        encoding = Encoding.from_circuit(
            "rx4_sum", rx_encoding(4), input_values=lambda f: f[:, :4] + f[:, 4:], num_features=8
        )
        features = rng.normal(size=(3, 8))
        assert encoding.num_features(4) == 8
        np.testing.assert_allclose(encoding.input_values(features), features[:, :4] + features[:, 4:])
        wrong = Encoding.from_circuit("rx4_bad", rx_encoding(4), input_values=lambda f: f, num_features=8)
        with pytest.raises(
            ValueError, match=r"^rx4_bad encoding's input_values must return shape \(3, 4\); got \(3, 8\)$"
        ):
            wrong.input_values(features)

    @pytest.mark.parametrize(
        ("circuit", "kwargs", "message"),
        [
            (QuantumCircuit(3), {}, r"power-of-two number of qubits ≥ 2 \(4, 8, 16\); got 3$"),
            (QuantumCircuit(4), {}, r"^encoding circuit must have parameters \(the inputs\); got a circuit with none$"),
            (
                rx_encoding(4),
                {"num_features": 5},
                r"^num_features must be left out or equal the circuit's 4 parameters",
            ),
            (rx_encoding(4), {"input_values": 3}, r"^input_values must be a function of the features; got int$"),
        ],
    )
    def test_bad_encoding_is_one_line(self, circuit, kwargs, message):
        with pytest.raises((ValueError, TypeError), match=message):
            register_encoding("bad", circuit, **kwargs)
        assert "bad" not in ENCODINGS

    def test_parameters_named_like_the_weights_are_refused(self):
        qc = QuantumCircuit(2)
        qc.ry(ParameterVector("w", 1)[0], 0)
        with pytest.raises(ValueError, match=r"^encoding circuit parameters must not be named like the weights 'w'"):
            register_encoding("bad", qc)

    def test_qubit_count_must_be_the_templates(self):
        register_encoding("rx4", rx_encoding(4))
        with pytest.raises(ValueError, match=r"^rx4 encoding is defined on 4 qubits; got num_qubits=8$"):
            build_qcnn("U_TTN", "zx", encoding="rx4")
        assert build_qcnn("U_TTN", "zx", encoding="rx4", num_qubits=4).num_features == 4


class TestDefinitions:
    def test_builtins_need_no_definition(self):
        assert block_definitions("U_SU4", "zx", "amplitude") == ()

    def test_definitions_round_trip_through_json_and_restore(self, rng):
        register_ansatz("ryrz_cz", ry_rz_cz_ry())
        register_pooling("my_zx", zx_pooling_circuit())
        register_encoding("rx8", rx_encoding())
        stored = block_definitions("ryrz_cz", "my_zx", "rx8")
        assert [(d.kind, d.name, d.num_params, d.num_features, d.missing) for d in stored] == [
            ("ansatz", "ryrz_cz", 4, None, None),
            ("pooling", "my_zx", 2, None, None),
            ("encoding", "rx8", 8, 8, None),
        ]
        read = tuple(BlockDefinition.from_json(json.loads(json.dumps(d.to_json()))) for d in stored)
        assert read == stored
        restore_blocks(read)  # the same blocks are registered: a no-op
        renamed = [replace(d, name=f"{d.name}_copy") for d in read]
        restore_blocks(renamed)
        original = build_qcnn("ryrz_cz", "my_zx", encoding="rx8")
        copy = build_qcnn("ryrz_cz_copy", "my_zx_copy", encoding="rx8_copy")
        x, w = rng.normal(size=8), rng.normal(size=original.num_weights)
        assert statevector_ev(copy, x, w) == pytest.approx(statevector_ev(original, x, w), abs=1e-12)

    def test_a_different_block_under_the_same_name_is_refused(self):
        register_ansatz("ryrz_cz", ry_rz_cz_ry())
        [stored] = block_definitions("ryrz_cz", "zx", "angle")
        other = ry_rz_cz_ry()
        other.x(0)
        forged = replace(stored, qpy=block_definitions(Ansatz.from_circuit("ryrz_cz2", other), "zx", "angle")[0].qpy)
        with pytest.raises(ValueError, match=r"^ansatz 'ryrz_cz' is registered here with a different definition"):
            restore_blocks([forged])

    def test_python_input_values_are_missing_and_named(self):
        register_encoding("rx4_sum", rx_encoding(4), input_values=lambda f: f[:, :4] + f[:, 4:], num_features=8)
        [stored] = block_definitions("U_TTN", "zx", "rx4_sum", num_qubits=4)
        assert (stored.missing, stored.num_features, stored.num_params) == ("input_values (a Python function)", 8, 4)
        restore_blocks([stored])  # registered in this process: fine
        with pytest.raises(ValueError, match=r"encoding 'elsewhere' cannot be rebuilt .*: its input_values \(a Python"):
            restore_blocks([replace(stored, name="elsewhere")])

    def test_damaged_definitions_are_named(self):
        with pytest.raises(ValueError, match=r"^block definition lacks field\(s\) \['qpy'\]$"):
            BlockDefinition.from_json({"kind": "ansatz", "name": "a", "num_params": 1})
        with pytest.raises(ValueError, match=r"^ansatz 'a': qpy is not one circuit in base64 QPY"):
            BlockDefinition("ansatz", "a", 1, "bm90IHFweQ==").circuit()

    def test_a_fresh_process_rebuilds_the_template(self, rng):
        register_ansatz("ryrz_cz", ry_rz_cz_ry())
        stored = json.dumps([d.to_json() for d in block_definitions("ryrz_cz", "zx", "angle")])
        x, w = rng.normal(size=8), rng.normal(size=18)
        script = (
            "import json, sys; from qiskit.quantum_info import Statevector; from qcnn_tl.circuits import *\n"
            "restore_blocks(BlockDefinition.from_json(d) for d in json.loads(sys.argv[1]))\n"
            "t = build_qcnn('ryrz_cz', 'zx', encoding='angle')\n"
            "v = dict(zip((*t.input_params, *t.weight_params), json.loads(sys.argv[2])))\n"
            "print(Statevector(t.circuit.assign_parameters(v)).expectation_value(t.observable).real)\n"
        )
        values = json.dumps([*x, *w])
        out = subprocess.run([sys.executable, "-c", script, stored, values], capture_output=True, text=True, check=True)
        expected = statevector_ev(build_qcnn("ryrz_cz", "zx", encoding="angle"), x, w)
        assert float(out.stdout) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("module", ["registration", "ansatz", "encoding.base"])
def test_docstring_examples(module):
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(f"qcnn_tl.circuits.{module}")).failed == 0
