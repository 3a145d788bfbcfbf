"""Each ansatz and pooling against its gates written out independently as matrices."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Operator

from qcnn_tl.circuits import ANSATZES, POOLINGS

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], complex)
H = np.array([[1, 1], [1, -1]], complex) / np.sqrt(2)
P0 = np.diag([1, 0]).astype(complex)
P1 = np.diag([0, 1]).astype(complex)


def rx(t):
    return np.array([[np.cos(t / 2), -1j * np.sin(t / 2)], [-1j * np.sin(t / 2), np.cos(t / 2)]])


def ry(t):
    return np.array([[np.cos(t / 2), -np.sin(t / 2)], [np.sin(t / 2), np.cos(t / 2)]], complex)


def rz(t):
    return np.diag([np.exp(-1j * t / 2), np.exp(1j * t / 2)])


def u3(t, p, lam):
    return np.array(
        [
            [np.cos(t / 2), -np.exp(1j * lam) * np.sin(t / 2)],
            [np.exp(1j * p) * np.sin(t / 2), np.exp(1j * (p + lam)) * np.cos(t / 2)],
        ]
    )


# Two-qubit operators with qubit a = 0 (least significant, Qiskit order), b = 1.
def on_a(m):
    return np.kron(I2, m)


def on_b(m):
    return np.kron(m, I2)


def controlled(m, control, target):
    if (control, target) == ("a", "b"):
        return np.kron(I2, P0) + np.kron(m, P1)
    return np.kron(P0, I2) + np.kron(P1, m)


CZ = np.diag([1, 1, 1, -1]).astype(complex)


def product(*ops):
    out = np.eye(4, dtype=complex)
    for op in ops:
        out = op @ out
    return out


def reference(name, t):
    if name == "Con_Z":
        return CZ
    if name == "U_TTN":
        return product(on_a(ry(t[0])), on_b(ry(t[1])), controlled(X, "a", "b"))
    if name in ("U_5", "U_6"):
        c = rz if name == "U_5" else rx
        return product(
            on_a(rx(t[0])),
            on_b(rx(t[1])),
            on_a(rz(t[2])),
            on_b(rz(t[3])),
            controlled(c(t[4]), "b", "a"),
            controlled(c(t[5]), "a", "b"),
            on_a(rx(t[6])),
            on_b(rx(t[7])),
            on_a(rz(t[8])),
            on_b(rz(t[9])),
        )
    if name == "U_9":
        return product(on_a(H), on_b(H), CZ, on_a(rx(t[0])), on_b(rx(t[1])))
    if name in ("U_13", "U_14"):
        c = rz if name == "U_13" else rx
        return product(
            on_a(ry(t[0])),
            on_b(ry(t[1])),
            controlled(c(t[2]), "b", "a"),
            on_a(ry(t[3])),
            on_b(ry(t[4])),
            controlled(c(t[5]), "a", "b"),
        )
    if name == "U_15":
        return product(
            on_a(ry(t[0])),
            on_b(ry(t[1])),
            controlled(X, "b", "a"),
            on_a(ry(t[2])),
            on_b(ry(t[3])),
            controlled(X, "a", "b"),
        )
    if name == "U_SO4":
        return product(
            on_a(ry(t[0])),
            on_b(ry(t[1])),
            controlled(X, "a", "b"),
            on_a(ry(t[2])),
            on_b(ry(t[3])),
            controlled(X, "a", "b"),
            on_a(ry(t[4])),
            on_b(ry(t[5])),
        )
    if name == "U_SU4":
        return product(
            on_a(u3(*t[0:3])),
            on_b(u3(*t[3:6])),
            controlled(X, "a", "b"),
            on_a(ry(t[6])),
            on_b(rz(t[7])),
            controlled(X, "b", "a"),
            on_a(ry(t[8])),
            controlled(X, "a", "b"),
            on_a(u3(*t[9:12])),
            on_b(u3(*t[12:15])),
        )
    if name == "ansatz_10":
        return product(
            on_a(u3(*t[0:3])),
            controlled(u3(*t[3:6]), "a", "b"),
            on_a(X),
            controlled(u3(*t[6:9]), "a", "b"),
            on_a(X),
        )
    raise KeyError(name)


def pooling_reference(name, t):
    # control = qubit 0 ("a"), target = qubit 1 ("b")
    if name == "zx":
        return product(controlled(rz(t[0]), "a", "b"), on_a(X), controlled(rx(t[1]), "a", "b"))
    return product(controlled(u3(*t[0:3]), "a", "b"), on_a(X), controlled(u3(*t[3:6]), "a", "b"))


@pytest.mark.parametrize("name", list(ANSATZES))
def test_ansatz_matches_written_out_gates(name, rng):
    ansatz = ANSATZES[name]
    for _ in range(3):
        t = rng.uniform(-np.pi, np.pi, ansatz.num_params)
        assert Operator(ansatz.circuit(list(t))).equiv(Operator(reference(name, t)), atol=1e-10)
        np.testing.assert_allclose(Operator(ansatz.circuit(list(t))).data, reference(name, t), atol=1e-10)


@pytest.mark.parametrize("name", ["zx", "generalized"])
def test_pooling_matches_written_out_gates(name, rng):
    pooling = POOLINGS[name]
    t = rng.uniform(-np.pi, np.pi, pooling.num_params)
    np.testing.assert_allclose(Operator(pooling.circuit(list(t))).data, pooling_reference(name, t), atol=1e-10)


def test_weight_counts_are_the_papers():
    counts = {n: a.num_params for n, a in ANSATZES.items()}
    assert counts == {
        "Con_Z": 0,
        "U_TTN": 2,
        "U_9": 2,
        "U_15": 4,
        "U_13": 6,
        "U_14": 6,
        "U_SO4": 6,
        "U_5": 10,
        "U_6": 10,
        "U_SU4": 15,
        "ansatz_10": 9,
    }
    assert {n: p.num_params for n, p in POOLINGS.items()} == {"zx": 2, "generalized": 6, "none": 0}


def test_wrong_weight_count_is_a_clear_error():
    with pytest.raises(ValueError, match=r"U_SU4 needs weights of length 15; got 14"):
        ANSATZES["U_SU4"].circuit([0.0] * 14)


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="unknown ansatz 'U_42'; expected one of: Con_Z, U_TTN"):
        ANSATZES["U_42"]
    with pytest.raises(ValueError, match="unknown pooling 'max'"):
        POOLINGS["max"]
