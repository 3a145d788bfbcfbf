from __future__ import annotations

import numpy as np
import pytest
from qiskit.circuit import Parameter

from qcnn_tl.circuits import PAPER_MODELS, build_qcnn, qcnn_layout, readout_qubit, trainable_circuit

PAPER_LAYOUT = [
    (
        [(0, 7), (0, 1), (2, 3), (4, 5), (6, 7), (1, 2), (3, 4), (5, 6)],
        [(1, 0), (3, 2), (5, 4), (7, 6)],
    ),
    ([(0, 6), (0, 2), (4, 6), (2, 4)], [(2, 0), (6, 4)]),
    ([(0, 4)], [(0, 4)]),
]


def test_layout_is_the_papers():
    assert [(list(lv.conv_pairs), list(lv.pool_pairs)) for lv in qcnn_layout(8)] == PAPER_LAYOUT
    assert readout_qubit(8) == 4


@pytest.mark.parametrize("n", [2, 4, 16])
def test_layout_generalises(n):
    levels = qcnn_layout(n)
    assert len(levels) == int(np.log2(n))
    discarded = [c for level in levels for c, _ in level.pool_pairs]
    assert sorted([*discarded, readout_qubit(n)]) == list(range(n))


def test_template_touches_the_layout_pairs_in_order():
    circuit, _ = trainable_circuit("U_TTN", "zx")
    pairs = []
    for inst in circuit.data:
        if inst.operation.name in ("cx", "crz"):
            pairs.append(tuple(circuit.find_bit(q).index for q in inst.qubits))
    expected = []
    for conv, pool in PAPER_LAYOUT:
        expected += conv + pool
    assert pairs == expected


@pytest.mark.parametrize(
    ("ansatz", "pooling", "count"),
    [
        ("U_SU4", "zx", 51),
        ("U_SU4", "generalized", 63),
        ("U_SU4", "none", 45),
        ("U_TTN", "zx", 12),
        ("U_TTN", "generalized", 24),
        ("Con_Z", "zx", 6),
        ("Con_Z", "generalized", 18),
        ("U_15", "zx", 18),
        ("U_5", "generalized", 48),
        ("ansatz_10", "none", 27),
    ],
)
def test_weight_counts_match_the_papers_totals(ansatz, pooling, count):
    assert build_qcnn(ansatz, pooling).num_weights == count


def test_weight_order_is_conv_levels_then_pool_levels():
    circuit, w = trainable_circuit("U_TTN", "zx")
    first_use = {}
    for position, inst in enumerate(circuit.data):
        for p in inst.operation.params:
            for param in getattr(p, "parameters", ()):
                first_use.setdefault(param, position)
    # conv level 2 (w[2:4]) is applied after pool level 1 (w[6:8]) but comes first in the vector
    assert first_use[w[2]] > first_use[w[6]]
    assert [p.name for p in w] == [f"w[{i}]" for i in range(12)]


def test_paper_models_cover_the_grid():
    assert len(PAPER_MODELS) == 22
    assert ("U_SU4", "none") in PAPER_MODELS and ("ansatz_10", "none") in PAPER_MODELS


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_qubits must be a power of two"):
        build_qcnn(num_qubits=6)
    with pytest.raises(ValueError, match="no trainable weights"):
        build_qcnn("Con_Z", "none")
    with pytest.raises(ValueError, match="unknown encoding"):
        build_qcnn(encoding="basis")
    t = build_qcnn()
    with pytest.raises(ValueError, match=r"needs features of shape \(N, 256\); got \(3, 8\)"):
        t.input_values(np.ones((3, 8)))


class TestKClassTemplates:
    @pytest.mark.parametrize(
        ("num_classes", "qubits", "weights"),
        [
            (2, (4,), 51),
            (3, (0, 4), 49),
            (4, (0, 4), 49),
            (5, (0, 2, 4), 32),
            (10, (0, 2, 4, 6), 32),
            (16, (0, 2, 4, 6), 32),
        ],
    )
    def test_readout_qubits_and_weights(self, num_classes, qubits, weights):
        template = build_qcnn("U_SU4", "zx", num_classes=num_classes)
        assert template.readout_qubits == qubits and template.num_weights == weights
        assert len(template.observables) == (1 if num_classes == 2 else 2 ** len(qubits) - 1)

    def test_levels_stop_before_pooling_below_m(self):
        assert [(list(lv.conv_pairs), list(lv.pool_pairs)) for lv in qcnn_layout(8, num_readout=2)] == [
            *PAPER_LAYOUT[:2],
            ([(0, 4)], []),
        ]
        assert [len(lv.pool_pairs) for lv in qcnn_layout(8, num_readout=4)] == [4, 0]
        assert [len(lv.pool_pairs) for lv in qcnn_layout(8, num_readout=8)] == [0]

    def test_binary_template_is_unchanged(self):
        from qiskit import qasm3

        two, default = build_qcnn("U_SU4", "zx", num_classes=2), build_qcnn("U_SU4", "zx")
        assert qasm3.dumps(two.circuit) == qasm3.dumps(default.circuit) and two.observable == default.observable
        assert two.name == default.name and two.observables == (default.observable,)

    def test_weight_order_is_convolutions_then_poolings(self):
        circuit, w = trainable_circuit("U_TTN", "zx", num_readout=2)
        assert len(w) == 3 * 2 + 2 * 2
        last = [inst for inst in circuit.data if inst.operation.name == "ry"][-2:]
        assert {p.name for inst in last for p in inst.operation.params[0].parameters} == {"w[4]", "w[5]"}

    @pytest.mark.parametrize("bad", [1, 257, 2.0, True])
    def test_bad_num_classes(self, bad):
        with pytest.raises(ValueError, match=r"num_classes must be an integer in 2\.\.256"):
            build_qcnn("U_SU4", "zx", num_classes=bad)


def test_parameter_rows_follow_the_circuits_order(rng):
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    inputs, weights = rng.normal(size=(3, len(template.input_params))), rng.normal(size=template.num_weights)
    parameters = list(reversed((*template.input_params, *template.weight_params)))
    rows = template.parameter_rows(parameters, inputs, weights)
    expected = np.concatenate([inputs, np.tile(weights, (3, 1))], axis=1)[:, ::-1]
    np.testing.assert_array_equal(rows, expected)
    per_sample = rng.normal(size=(3, template.num_weights))
    np.testing.assert_array_equal(template.parameter_rows(template.weight_params, inputs, per_sample), per_sample)
    with pytest.raises(ValueError, match=r"parameters the template does not: \['x'\]"):
        template.parameter_rows([Parameter("x")], inputs, weights)
