"""What every encoding shares: the registry entry, feature checks and the qubit arrangements of the hybrids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from qiskit.circuit import Parameter, QuantumCircuit

from qcnn_tl.circuits.user_circuits import same_circuit, unrolled

Groups = tuple[tuple[int, ...], ...]

PAIR_ARRANGEMENTS: dict[int, Groups] = {
    1: ((0, 1), (2, 3), (4, 5), (6, 7)),
    2: ((0, 4), (1, 5), (2, 6), (3, 7)),
    3: ((0, 7), (1, 6), (2, 5), (3, 4)),
    4: ((0, 2), (1, 3), (4, 6), (5, 7)),
}
"""Arrangement ``k`` of the two-qubit hybrid encodings (``*-hybrid2-k``): four qubit pairs."""

QUAD_ARRANGEMENTS: dict[int, Groups] = {
    1: ((0, 1, 2, 3), (4, 5, 6, 7)),
    2: ((0, 2, 4, 6), (1, 3, 5, 7)),
    3: ((0, 1, 6, 7), (2, 3, 4, 5)),
    4: ((0, 3, 4, 7), (1, 2, 5, 6)),
}
"""Arrangement ``k`` of the four-qubit hybrid encodings (``*-hybrid4-k``): two groups of four qubits."""

HYBRID_NUM_QUBITS = 8
"""The hybrid encodings' arrangements are defined on 8 qubits only."""


@dataclass(frozen=True)
class Encoding:
    """A data encoding: a template builder and the map from features to its parameter values.

    Attributes:
        name: The registry name (``"amplitude"``, ``"angle"``, ``"amplitude-hybrid4-1"``, …).
        build: ``num_qubits -> (circuit, input_params)``.
        num_features: ``num_qubits ->`` the feature width it takes.
        input_values: ``features (N, F) ->`` parameter values ``(N, len(input_params))``.
    """

    name: str
    build: Callable[[int], tuple[QuantumCircuit, tuple[Parameter, ...]]]
    num_features: Callable[[int], int]
    input_values: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def from_circuit(
        cls,
        name: str,
        circuit: QuantumCircuit,
        *,
        input_values: Callable[[np.ndarray], np.ndarray] | None = None,
        num_features: int | None = None,
    ) -> Encoding:
        """An encoding from a user's circuit whose parameters are the inputs.

        The inputs are the circuit's parameters in ``circuit.parameters`` order (sorted by name,
        ``ParameterVector`` elements by index). By default the features are those values as they are
        (``num_features`` = the number of parameters); ``input_values`` maps features ``(N, num_features)`` to
        them instead. Gates other than Qiskit's standard ones are unrolled through their definitions.

        Args:
            name: Its name (in results and file names).
            circuit: The encoding on a power-of-two number of qubits (the template's), no parameter named
                like the template's weights ``w``.
            input_values: Maps features ``(N, num_features)`` to parameter values ``(N, num_parameters)``; a
                Python function cannot be stored in ``result.json``, so a model using it is evaluated in the
                process that registered it.
            num_features: The feature width ``input_values`` takes (default: the number of parameters).

        Raises:
            TypeError: If ``circuit`` is not a ``QuantumCircuit`` or ``input_values`` not callable.
            ValueError: If the qubit count is not a power of two ≥ 2, the circuit has no parameters or one
                named ``w``/``w[i]``, ``num_features`` does not fit, or a gate cannot be unrolled.

        >>> from qiskit.circuit import ParameterVector
        >>> x = ParameterVector("x", 4)
        >>> qc = QuantumCircuit(4)
        >>> for q in range(4):
        ...     _ = qc.rx(x[q], q)
        >>> Encoding.from_circuit("rx", qc).num_features(4)
        4
        """
        if not isinstance(circuit, QuantumCircuit):
            raise TypeError(f"encoding circuit must be a QuantumCircuit; got {type(circuit).__name__}")
        n = circuit.num_qubits
        if n < 2 or n & (n - 1):
            raise ValueError(f"encoding circuit must have a power-of-two number of qubits ≥ 2 (4, 8, 16); got {n}")
        num_inputs = circuit.num_parameters
        if num_inputs == 0:
            raise ValueError("encoding circuit must have parameters (the inputs); got a circuit with none")
        clash = [p.name for p in circuit.parameters if p.name == "w" or p.name.startswith("w[")]
        if clash:
            raise ValueError(f"encoding circuit parameters must not be named like the weights 'w'; got {clash[:5]}")
        if input_values is not None and not callable(input_values):
            raise TypeError(f"input_values must be a function of the features; got {type(input_values).__name__}")
        width = num_inputs if num_features is None else num_features
        if input_values is None and width != num_inputs:
            raise ValueError(
                f"num_features must be left out or equal the circuit's {num_inputs} parameters when input_values "
                f"is not given; got {num_features!r}"
            )
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            raise ValueError(f"num_features must be a positive integer; got {num_features!r}")
        build = CircuitBuild(name, unrolled(circuit, "encoding circuit"))
        return cls(name, build, FixedWidth(name, n, width), FeatureValues(name, width, num_inputs, input_values))


@dataclass(frozen=True, eq=False)
class CircuitBuild:
    """The template builder of an encoding given as a circuit: ``num_qubits -> (circuit, input_params)``.

    Two are equal when their circuits are equal up to the names of their parameters.

    Attributes:
        name: The encoding's name, for messages.
        circuit: The encoding, unrolled to standard gates; its parameters are the inputs.
    """

    name: str
    circuit: QuantumCircuit

    def __call__(self, num_qubits: int) -> tuple[QuantumCircuit, tuple[Parameter, ...]]:
        """The circuit and its input parameters.

        Raises:
            ValueError: If ``num_qubits`` is not the circuit's.
        """
        check_defined_on(self.name, self.circuit.num_qubits, num_qubits)
        return self.circuit.copy(), tuple(self.circuit.parameters)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CircuitBuild) and same_circuit(self.circuit, other.circuit)

    def __hash__(self) -> int:
        return hash((self.circuit.num_qubits, self.circuit.num_parameters))


@dataclass(frozen=True)
class FixedWidth:
    """The feature width of an encoding defined on one number of qubits: ``num_qubits -> width``.

    Attributes:
        name: The encoding's name, for messages.
        num_qubits: The qubits it is defined on.
        width: Its feature width.
    """

    name: str
    num_qubits: int
    width: int

    def __call__(self, num_qubits: int) -> int:
        """The feature width.

        Raises:
            ValueError: If ``num_qubits`` is not the encoding's.
        """
        check_defined_on(self.name, self.num_qubits, num_qubits)
        return self.width


@dataclass(frozen=True)
class FeatureValues:
    """The input values of an encoding given as a circuit: the features checked, then mapped by ``function``.

    Attributes:
        name: The encoding's name, for messages.
        num_features: The feature width ``F``.
        num_inputs: The number of input parameters ``P``.
        function: Maps features ``(N, F)`` to values ``(N, P)``; ``None``: the features are the values.
    """

    name: str
    num_features: int
    num_inputs: int
    function: Callable[[np.ndarray], np.ndarray] | None = None

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """Parameter values ``(N, P)`` of features ``(N, F)``.

        Raises:
            ValueError: If the features are not ``(N, F)`` and finite, or ``function`` returns another shape.
        """
        array = as_feature_matrix(features, self.num_features, self.name)
        if self.function is None:
            return array
        values = np.asarray(self.function(array), dtype=np.float64)
        if values.shape != (len(array), self.num_inputs):
            raise ValueError(
                f"{self.name} encoding's input_values must return shape ({len(array)}, {self.num_inputs}); "
                f"got {values.shape}"
            )
        return values


def as_feature_matrix(features: np.ndarray, width: int | None, what: str) -> np.ndarray:
    """``features`` as a finite float64 matrix ``(N, F)`` (a vector is one row).

    Raises:
        ValueError: Naming ``what``, if the shape is not ``(N, width)`` or an entry is NaN/inf.
    """
    array = np.asarray(features, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{what} features must have shape (N, F); got {array.shape}")
    if width is not None and array.shape[1] != width:
        raise ValueError(f"{what} features must have shape (N, {width}); got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} features contain NaN or infinite values")
    return array


def check_defined_on(name: str, defined_on: int, num_qubits: int) -> None:
    """Raises ``ValueError`` unless ``num_qubits`` is the ``defined_on`` qubits of encoding ``name``."""
    if num_qubits != defined_on:
        raise ValueError(f"{name} encoding is defined on {defined_on} qubits; got num_qubits={num_qubits!r}")


def check_hybrid_qubits(name: str, num_qubits: int) -> None:
    """Raises ``ValueError`` unless ``num_qubits`` is the hybrids' 8."""
    check_defined_on(name, HYBRID_NUM_QUBITS, num_qubits)
